#!/usr/bin/env node
// Lint rule: one vocabulary. Every metric name and tag key a @vivr package or the demo emits is spelled once, in
// packages/core/src/vocabulary.ts. Elsewhere in their sources: no metric call with a literal name, no string
// equal to a vocabulary name, and the one multi-word tag key (`status_code`) only through TAG.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

const root = resolve(new URL('..', import.meta.url).pathname)
const VOCABULARY = 'packages/core/src/vocabulary.ts'
const vocabulary = readFileSync(join(root, VOCABULARY), 'utf8')
const block = /export const METRIC = \{([\s\S]*?)\} as const/.exec(vocabulary)?.[1] ?? ''
const names = [...block.matchAll(/^\s*\w+: '([^']+)',?$/gm)].map((m) => m[1])
if (names.length < 10) {
  console.error(`vocabulary: could not read the METRIC names from ${VOCABULARY}`)
  process.exit(1)
}

// testkit is the exception: its contract suites call sinks with made-up names on purpose.
const roots = [
  ...readdirSync(join(root, 'packages'))
    .filter((name) => name !== 'testkit')
    .map((name) => join(root, 'packages', name, 'src')),
  ...readdirSync(join(root, 'apps')).map((name) => join(root, 'apps', name, 'src')),
]
function* sources(dir) {
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return
  }
  for (const entry of entries) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) yield* sources(path)
    else if (/\.(m|c)?[jt]sx?$/.test(entry)) yield path
  }
}

const LITERAL_NAME_CALL = /\.(increment|gauge|timing|histogram|serviceCheck)\(\s*['"`]/g
const NAME_LITERALS = new RegExp(`['"\`](${names.map((n) => n.replaceAll('.', '\\.')).join('|')})['"\`]`, 'g')
const problems = []
let files = 0
for (const dir of roots) {
  for (const file of sources(dir)) {
    const path = relative(root, file)
    if (path === VOCABULARY) continue
    files++
    const lines = readFileSync(file, 'utf8').split('\n')
    lines.forEach((line, i) => {
      if (/^\s*(\/\/|\*|\/\*)/.test(line)) return
      const where = `${path}:${i + 1}`
      for (const m of line.matchAll(LITERAL_NAME_CALL)) {
        problems.push(`${where}: .${m[1]}() with a literal name; use METRIC from @vivr/core`)
      }
      for (const m of line.matchAll(NAME_LITERALS)) {
        problems.push(`${where}: '${m[1]}' spelled out; use METRIC from @vivr/core`)
      }
      if (/\bstatus_code\b/.test(line)) problems.push(`${where}: status_code spelled out; use TAG.statusCode`)
    })
  }
}
if (problems.length > 0) {
  console.error(`Vocabulary violations (names live in ${VOCABULARY}):\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
console.log(
  `vocabulary: ${names.length} metric names, spelled only in ${VOCABULARY} (${files} source files checked)`,
)
