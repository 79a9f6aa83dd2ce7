// `npm run bench [name...]`: runs each benchmark beside its anchor in this one process and prints the ratios.
import { join } from 'node:path'
import { healthBenches } from './health.bench.js'
import { type Bench, type Figure, printTable, writeResults } from './lib.js'

const all: Bench[] = [...healthBenches]
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
