// Every `scripts` entry of every package.json that names a file names one that exists: `npm run start:api` once
// pointed at a file that had moved. A word is taken for a path when it has a slash or a file extension and is not
// a flag; `cd <dir> &&` moves the base the rest of the command resolves against.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const manifests = [
  'package.json',
  ...['packages', 'apps'].flatMap((parent) =>
    readdirSync(join(root, parent))
      .map((name) => `${parent}/${name}/package.json`)
      .filter((file) => existsSync(join(root, file))),
  ),
]

const PATH_LIKE = /\/|\.(?:[cm]?[jt]sx?|sh|json|ya?ml|sql)$/

/** The paths a script command names that do not exist, relative to the root. */
function missingPaths(command: string, packageDir: string): string[] {
  const missing: string[] = []
  for (const step of command.split(/&&|\|\||;|\|/)) {
    const words = step.trim().split(/\s+/).filter(Boolean)
    if (words[0] === 'cd' && words[1]) {
      packageDir = resolve(packageDir, words[1])
      continue
    }
    // The first word is the program (a bin on PATH, or node/bash/tsx whose file argument follows).
    for (const word of words.slice(1)) {
      if (word.startsWith('-') || word.includes('=') || word.includes('*') || /^[a-z]+:/.test(word)) continue
      if (!PATH_LIKE.test(word)) continue
      if (!existsSync(resolve(packageDir, word))) missing.push(relative(root, resolve(packageDir, word)))
    }
  }
  return missing
}

describe('package.json scripts', () => {
  it('finds a missing file (the check can fail)', () => {
    expect(missingPaths('node --import tsx src/api/main.ts', join(root, 'apps/demo-store'))).toEqual([
      'apps/demo-store/src/api/main.ts',
    ])
    expect(missingPaths('cd ../.. && vitest run packages/core', join(root, 'packages/core'))).toEqual([])
  })

  for (const manifest of manifests) {
    const { scripts = {} } = JSON.parse(readFileSync(join(root, manifest), 'utf8')) as {
      scripts?: Record<string, string>
    }
    it(`${manifest}: every file a script names exists`, () => {
      const dir = join(root, manifest, '..')
      const broken = Object.entries(scripts).flatMap(([name, command]) =>
        missingPaths(command, dir).map((path) => `${name}: ${path}`),
      )
      expect(broken).toEqual([])
    })
  }
})
