// `npm run bench [name...]`: runs each benchmark beside its anchor in this one process and prints the ratios.
// Every `bench/*.bench.ts` exports `benches: Bench[]`; a name filter keeps the benches whose name contains it.
// The kit is measured as users run it: `npm run bench` builds first and the @vivr packages resolve to their dist
// (no source condition). tsx compiles only the bench files: it keeps function names by wrapping every function it
// creates in a helper call, which on the kit's own per-request closures cost a few microseconds a request.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Bench, type Figure, printTable, writeResults } from './lib.js'

const files = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
const all: Bench[] = []
for (const file of files) {
  const module: { benches: Bench[] } = await import(join(import.meta.dirname, file))
  all.push(...module.benches)
}
const wanted = process.argv.slice(2)
const selected = wanted.length ? all.filter((b) => wanted.some((w) => b.name.includes(w))) : all

const figures: Figure[] = []
for (const bench of selected) {
  console.error(`bench: ${bench.name}…`)
  figures.push(...(await bench.run()))
}
printTable(figures)
const out = join(import.meta.dirname, 'results.json')
writeResults(out, figures)
console.log(`figures written to ${out}`)
