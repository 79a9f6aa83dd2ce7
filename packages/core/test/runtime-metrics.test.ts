import { join } from 'node:path'
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type MemoryMetrics, memoryMetrics, runScript } from '@vivr/testkit'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type Clock, METRIC, type MetricSink, OptionError, TAG } from '../src/index.js'
import { type RuntimeMetrics, runtimeMetrics } from '../src/node.js'

setFlagsFromString('--expose-gc')
const forceGc = runInNewContext('gc') as () => void

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
function busyWait(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // the event loop is blocked
  }
}

/** A clock the test drives: `advance` fires due timers in due order (the delay histogram itself stays real). */
function manualClock() {
  let now = 0
  let nextId = 0
  const timers = new Map<number, { at: number; callback: () => void }>()
  const clock: Clock = {
    now: () => now,
    setTimeout(callback, delayMs) {
      timers.set(++nextId, { at: now + delayMs, callback })
      return nextId
    },
    clearTimeout(handle) {
      timers.delete(handle as number)
    },
  }
  return {
    clock,
    pending: () => timers.size,
    advance(ms: number) {
      now += ms
      const due = [...timers].filter(([, t]) => t.at <= now).sort((a, b) => a[1].at - b[1].at)
      for (const [id, timer] of due) {
        if (!timers.delete(id)) continue
        timer.callback()
      }
    },
  }
}

const GAUGES = [
  METRIC.eventLoopDelayP50,
  METRIC.eventLoopDelayP99,
  METRIC.eventLoopDelayMax,
  METRIC.eventLoopUtilization,
  METRIC.heapUsed,
  METRIC.heapTotal,
  METRIC.rss,
  METRIC.activeHandles,
]

const last = (metrics: MemoryMetrics, name: string) => metrics.find(name).at(-1)?.value

/** Spies on the delay histogram's enable/disable (its prototype: the instance is runtimeMetrics' own). */
function histogramSpies() {
  const methods = Object.getPrototypeOf(monitorEventLoopDelay()) as { enable(): boolean; disable(): boolean }
  const enable = vi.spyOn(methods, 'enable')
  const disable = vi.spyOn(methods, 'disable')
  const lastCall = (calls: number[]) => (calls.length === 0 ? 0 : Math.max(...calls))
  return {
    enable,
    disable,
    /** Whether the histogram was last turned off. */
    resting: () => lastCall(disable.mock.invocationCallOrder) > lastCall(enable.mock.invocationCallOrder),
  }
}

/** Idle intervals until one is under 1 % busy and the histogram rests (a test worker is not always that idle). */
async function untilQuiet(advance: (ms: number) => void, intervalMs: number, resting: () => boolean) {
  for (let attempt = 0; attempt < 40; attempt++) {
    await sleep(250)
    advance(intervalMs)
    if (resting()) return
  }
  throw new Error('the loop never looked quiet')
}

const started: RuntimeMetrics[] = []
function start(options: Parameters<typeof runtimeMetrics>[0]): RuntimeMetrics {
  const runtime = runtimeMetrics(options)
  started.push(runtime)
  return runtime
}
afterEach(() => {
  for (const runtime of started.splice(0)) runtime.stop()
  vi.restoreAllMocks()
})

