#!/usr/bin/env node
// Counts the exported names of every public entry point of every package (from its built .d.ts), for the
// release notes: `node scripts/api-size.mjs` after `npm run build`.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'

const root = new URL('..', import.meta.url).pathname
const rows = []
for (const dir of readdirSync(join(root, 'packages'))) {
  const pkgPath = join(root, 'packages', dir, 'package.json')
  if (!existsSync(pkgPath)) continue
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'))
  for (const [entry, target] of Object.entries(pkg.exports ?? {})) {
    const types = target?.import?.types
    if (!types) continue
    const file = join(root, 'packages', dir, types)
    if (!existsSync(file)) continue
    const program = ts.createProgram([file], { skipLibCheck: true, noEmit: true })
    const checker = program.getTypeChecker()
    const source = program.getSourceFile(file)
    const symbol = source && checker.getSymbolAtLocation(source)
    const names = symbol ? checker.getExportsOfModule(symbol) : []
    const values = names.filter((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s
      return (target.flags & ts.SymbolFlags.Value) !== 0
    }).length
    rows.push({ entry: `${pkg.name}${entry === '.' ? '' : entry.slice(1)}`, names: names.length, values })
  }
}
console.log('| entry point | exported names | of which values |\n| --- | ---: | ---: |')
for (const r of rows) console.log(`| \`${r.entry}\` | ${r.names} | ${r.values} |`)
