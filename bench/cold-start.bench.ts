// Cold start: the CPU time a fresh Node process spends importing each published entry, from the built packages
// (dist, what a user installs: no source condition, no tsx), beside `@sentry/node`'s import as the anchor. Each
// figure is the median of ROUNDS fresh processes, imports taken in turn so load on the machine hits all alike.
// Express is measured both ways: alone (a user's app imports it anyway) and counted in.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Bench, Figure } from './lib.js'

const ROOT = join(import.meta.dirname, '..')
const ROUNDS = 7
const ANCHOR = '@sentry/node'
/** What the goal names: a service on Express with the Datadog sink. */
const EXPRESS_STACK = ['@vivr/core', '@vivr/core/node', '@vivr/adapter-express', '@vivr/sink-datadog']

/** Every published entry of every package (`exports` keys but package.json), e.g. `@vivr/core/node`. */
export function publishedEntries(): string[] {
  const entries: string[] = []
  for (const dir of readdirSync(join(ROOT, 'packages')).sort()) {
    const file = join(ROOT, 'packages', dir, 'package.json')
    if (!existsSync(file)) continue
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name: string; exports?: Record<string, unknown> }
    for (const key of Object.keys(pkg.exports ?? {})) {
      if (key === './package.json') continue
      // Browser entries and the testkit are not what a server imports at start.
      if (key === './browser' || pkg.name === '@vivr/testkit') continue
      entries.push(key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`)
    }
  }
  return entries
}

/** Milliseconds of CPU (user + system) one fresh process spends importing `specifiers` after `preloaded`. */
export function importCpuMs(specifiers: readonly string[], preloaded: readonly string[] = []): number {
  const script = `
    for (const m of ${JSON.stringify(preloaded)}) await import(m)
    const before = process.cpuUsage()
    for (const m of ${JSON.stringify(specifiers)}) await import(m)
    const used = process.cpuUsage(before)
    process.stdout.write(String((used.user + used.system) / 1000))`
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
    encoding: 'utf8',
  })
  return Number(out)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Medians of ROUNDS, the contenders interleaved round by round. */
function measure(contenders: Record<string, () => number>): Record<string, number> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(contenders)) samples[name]!.push(run())
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
}

function assertBuilt(): void {
  const missing = ['core', 'adapter-express', 'sink-datadog'].filter(
    (dir) => !existsSync(join(ROOT, 'packages', dir, 'dist')),
  )
  if (missing.length) throw new Error(`cold start reads the built packages: run \`npm run build\` first`)
}

const coldStart: Bench = {
  name: 'cold start: import CPU time',
  async run(): Promise<Figure[]> {
    assertBuilt()
    const entries = publishedEntries()
    const contenders: Record<string, () => number> = {
      [ANCHOR]: () => importCpuMs([ANCHOR]),
      stack: () => importCpuMs(EXPRESS_STACK),
      stackOverExpress: () => importCpuMs(EXPRESS_STACK, ['express']),
    }
    for (const entry of entries) contenders[entry] = () => importCpuMs([entry])
    const ms = measure(contenders)
    const anchor = ms[ANCHOR]!
    const figure = (name: string, ours: number): Figure => ({
      figure: name,
      unit: 'ms CPU',
      ours: Math.round(ours * 10) / 10,
      anchor: Math.round(anchor * 10) / 10,
      anchorName: `import '${ANCHOR}'`,
      higherIsBetter: false,
    })
    return [
      figure('core + core/node + adapter-express + sink-datadog, Express counted in', ms.stack!),
      figure('…same, in an app that has imported Express already', ms.stackOverExpress!),
      ...entries.map((entry) => figure(`import '${entry}' alone`, ms[entry]!)),
    ]
  },
}

export const benches: Bench[] = [coldStart]