describe('runtimeMetrics: what one interval emits', () => {
  it('every gauge once per interval, and a GC pause counter for every kind at the first collection', async () => {
    const metrics = memoryMetrics()
    const { clock, advance } = manualClock()
    start({ metrics, intervalMs: 1000, clock })
    await sleep(50) // the delay histogram samples every 10 ms
    advance(1000)

    for (const name of GAUGES) expect(metrics.find(name, 'gauge'), name).toHaveLength(1)
    const [p50 = -1, p99 = -1, max = -1] = [
      last(metrics, METRIC.eventLoopDelayP50),
      last(metrics, METRIC.eventLoopDelayP99),
      last(metrics, METRIC.eventLoopDelayMax),
    ]
    expect(p50).toBeGreaterThanOrEqual(0)
    expect(p99).toBeGreaterThanOrEqual(p50)
    expect(max).toBeGreaterThanOrEqual(p99)
    expect(last(metrics, METRIC.eventLoopUtilization)).toBeGreaterThanOrEqual(0)
    expect(last(metrics, METRIC.eventLoopUtilization)).toBeLessThanOrEqual(1)
    const heapUsed = last(metrics, METRIC.heapUsed) ?? 0
    expect(heapUsed).toBeGreaterThan(1_000_000)
    expect(last(metrics, METRIC.heapTotal)).toBeGreaterThanOrEqual(heapUsed)
    expect(last(metrics, METRIC.rss)).toBeGreaterThan(heapUsed / 2)
    expect(Number.isInteger(last(metrics, METRIC.activeHandles))).toBe(true)

    const gc = metrics.find(METRIC.gcPause)
    expect(gc.every((call) => call.kind === 'increment' && call.value >= 0)).toBe(true)
    expect(gc.map((call) => call.tags[TAG.gcKind])).toEqual(
      expect.arrayContaining(['minor', 'major', 'incremental', 'weakcb']),
    )
    expect(new Set(gc.map((call) => Object.keys(call.tags).join()))).toEqual(new Set([TAG.gcKind]))
  })

  it('emits nothing before the first interval, then once per interval', async () => {
    const metrics = memoryMetrics()
    const { clock, advance } = manualClock()
    start({ metrics, intervalMs: 5000, clock })
    await sleep(30)
    advance(4999)
    expect(metrics.calls).toEqual([])
    advance(1)
    advance(5000)
    advance(5000)
    expect(metrics.find(METRIC.rss)).toHaveLength(3)
  })

  it.each([
    ['busy', 'right after a collection (the first sample after the histogram reset)', 0],
    ['busy', 'in the middle of the interval', 40],
    ['quiet', 'right after a collection', 0],
    ['quiet', 'in the middle of the interval', 40],
  ] as const)(
    '%s loop: blocked for 100 ms %s, it shows as delay max ≥ 80 ms in the next interval',
    async (state, _, afterMs) => {
      const spies = histogramSpies()
      const metrics = memoryMetrics()
      const { clock, advance } = manualClock()
      start({ metrics, intervalMs: 1000, clock })
      await sleep(30)
      if (state === 'busy') {
        busyWait(20) // over 1 % busy: the histogram stays on for the next interval
        advance(1000)
        expect(spies.resting()).toBe(false)
      } else {
        await untilQuiet(advance, 1000, spies.resting)
      }
      const before = metrics.find(METRIC.eventLoopDelayMax).length
      if (afterMs > 0) await sleep(afterMs) // else the block starts in the collection's own timer callback
      busyWait(100)
      await sleep(30)
      advance(1000)

      expect(metrics.find(METRIC.eventLoopDelayMax)).toHaveLength(before + 1)
      expect(last(metrics, METRIC.eventLoopDelayMax)).toBeGreaterThanOrEqual(80)
      expect(last(metrics, METRIC.eventLoopDelayMax)).toBeLessThan(1000)
      expect(last(metrics, METRIC.eventLoopUtilization)).toBeGreaterThan(0.4)
    },
  )

  it('a forced garbage collection records a major GC pause, in seconds, in the next interval', async () => {
    const metrics = memoryMetrics()
    const { clock, advance } = manualClock()
    start({ metrics, intervalMs: 1000, clock })
    advance(1000)
    const before = metrics.find(METRIC.gcPause).length

    forceGc()
    await vi.waitFor(async () => {
      await sleep(10) // the observer hears of gc entries asynchronously
      advance(1000)
      const major = metrics
        .find(METRIC.gcPause)
        .slice(before)
        .filter((call) => call.tags[TAG.gcKind] === 'major')
      expect(major.length).toBeGreaterThan(0)
      const seconds = major.reduce((sum, call) => sum + call.value, 0)
      expect(seconds).toBeGreaterThan(0)
      expect(seconds).toBeLessThan(1) // seconds, not milliseconds
    })
  })

  it('after the first collection, only the kinds that paused are sent', async () => {
    const metrics = memoryMetrics()
    const { clock, advance } = manualClock()
    start({ metrics, intervalMs: 1000, clock })
    advance(1000)
    await sleep(20)
    advance(1000) // GC entries from before are flushed out
    const before = metrics.find(METRIC.gcPause).length
    advance(1000) // nothing ran in between: no GC
    expect(
      metrics
        .find(METRIC.gcPause)
        .slice(before)
        .every((call) => call.value > 0),
    ).toBe(true)
  })
})

