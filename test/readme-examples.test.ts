// scripts/check-readme-examples.mjs: README blocks are extracted with their fence words and line numbers, and a
// block that does not compile against the built packages fails the check with its README and line.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
// @ts-expect-error -- a plain .mjs script without declarations
import { extractBlocks, findReadmes } from '../scripts/check-readme-examples.mjs'

const root = resolve(import.meta.dirname, '..')
mkdirSync(join(root, 'node_modules/.cache'), { recursive: true })
const dir = mkdtempSync(join(root, 'node_modules/.cache/readme-examples-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function check(markdown: string): Promise<{ code: number; output: string }> {
  const file = join(dir, `README-${Math.random().toString(36).slice(2)}.md`)
  writeFileSync(file, markdown)
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['scripts/check-readme-examples.mjs', file],
      { cwd: root, timeout: 120_000 },
      (error, stdout, stderr) => {
        done({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` })
      },
    )
  })
}

describe('check-readme-examples', () => {
  it('extracts ts and tsx blocks with their fence words and first line, skipping other fences', () => {
    const blocks = extractBlocks(
      [
        '# t',
        '```ts',
        'const a = 1',
        '```',
        '```bash',
        '```ts',
        'not a block',
        '```',
        '```tsx fragment',
        '<p />',
        '```',
        '  ```ts nocheck',
        '  x',
        '  ```',
      ].join('\n'),
    )
    expect(blocks).toEqual([
      { line: 3, lang: 'ts', flags: [], code: 'const a = 1' },
      { line: 10, lang: 'tsx', flags: ['fragment'], code: '<p />' },
      { line: 13, lang: 'ts', flags: ['nocheck'], code: 'x' },
    ])
  })

  it('covers the root, package, app and ops READMEs', () => {
    const readmes: string[] = findReadmes()
    expect(readmes).toEqual(
      expect.arrayContaining([
        'README.md',
        'packages/core/README.md',
        'packages/adapter-next/README.md',
        'apps/demo-store/README.md',
        'ops/README.md',
      ]),
    )
  })

  it('fails on a block that does not compile against the built packages, naming the README line', async () => {
    const result = await check(
      [
        '# x',
        '',
        '```ts',
        "import { createHealth } from '@vivr/core'",
        '',
        "createHealth({ checks: [], timeoutMs: 'soon' })",
        '```',
        '',
      ].join('\n'),
    )
    expect(result.code).toBe(1)
    expect(result.output).toMatch(/README-\w+\.md:6:\d+: error TS2322/)
  }, 120_000)

  it('a module block may not use free names; a fragment gets the prelude and its `// declare:` lines', async () => {
    const module = await check(['```ts', "logger.info('x')", '```'].join('\n'))
    expect(module.code).toBe(1)
    expect(module.output).toContain("Cannot find name 'logger'")
    const fragment = await check(
      [
        '```ts fragment',
        '// declare: function handle(): Promise<void>',
        "logger.info('x', { userId })",
        'await handle()',
        '```',
        '```ts nocheck',
        'this is not TypeScript',
        '```',
      ].join('\n'),
    )
    expect(fragment.output).toContain('1 blocks type-check')
    expect(fragment.code).toBe(0)
  }, 120_000)
})
