import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { existingGeneratedFiles, GENERATED_DIR, generate, OPS_DIR } from '../slo/generate.js'
import { objectives } from '../slo/objectives.js'

const STALE = 'stale: run `npm run ops:slo` and commit what it writes'

describe('the committed SLO output is what ops/slo/objectives.ts generates', () => {
  const files = generate()

  it.each(files.map((file) => [file.path, file.content]))('ops/%s is up to date', (path, content) => {
    let committed: string
    try {
      committed = readFileSync(join(OPS_DIR, path), 'utf8')
    } catch {
      throw new Error(`ops/${path} is missing: ${STALE}`)
    }
    expect(committed, `ops/${path} is ${STALE}`).toBe(content)
  })

  it('has no file left over from a removed objective', () => {
    const wanted = new Set(files.map((file) => file.path))
    expect(
      existingGeneratedFiles().filter((path) => !wanted.has(path)),
      STALE,
    ).toEqual([])
    expect(files.filter((file) => file.path.startsWith(`${GENERATED_DIR}/rules/`))).toHaveLength(
      objectives.length,
    )
  })

  it('notices a change to the objectives (the check is not a formality)', () => {
    const changed = objectives.map((slo) =>
      slo.name === 'storefront-availability' ? { ...slo, objective: 0.99, errorBudget: 0.01 } : slo,
    )
    const rules = generate(changed).find((file) => file.path.endsWith('rules/storefront-availability.yml'))!
    expect(rules.content).not.toBe(readFileSync(join(OPS_DIR, rules.path), 'utf8'))
  })
})
