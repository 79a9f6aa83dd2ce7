#!/usr/bin/env node
// README examples are tests: every ```ts / ```tsx block of every README (root, packages/*, apps/*, ops/**) is
// type-checked with tsc against the BUILT packages, as a user imports them: `@vivr/*` resolves through each
// package's `exports` without the `@vivr/source` condition (dist/*.d.ts), third-party types come from the repo's
// node_modules. Runs after the build (`npm test`), or alone: `node scripts/check-readme-examples.mjs [README.md…]`
// (only the READMEs named, e.g. while editing one).
//
// Conventions (the words after the language in the fence; GitHub shows only the language):
//   ```ts            a module, checked exactly as written: what a user copies into a file must compile.
//                    Each block is a file at the root of a small stand-in app (scripts/readme-examples/project),
//                    so `@/lib/x` and `./lib/x` resolve to its modules: lib/prisma, lib/redis, lib/metrics,
//                    lib/observability, lib/health, lib/db, generated/prisma/client. Add one there when a README
//                    imports an app module it has not.
//   ```ts fragment   part of a larger file: it may use names it does not define. The names exported by
//                    scripts/readme-examples/prelude.ts (prisma, redis, stripe, logger, metrics, reporter, health,
//                    lifecycle, app, request, userId, orderId, requestId, Sentry, expect) are imported into it,
//                    except those it declares or imports itself; anything else is declared on a line
//                    `// declare: const server: StripeServer` (or `function handle(r: Request): Response`,
//                    `type …`), which becomes `declare const server: StripeServer` where it stands.
//   ```ts nocheck    not checked at all. Rare (pseudo-code); prefer a fragment.
// Each block is its own module (top-level await allowed). A failure names the README and line.
import { execFileSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import ts from 'typescript'

const root = resolve(import.meta.dirname, '..')
const support = join(root, 'scripts/readme-examples')
// Work happens inside the repo's node_modules, so third-party packages and `@vivr/*` resolve as in a user's
// project; one directory per run, so runs side by side do not collide.
const cache = join(root, 'node_modules/.cache')

/** The READMEs whose examples are checked, relative to the root. */
export function findReadmes() {
  const found = ['README.md']
  for (const parent of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, parent))) found.push(`${parent}/${name}/README.md`)
  }
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== 'node_modules') walk(`${dir}/${entry.name}`)
      else if (entry.name === 'README.md') found.push(`${dir}/${entry.name}`)
    }
  }
  walk('ops')
  return found.filter((file) => existsSync(join(root, file)))
}

/** Every ```ts / ```tsx block of a markdown text: { line (1-based, first code line), lang, flags, code }. */
export function extractBlocks(markdown) {
  const blocks = []
  const lines = markdown.split('\n')
  // A closing fence is the opening's character, at least as many, and nothing else (CommonMark).
  const closes = (fence) => (line) => {
    const t = line.trim()
    return t.length >= fence.length && t === fence[0].repeat(t.length)
  }
  const closing = (from, fence) => {
    const end = lines.findIndex((line, j) => j > from && closes(fence)(line))
    return end === -1 ? lines.length : end
  }
  for (let i = 0; i < lines.length; i++) {
    const fenced = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i])
    if (!fenced) continue
    const [, indent, fence, info] = fenced
    const end = closing(i, fence)
    const open = /^\s*(ts|tsx|typescript)(?:\s+(.*))?$/.exec(info)
    if (open) {
      const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
      const flags = (open[2] ?? '').trim().split(/\s+/).filter(Boolean)
      blocks.push({ line: i + 2, lang: open[1] === 'tsx' ? 'tsx' : 'ts', flags, code: body.join('\n') })
    }
    i = end // other fences are skipped whole, so a ```ts inside them is not taken for a block
  }
  return blocks
}

const preludeNames = (() => {
  const source = ts.createSourceFile(
    'prelude.ts',
    readFileSync(join(support, 'prelude.ts'), 'utf8'),
    ts.ScriptTarget.Latest,
  )
  const names = []
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations)
        if (ts.isIdentifier(d.name)) names.push(d.name.text)
    } else if (ts.isExportDeclaration(statement) && statement.exportClause) {
      if (ts.isNamespaceExport(statement.exportClause)) names.push(statement.exportClause.name.text)
      else for (const e of statement.exportClause.elements) names.push(e.name.text)
    }
  }
  return names
})()

