#!/usr/bin/env node
// Checks what each package would publish: publint --strict, attw (types resolve for ESM and CJS), and the
// project's own rules (README, LICENSE, @vivr/core as a peer). Runs after the build.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
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
