#!/usr/bin/env node
// Checks what each package would publish: publint --strict, attw (types resolve for ESM and CJS), and the
// project's own rules (README, LICENSE, @vivr/core as a peer; every path an `exports` condition, `main`/`module`/
// `types`, or a subpath stub's package.json names is in the tarball: `npm pack --dry-run --json`, so the
// `@vivr/source` condition's `src/` is checked like `dist/`). Runs after the build.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')

/** Every file path a package.json names for resolution: `exports` targets under any condition, main/module/types. */
function namedPaths(manifest, base = '') {
  const paths = []
  const walk = (target) => {
    if (typeof target === 'string') paths.push(target)
    else if (Array.isArray(target)) target.forEach(walk)
    else if (target && typeof target === 'object') Object.values(target).forEach(walk)
  }
  walk(manifest.exports)
  for (const field of ['main', 'module', 'types', 'typings']) walk(manifest[field])
  return paths.map((path) => join(base, path).replace(/^\.\//, ''))
}

/** The paths among `named` that match no file of `packed` (a `*` stands for any run of characters). */
function missingFromPack(named, packed) {
  const files = new Set(packed)
  return named.filter((path) => {
    if (!path.includes('*')) return !files.has(path)
    const pattern = new RegExp(
      `^${path
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    )
    return !packed.some((file) => pattern.test(file))
  })
}

const bin = (name) => join(root, 'node_modules', '.bin', name)
const problems = []
const packages = readdirSync(join(root, 'packages')).filter((name) =>
  existsSync(join(root, 'packages', name, 'package.json')),
)

for (const name of packages) {
  const dir = join(root, 'packages', name)
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  for (const file of ['README.md', 'LICENSE']) {
    if (!existsSync(join(dir, file))) problems.push(`${manifest.name}: ${file} is missing`)
  }
  if (!manifest.files?.includes('LICENSE'))
    problems.push(`${manifest.name}: "files" does not include LICENSE`)
  if (manifest.name !== '@vivr/core' && !manifest.peerDependencies?.['@vivr/core']) {
    problems.push(`${manifest.name}: @vivr/core must be a peerDependency`)
  }
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: dir,
      stdio: 'pipe',
      encoding: 'utf8',
    }),
  )[0].files.map((file) => file.path)
  // Subpath stubs for node10 resolution (`hostile/package.json`…) name files relative to their own folder.
  const stubs = packed.filter((file) => file !== 'package.json' && file.endsWith('/package.json'))
  const named = [
    ...namedPaths(manifest),
    ...stubs.flatMap((stub) =>
      namedPaths(JSON.parse(readFileSync(join(dir, stub), 'utf8')), stub.slice(0, -'package.json'.length)),
    ),
  ]
  for (const path of missingFromPack(named, packed)) {
    problems.push(`${manifest.name}: package.json names ${path}, which is not in the packed files`)
  }
  for (const [tool, args] of [
    [bin('publint'), ['--strict']],
    [bin('attw'), ['--pack', '.', '--format', 'ascii']],
  ]) {
    try {
      execFileSync(tool, args, { cwd: dir, stdio: 'pipe', encoding: 'utf8' })
    } catch (error) {
      problems.push(
        `${manifest.name}: ${tool.split('/').pop()} failed\n${error.stdout ?? ''}${error.stderr ?? ''}`,
      )
    }
  }
}

if (problems.length > 0) {
  console.error(`Publish checks failed:\n- ${problems.join('\n- ')}`)
  process.exit(1)
}
console.log(`publish checks: ${packages.length} packages pass publint --strict and attw`)