describe('runtimeMetrics: the delay histogram rests while the loop is quiet', () => {
  it('an interval under 1 % busy turns the histogram off; a busy second turns it back on and counts', async () => {
    const { enable, disable, resting } = histogramSpies()
    const metrics = memoryMetrics()
    const { clock, advance, pending } = manualClock()
    start({ metrics, intervalMs: 5000, clock })
    expect(enable).toHaveBeenCalledTimes(1) // the first interval is measured finely
    expect(disable).not.toHaveBeenCalled()
    await untilQuiet(advance, 5000, resting)
    expect(pending()).toBe(2) // the next collection and the one-second watch: no histogram, no bridge
    const enabled = enable.mock.calls.length

    await sleep(20)
    busyWait(60)
    advance(1000) // the watch reads 60 ms of busy time in its second
    expect(enable).toHaveBeenCalledTimes(enabled + 1)
    await sleep(50)
    advance(4000)
    expect(last(metrics, METRIC.eventLoopDelayMax)).toBeGreaterThanOrEqual(50)
    expect(last(metrics, METRIC.eventLoopDelayP50)).toBeLessThan(50) // from the histogram's samples since
  })

  it("while quiet, each delay value is the loop's busy time, a bound: p50 = p99 = max, small when idle", async () => {
    const { resting } = histogramSpies()
    const metrics = memoryMetrics()
    const { clock, advance } = manualClock()
    start({ metrics, intervalMs: 1000, clock })
    await untilQuiet(advance, 1000, resting)
    await sleep(100)
    advance(1000)
    const [p50, p99, max] = [
      METRIC.eventLoopDelayP50,
      METRIC.eventLoopDelayP99,
      METRIC.eventLoopDelayMax,
    ].map((name) => last(metrics, name))
    expect(p50).toBe(max)
    expect(p99).toBe(max)
    expect(max).toBeLessThan(50)
  })
})

describe('runtimeMetrics: stop()', () => {
  it('stops emission, clears its timers, disables the histogram and disconnects the GC observer, once', async () => {
    const disconnect = vi.spyOn(PerformanceObserver.prototype, 'disconnect')
    const { disable } = histogramSpies()
    const metrics = memoryMetrics()
    const { clock, advance, pending } = manualClock()
    const runtime = start({ metrics, intervalMs: 1000, clock })
    advance(1000)
    const emitted = metrics.calls.length
    expect(emitted).toBeGreaterThan(0)

    runtime.stop()
    runtime.stop()
    expect(pending()).toBe(0)
    expect(disconnect).toHaveBeenCalledTimes(1)
    expect(disable).toHaveBeenCalledTimes(1)
    forceGc()
    await sleep(20)
    advance(10_000)
    expect(metrics.calls).toHaveLength(emitted)
  })

  it('with the system clock: nothing is emitted once stopped', async () => {
    const metrics = memoryMetrics()
    const runtime = start({ metrics, intervalMs: 100 })
    await vi.waitFor(() => expect(metrics.find(METRIC.rss).length).toBeGreaterThan(0), { timeout: 2000 })
    runtime.stop()
    const emitted = metrics.calls.length
    await sleep(350)
    expect(metrics.calls).toHaveLength(emitted)
  })

  it('is a shutdown hook: registered under lifecycle, synchronous, and stops collection', () => {
    const hooks: { name: string; hook: () => unknown }[] = []
    const { clock, pending } = manualClock()
    start({
      metrics: memoryMetrics(),
      clock,
      lifecycle: { onShutdown: (name, hook) => hooks.push({ name, hook }) },
    })
    expect(hooks.map((h) => h.name)).toEqual(['runtime metrics'])
    expect(pending()).toBeGreaterThan(0)
    expect(hooks[0]?.hook()).toBeUndefined()
    expect(pending()).toBe(0)
  })

  it('a process that never calls stop() still exits on its own', async () => {
    const root = join(import.meta.dirname, '../../..')
    const fixture = join(import.meta.dirname, 'runtime-metrics-exit.fixture.ts')
    const result = await runScript(fixture, [], {
      cwd: root,
      conditions: ['@vivr/source'],
      timeoutMs: 15_000,
    })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const { emitted } = JSON.parse(result.stdout) as { emitted: number }
    expect(emitted).toBeGreaterThan(0) // it was collecting, with its GC observer and histogram on
  })
})

