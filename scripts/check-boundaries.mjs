#!/usr/bin/env node
// Lint rule: a workspace may import another workspace only through its public entry points (package.json
// "exports"), never by a relative path into its folder or a deep `@vivr/x/src/...` specifier.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..')
const workspaces = ['packages', 'apps'].flatMap((group) => {
  try {
    return readdirSync(join(root, group)).map((name) => join(root, group, name))
  } catch {
    return []
  }
})
const manifests = new Map()
for (const dir of workspaces) {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    manifests.set(manifest.name, { dir, exports: Object.keys(manifest.exports ?? { '.': '' }) })
  } catch {}
}

const SKIP = new Set(['node_modules', 'dist', '.next', '.turbo', 'generated'])
function* sourceFiles(dir) {
  for (const entry of readdirSync(dir)) {
    if (SKIP.has(entry)) continue
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) yield* sourceFiles(path)
    else if (/\.(m|c)?[jt]sx?$/.test(entry)) yield path
  }
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm
const problems = []
for (const { dir } of manifests.values()) {
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, 'utf8')
    for (const [, specifier] of text.matchAll(SPECIFIER)) {
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier)
        if (!target.startsWith(dir + sep) && target !== dir) {
          problems.push(`${relative(root, file)}: '${specifier}' reaches outside its package`)
        }
        continue
      }
      const match = /^(@vivr\/[^/]+)(\/.*)?$/.exec(specifier)
      if (!match) continue
      const target = manifests.get(match[1])
      const subpath = `.${match[2] ?? ''}`
      if (target && !target.exports.includes(subpath)) {
        problems.push(`${relative(root, file)}: '${specifier}' is not a public entry point of ${match[1]}`)
      }
    }
  }
}
if (problems.length > 0) {
  console.error(
    `Boundary violations (import other packages only through their exports):\n  ${problems.join('\n  ')}`,
  )
  process.exit(1)
}
console.log(`boundaries: ${manifests.size} workspaces, no deep imports`)