/** Names a module's top level binds (declarations and imports). */
function topLevelNames(code, lang) {
  const source = ts.createSourceFile(
    `x.${lang}`,
    code,
    ts.ScriptTarget.Latest,
    false,
    lang === 'tsx' ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  )
  const names = new Set()
  const bind = (name) => {
    if (!name) return
    if (ts.isIdentifier(name)) names.add(name.text)
    else if (ts.isObjectBindingPattern(name) || ts.isArrayBindingPattern(name)) {
      for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name)
    }
  }
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement))
      for (const d of statement.declarationList.declarations) bind(d.name)
    else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause
      bind(clause.name)
      if (clause.namedBindings && ts.isNamespaceImport(clause.namedBindings)) bind(clause.namedBindings.name)
      else if (clause.namedBindings) for (const e of clause.namedBindings.elements) bind(e.name)
    } else if ('name' in statement && statement.name) bind(statement.name)
  }
  return names
}

/** The module tsc sees for a block; its first line is a prefix, so block line n is file line n + 1. */
function moduleFor(block) {
  if (!block.flags.includes('fragment')) return `export {}\n${block.code}\n`
  const code = block.code.replace(/^(\s*)\/\/ declare: /gm, '$1declare ')
  const own = topLevelNames(code, block.lang)
  const names = preludeNames.filter((name) => !own.has(name))
  return `import { ${names.join(', ')} } from '../prelude.js'; export {}\n${code}\n`
}

function main(readmes) {
  mkdirSync(cache, { recursive: true })
  const work = mkdtempSync(join(cache, 'readme-examples-'))
  try {
    return check(readmes, work)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

function check(readmes, work) {
  cpSync(support, work, { recursive: true }) // prelude.ts and the stand-in app, project/
  const origin = new Map() // generated file → { readme, line }
  let checked = 0
  let skipped = 0
  for (const readme of readmes) {
    const blocks = extractBlocks(readFileSync(join(root, readme), 'utf8'))
    for (const [index, block] of blocks.entries()) {
      const unknown = block.flags.filter((flag) => flag !== 'fragment' && flag !== 'nocheck')
      if (unknown.length > 0) {
        console.error(
          `${readme}:${block.line - 1}: unknown fence word(s) ${unknown.join(' ')} (fragment | nocheck)`,
        )
        return 1
      }
      if (block.flags.includes('nocheck')) {
        skipped++
        continue
      }
      const name = `${readme.replace(/\/?README\.md$/, '').replaceAll('/', '--') || 'root'}--${index + 1}`
      const file = join(work, 'project', `readme--${name}.${block.lang}`)
      writeFileSync(file, moduleFor(block))
      origin.set(file, { readme, line: block.line })
      checked++
    }
  }
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023', 'DOM', 'DOM.Iterable'],
      module: 'ESNext',
      moduleResolution: 'Bundler',
      moduleDetection: 'force',
      jsx: 'react-jsx',
      strict: true,
      skipLibCheck: true,
      esModuleInterop: true,
      noEmit: true,
      types: ['node'],
      paths: { '@/*': [join(work, 'project/*')] },
    },
    include: [join(work, 'project/readme--*')],
  }
  writeFileSync(join(work, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
  let output = ''
  try {
    execFileSync(
      join(root, 'node_modules/.bin/tsc'),
      ['-p', join(work, 'tsconfig.json'), '--pretty', 'false'],
      {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
      },
    )
  } catch (error) {
    output = `${error.stdout ?? ''}${error.stderr ?? ''}`
    if (!output.trim()) throw error
  }
  if (output.trim()) {
    // Rewrite "…/block-2-line-14.ts(3,5): error …" into "packages/x/README.md:16:5: error …".
    const lines = output
      .trim()
      .split('\n')
      .map((line) => {
        const match = /^(.+?\.tsx?)\((\d+),(\d+)\): (.*)$/.exec(line)
        const at = match && origin.get(resolve(root, match[1]))
        if (!at) return line
        return `${at.readme}:${at.line + Number(match[2]) - 2}:${match[3]}: ${match[4]}`
      })
    console.error(`README examples fail to type-check:\n${lines.join('\n')}`)
    return 1
  }
  console.log(
    `readme examples: ${checked} blocks type-check against the built packages (${skipped} marked nocheck)`,
  )
  return 0
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const named = process.argv.slice(2).map((file) => relative(root, isAbsolute(file) ? file : resolve(file)))
  process.exitCode = main(named.length > 0 ? named : findReadmes())
}
