#!/usr/bin/env node
// Lint rule: a workspace may import another workspace only through its public entry points (package.json
// "exports"), never by a relative path into its folder or a deep `@vivr/x/src/...` specifier.
import { existsSync as exists, readdirSync, readFileSync, statSync } from 'node:fs'
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

const SKIP = new Set(['node_modules', 'dist', '.next', '.turbo', 'generated', '.git', 'test-artifacts'])
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
// Layers. The isomorphic entries (core's `.` and `./internal`, and every package's browser entry) must load in a
// browser or an edge runtime with no stubs: nothing they reach imports a Node builtin, pino, or core's Node entry.
const NODE_ONLY =
  /^(node:|pino$|pino\/)|^(async_hooks|child_process|crypto|dgram|dns|events|fs|http|https|net|os|path|perf_hooks|stream|tls|url|util|worker_threads|zlib)$/
function checkIsomorphic(entry) {
  const seen = new Set()
  const queue = [entry]
  while (queue.length > 0) {
    const file = queue.pop()
    if (seen.has(file)) continue
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    for (const [, specifier] of text.matchAll(SPECIFIER)) {
      if (specifier.startsWith('.')) {
        queue.push(resolve(dirname(file), specifier).replace(/\.js$/, '.ts'))
      } else if (NODE_ONLY.test(specifier) || specifier === '@vivr/core/node') {
        problems.push(
          `${relative(root, file)}: '${specifier}' is Node-only, but ${relative(root, entry)} must load anywhere`,
        )
      }
    }
  }
}
const isomorphicEntries = [
  'packages/core/src/index.ts',
  'packages/core/src/internal.ts',
  // Browser entries: what a Next.js client component or a browser bundle imports (testkit's `browser` launches
  // Chromium from Node: not one of them). A missing file fails: an entry that moves must be listed again.
  'packages/sink-sentry/src/browser.ts',
  'packages/sink-datadog/src/browser.ts',
]
for (const entry of isomorphicEntries) checkIsomorphic(resolve(root, entry))

// `@vivr/core/internal` is outside semver: only the kit's own packages may import it, never an app, a bench, an
// ops tool or a README a user copies from.
const INTERNAL = /['"]@vivr\/core\/internal['"]/
function* filesUnder(dir, pattern) {
  if (!exists(dir)) return
  for (const entry of readdirSync(dir)) {
    if (SKIP.has(entry)) continue
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) yield* filesUnder(path, pattern)
    else if (pattern.test(entry)) yield path
  }
}
const outsideKit = [
  ...['apps', 'bench', 'ops', 'test', 'scripts/readme-examples'].flatMap((dir) => [
    ...filesUnder(join(root, dir), /\.(m|c)?[jt]sx?$/),
  ]),
  ...filesUnder(root, /^README\.md$/),
  ...filesUnder(join(root, 'docs'), /\.md$/),
]
for (const file of outsideKit) {
  if (INTERNAL.test(readFileSync(file, 'utf8'))) {
    problems.push(`${relative(root, file)}: imports @vivr/core/internal, which only @vivr/* packages may use`)
  }
}

if (problems.length > 0) {
  console.error(
    `Boundary violations (import other packages only through their exports; keep the layers):\n  ${problems.join('\n  ')}`,
  )
  process.exit(1)
}
console.log(
  `boundaries: ${manifests.size} workspaces, no deep imports; ${isomorphicEntries.length} isomorphic entries reach no Node module; @vivr/core/internal used only inside the kit`,
)
