// Runtime metrics' cost: an idle process collecting every second against the same process without it, as CPU %
// of one core, measured by each process itself (process.cpuUsage) over the same wall-clock window, all running
// at once so load from elsewhere hits them alike; rounds repeat and the median counts. The floor beside it: the
// same process with nothing but an empty unref'd 1 s timer, since a collection a second is a wakeup a second
// (in a Firecracker guest, Fargate or Lambda, a wakeup is a VM exit and costs more than the collection itself).
// Then the cost of one collection (all nine values to a sink that only counts), beside prom-client's default
// metrics, which read the same kind of values on every scrape. Each side runs in its own child process (this
// file, with a role).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import type { Bench, Figure } from './lib.js'

type Role = 'idle-with' | 'idle-without' | 'idle-timer' | 'collect' | 'prom-client-scrape'
const ROLES: readonly Role[] = ['idle-with', 'idle-without', 'idle-timer', 'collect', 'prom-client-scrape']
const ROLE = process.env.VIVR_RUNTIME_BENCH_ROLE
const ROUNDS = 5
const WINDOW_MS = 6000
const SETTLE_MS = 2500
const COLLECTIONS = 20_000
const TARGET_PERCENT = 0.1

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** A sink that only counts, so the figure is the collection's own cost. */
function countingSink() {
  let calls = 0
  const count = () => {
    calls++
  }
  return { sink: { increment: count, gauge: count, timing: count, histogram: count }, calls: () => calls }
}

/**
 * An idle process (that has loaded @vivr/core/node) with runtime metrics every second, without them, or with only
 * an empty 1 s timer: its CPU time over WINDOW_MS of wall time.
 */
async function idle(side: 'with' | 'without' | 'timer') {
  const { runtimeMetrics } = await import('@vivr/core/node')
  const counting = countingSink()
  const runtime = side === 'with' ? runtimeMetrics({ metrics: counting.sink, intervalMs: 1000 }) : undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const again = () => {
    timer = setTimeout(again, 1000).unref()
  }
  if (side === 'timer') again()
  await sleep(SETTLE_MS) // startup work (module loading, its garbage, the first interval) out of the window
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  await sleep(WINDOW_MS)
  const cpu = process.cpuUsage(cpuBefore)
  const wallMs = performance.now() - started
  runtime?.stop()
  clearTimeout(timer)
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs, calls: counting.calls() }
}

/** One collection's cost: runtimeMetrics driven by a clock that fires its timers when told. */
async function collect() {
  const { runtimeMetrics } = await import('@vivr/core/node')
  const timers = new Map<number, () => void>()
  let id = 0
  const clock = {
    now: () => 0,
    setTimeout(callback: () => void) {
      timers.set(++id, callback)
      return id
    },
    clearTimeout(handle: unknown) {
      timers.delete(handle as number)
    },
  }
  const fire = () => {
    for (const [key, callback] of [...timers]) {
      timers.delete(key)
      callback()
    }
  }
  const counting = countingSink()
  const runtime = runtimeMetrics({ metrics: counting.sink, intervalMs: 1000, clock })
  for (let i = 0; i < 1000; i++) fire()
  const started = performance.now()
  for (let i = 0; i < COLLECTIONS; i++) fire()
  const microseconds = ((performance.now() - started) * 1000) / COLLECTIONS
  runtime.stop()
  return { microseconds, calls: counting.calls() }
}

/** The anchor: prom-client's default Node metrics (event-loop lag, GC, heap, handles…), one scrape. */
async function promClientScrape() {
  const { collectDefaultMetrics, Registry } = await import('prom-client')
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  for (let i = 0; i < 200; i++) await registry.metrics()
  const scrapes = 2000
  const started = performance.now()
  for (let i = 0; i < scrapes; i++) await registry.metrics()
  return { microseconds: ((performance.now() - started) * 1000) / scrapes }
}

if (ROLE && (ROLES as readonly string[]).includes(ROLE)) {
  const role = ROLE as Role
  const result =
    role === 'idle-with'
      ? await idle('with')
      : role === 'idle-without'
        ? await idle('without')
        : role === 'idle-timer'
          ? await idle('timer')
          : role === 'collect'
            ? await collect()
            : await promClientScrape()
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

async function child<T>(role: Role): Promise<T> {
  const node = spawn(process.execPath, ['--import', 'tsx', import.meta.filename], {
    env: { ...process.env, VIVR_RUNTIME_BENCH_ROLE: role, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let output = ''
  node.stdout.on('data', (chunk) => {
    output += chunk
  })
  const [code] = (await once(node, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`runtime-metrics bench child ${role} exited with ${code}`)
  return JSON.parse(output) as T
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

type Idle = { cpuMs: number; wallMs: number; calls: number }
const percentOfCore = (run: Idle) => (run.cpuMs / run.wallMs) * 100

const runtime: Bench = {
  name: 'runtime metrics',
  async run() {
    const withIt: number[] = []
    const without: number[] = []
    const added: number[] = []
    const floor: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b, c] = await Promise.all([
        child<Idle>('idle-with'),
        child<Idle>('idle-without'),
        child<Idle>('idle-timer'),
      ])
      if (a.calls === 0) throw new Error('runtime metrics emitted nothing during the window')
      withIt.push(percentOfCore(a))
      without.push(percentOfCore(b))
      added.push(percentOfCore(a) - percentOfCore(b))
      floor.push(percentOfCore(c) - percentOfCore(b))
    }
    const one = await child<{ microseconds: number; calls: number }>('collect')
    const scrape = await child<{ microseconds: number }>('prom-client-scrape')
    const round3 = (value: number) => Math.round(value * 1000) / 1000
    const figures: Figure[] = [
      {
        figure: 'idle process, runtime metrics every 1 s: CPU',
        unit: '% of a core',
        ours: round3(median(withIt)),
        anchor: round3(median(without)),
        anchorName: 'the same process without them',
        higherIsBetter: false,
      },
      {
        figure: `runtime metrics every 1 s: CPU added (target ≤ ${TARGET_PERCENT} %)`,
        unit: '% of a core',
        ours: round3(Math.max(0, median(added))),
        anchor: round3(Math.max(0, median(floor))),
        anchorName: 'an empty 1 s timer (the floor)',
        higherIsBetter: false,
      },
      {
        figure: 'one collection (9 values, counting sink)',
        unit: 'µs',
        ours: Math.round(one.microseconds * 10) / 10,
        anchor: Math.round(scrape.microseconds * 10) / 10,
        anchorName: "prom-client's default metrics, one scrape",
        higherIsBetter: false,
      },
    ]
    return figures
  },
}

export const benches: Bench[] = [runtime]