describe('runtimeMetrics never throws into the app', () => {
  const throwing: MetricSink = {
    increment() {
      throw new Error('sink down')
    },
    gauge() {
      throw new Error('sink down')
    },
    timing() {
      throw new Error('sink down')
    },
    histogram() {
      throw new Error('sink down')
    },
  }

  it('a sink that throws on every call: collection goes on, nothing escapes', () => {
    const { clock, advance, pending } = manualClock()
    const runtime = start({ metrics: throwing, intervalMs: 1000, clock })
    expect(() => {
      for (let i = 0; i < 5; i++) advance(1000)
    }).not.toThrow()
    expect(pending()).toBeGreaterThan(0)
    expect(() => runtime.stop()).not.toThrow()
  })

  it('a sink that throws on one metric loses only that one', () => {
    const metrics = memoryMetrics()
    const picky: MetricSink = {
      ...metrics,
      gauge(name, value, tags) {
        if (name === METRIC.heapUsed) throw new Error('not this one')
        metrics.gauge(name, value, tags)
      },
    }
    const { clock, advance } = manualClock()
    start({ metrics: picky, intervalMs: 1000, clock })
    advance(1000)
    expect(metrics.find(METRIC.heapUsed)).toEqual([])
    expect(metrics.find(METRIC.heapTotal)).toHaveLength(1)
    expect(metrics.find(METRIC.activeHandles)).toHaveLength(1)
    expect(metrics.find(METRIC.gcPause).length).toBeGreaterThan(0)
  })

  it('with real timers, a throwing sink raises no uncaught error', async () => {
    const uncaught = vi.fn()
    process.on('uncaughtException', uncaught)
    try {
      start({ metrics: throwing, intervalMs: 100 })
      forceGc()
      await sleep(350)
      expect(uncaught).not.toHaveBeenCalled()
    } finally {
      process.off('uncaughtException', uncaught)
    }
  })

  it('process.memoryUsage and getActiveResourcesInfo that throw: those values are skipped, the rest goes out', () => {
    vi.spyOn(process, 'memoryUsage').mockImplementation(() => {
      throw new Error('EMFILE')
    })
    vi.spyOn(process, 'getActiveResourcesInfo').mockImplementation(() => {
      throw new Error('broken')
    })
    const metrics = memoryMetrics()
    const { clock, advance } = manualClock()
    start({ metrics, intervalMs: 1000, clock })
    expect(() => advance(1000)).not.toThrow()
    expect(metrics.find(METRIC.rss)).toEqual([])
    expect(metrics.find(METRIC.activeHandles)).toEqual([])
    expect(metrics.find(METRIC.eventLoopUtilization)).toHaveLength(1)
  })

  it('a clock whose timers throw: construction and stop() do not throw, nothing is collected', () => {
    const metrics = memoryMetrics()
    const broken: Clock = {
      now: () => 0,
      setTimeout() {
        throw new Error('no timers here')
      },
      clearTimeout() {
        throw new Error('no timers here')
      },
    }
    const runtime = start({ metrics, clock: broken })
    expect(() => runtime.stop()).not.toThrow()
    expect(metrics.calls).toEqual([])
  })
})

describe('runtimeMetrics options', () => {
  const metrics = memoryMetrics()
  it.each([
    ['no metrics', {}, 'Invalid option metrics: expected a MetricSink, got undefined'],
    [
      'metrics without gauge',
      { metrics: { increment() {} } },
      'Invalid option metrics: expected a MetricSink',
    ],
    [
      'intervalMs 0',
      { metrics, intervalMs: 0 },
      'Invalid option intervalMs: expected a finite number > 0, got 0',
    ],
    ['intervalMs negative', { metrics, intervalMs: -1 }, 'Invalid option intervalMs'],
    ['intervalMs NaN', { metrics, intervalMs: Number.NaN }, 'Invalid option intervalMs'],
    ['intervalMs as a string', { metrics, intervalMs: '1000' }, 'got "1000"'],
    [
      'intervalMs below 100',
      { metrics, intervalMs: 50 },
      'Invalid option intervalMs: expected a duration from 100 to 2147483647 ms, got 50',
    ],
    ['intervalMs past the longest timer', { metrics, intervalMs: 2 ** 31 }, 'Invalid option intervalMs'],
    ['a clock without timers', { metrics, clock: { now: () => 0 } }, 'Invalid option clock'],
    ['a lifecycle without onShutdown', { metrics, lifecycle: {} }, 'Invalid option lifecycle'],
  ])('%s fails at construction, naming the option', (_, options, message) => {
    const create = () => runtimeMetrics(options as Parameters<typeof runtimeMetrics>[0])
    expect(create).toThrow(OptionError)
    expect(create).toThrow(message)
  })

  it('no options at all fails naming them', () => {
    expect(() => runtimeMetrics(undefined as unknown as Parameters<typeof runtimeMetrics>[0])).toThrow(
      'Invalid option options',
    )
  })
})
