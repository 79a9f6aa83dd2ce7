import {
  constants,
  type EventLoopUtilization,
  type IntervalHistogram,
  monitorEventLoopDelay,
  PerformanceObserver,
  performance,
} from 'node:perf_hooks'
import { type Clock, systemClock, type TimerHandle } from '../clock.js'
import type { MetricSink } from '../telemetry/metrics.js'
import type { ShutdownRegistry } from '../telemetry/shutdown.js'
import { durationOption, OptionError } from '../validate.js'
import { METRIC, TAG } from '../vocabulary.js'

export interface RuntimeMetricsOptions {
  /** Where the values go: any MetricSink (`multiMetrics(...)` for several). */
  metrics: MetricSink
  /**
   * Time between two collections, in milliseconds; every value covers one interval. At least 100 (the delay
   * histogram samples every 10 ms), at most 2147483647 (the longest Node timer).
   * @default 10000
   */
  intervalMs?: number
  /** Timers, unref'd: collection never keeps a process alive. @default systemClock */
  clock?: Clock
  /** Collection stops on shutdown (`createLifecycle()`, or any ShutdownRegistry), before the sinks close. */
  lifecycle?: ShutdownRegistry
}

export interface RuntimeMetrics {
  /**
   * Stops collecting: clears the timer, disables the delay histogram and disconnects the GC observer. Synchronous,
   * idempotent and never throws, so it fits a shutdown hook as it is.
   */
  stop(): void
}

/** `monitorEventLoopDelay`'s sampling period. Each sample is the time between two of its timer runs. */
const RESOLUTION_MS = 10
/** While the loop is quiet, how often its active time is read. */
const WATCH_MS = 1000
/** Below this share of busy time, the loop is quiet and the delay histogram rests. */
const BUSY_SHARE = 0.01
const MIN_INTERVAL_MS = 100
const MAX_TIMER_MS = 2_147_483_647

type GcKind = 'minor' | 'major' | 'incremental' | 'weakcb' | 'other'
const GC_KINDS: readonly GcKind[] = ['minor', 'major', 'incremental', 'weakcb']

function gcKindOf(detail: unknown): GcKind {
  const kind = typeof detail === 'object' && detail !== null && 'kind' in detail ? detail.kind : undefined
  switch (kind) {
    case constants.NODE_PERFORMANCE_GC_MINOR:
      return 'minor'
    case constants.NODE_PERFORMANCE_GC_MAJOR:
      return 'major'
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return 'incremental'
    case constants.NODE_PERFORMANCE_GC_WEAKCB:
      return 'weakcb'
    default:
      return 'other'
  }
}

/** `create()`'s result, or undefined when it threw: a runtime without one of these APIs loses only its metrics. */
function attempt<T>(create: () => T): T | undefined {
  try {
    return create()
  } catch {
    return undefined
  }
}

interface Delay {
  p50: number
  p99: number
  max: number
}

/** A value of an interval, or a quiet window, in ms of event-loop activity. */
const activeMs = (now: EventLoopUtilization | undefined, since: EventLoopUtilization | undefined) =>
  now && since ? attempt(() => performance.eventLoopUtilization(now, since).active) : undefined

/**
 * Event-loop delay and utilization per interval.
 *
 * Delay comes from Node's native histogram (`monitorEventLoopDelay`), in ms with the resolution subtracted: an idle
 * loop reads ~0, a loop blocked for 100 ms reads ~100. Its timer wakes the process 100 times a second, which costs
 * an idle process more than everything else here together (each wakeup is a VM exit in a Firecracker guest such as
 * Fargate or Lambda). So the histogram runs only while the loop is busy: an interval under 1 % busy turns it off
 * for the next one, and a one-second "watch" reads the loop's active time instead. A quiet window's active time is
 * an upper bound of its delay (no timer can be later than the loop was busy), at most 10 ms, or it turns the
 * histogram back on and counts as one sample of the interval's max (exact when one callback did the work).
 *
 * `reset()` also forgets the histogram's last timestamp, so its first sample after a reset (or a restart) is
 * dropped: a block that starts right after a collection (another timer due at the same moment, a common
 * `setInterval`) would never be seen. A one-shot "bridge" timer, due when that first sample is, measures the same
 * lateness in its place.
 */
function loopMonitor(clock: Clock, intervalMs: number) {
  const histogram: IntervalHistogram | undefined = attempt(() =>
    monitorEventLoopDelay({ resolution: RESOLUTION_MS }),
  )
  const readUtilization = () => attempt(() => performance.eventLoopUtilization())
  let intervalStart = readUtilization()
  let windowStart = intervalStart
  let fine = false
  /** The largest quiet window's active time this interval. */
  let quietMax: number | undefined
  let bridge: { due: number; handle: TimerHandle } | undefined
  let bridged: number | undefined
  let watch: TimerHandle | undefined

  const settle = (at: number) => {
    if (!bridge) return
    bridged = at - bridge.due
    bridge = undefined
  }
  // The bridge is part of the measurement, like the histogram's own timer: real time, whatever the clock.
  const startBridge = () => {
    bridged = undefined
    const due = performance.now() + RESOLUTION_MS
    const handle = systemClock.setTimeout(() => settle(performance.now()), RESOLUTION_MS)
    bridge = { due, handle }
  }
  const clearTimer = (handle: TimerHandle | undefined) => {
    if (handle !== undefined) attempt(() => clock.clearTimeout(handle))
  }

  /** The histogram on, from a clean slate (a restart would record the whole pause as one sample). */
  function startFine(): void {
    clearTimer(watch)
    watch = undefined
    fine = histogram !== undefined && attempt(() => histogram.enable()) !== undefined
    if (!fine) {
      startQuiet()
      return
    }
    attempt(() => histogram?.reset())
    attempt(startBridge)
  }
  function startQuiet(): void {
    clearTimer(watch)
    watch = undefined
    attempt(() => histogram?.disable())
    fine = false
    windowStart = readUtilization()
    if (windowStart) scheduleWatch()
  }
  function scheduleWatch(): void {
    // With intervals of a second or less, each collection is the watch.
    if (intervalMs > WATCH_MS) watch = attempt(() => clock.setTimeout(onWatch, WATCH_MS))
  }
  /** Ends a quiet window: its active time bounds its delay; a busy one turns the histogram on. */
  function endQuietWindow(now: EventLoopUtilization | undefined): number | undefined {
    const active = activeMs(now, windowStart)
    windowStart = now
    if (active !== undefined) quietMax = Math.max(quietMax ?? 0, active)
    return active
  }
  function onWatch(): void {
    watch = undefined
    if (fine) return
    const active = endQuietWindow(readUtilization())
    if (active !== undefined && active > WATCH_MS * BUSY_SHARE && histogram) startFine()
    else scheduleWatch()
  }

  function readDelay(): Delay | undefined {
    if (!fine || !histogram) {
      return quietMax === undefined ? undefined : { p50: quietMax, p99: quietMax, max: quietMax }
    }
    const pending = bridge
    settle(performance.now())
    if (pending) attempt(() => systemClock.clearTimeout(pending.handle))
    const ms = (nanoseconds: number) => Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS)
    const late = Math.max(bridged ?? 0, quietMax ?? 0)
    const known = bridged !== undefined || quietMax !== undefined
    if (histogram.count > 0) {
      return {
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: Math.max(ms(histogram.max), late),
      }
    }
    return known ? { p50: late, p99: late, max: late } : undefined
  }

  // A process's first interval is measured finely; its own activity decides the next ones.
  if (histogram) startFine()
  else startQuiet()

  return {
    /** This interval's delay and utilization (each undefined when not measured), then a fresh interval. */
    read(): { delay: Delay | undefined; utilization: number | undefined } {
      const now = readUtilization()
      const interval =
        now && intervalStart ? attempt(() => performance.eventLoopUtilization(now, intervalStart)) : undefined
      intervalStart = now
      if (!fine) endQuietWindow(now)
      const delay = attempt(readDelay)
      quietMax = undefined
      // Busy, or no way to tell: measure finely. Quiet: spare the process the histogram's wakeups.
      const quiet = interval !== undefined && interval.utilization < BUSY_SHARE
      if (histogram && !quiet) startFine()
      else if (now !== undefined) startQuiet()
      const utilization = interval?.utilization
      return {
        delay,
        utilization: utilization === undefined ? undefined : Math.min(1, Math.max(0, utilization)),
      }
    },
    stop(): void {
      clearTimer(watch)
      watch = undefined
      const pending = bridge
      bridge = undefined
      if (pending) attempt(() => systemClock.clearTimeout(pending.handle))
      attempt(() => histogram?.disable())
    },
  }
}

/** GC pause time per kind since the last `take()`, in ms, from a PerformanceObserver on `gc` entries. */
function gcMonitor() {
  const pauses = new Map<GcKind, number>()
  const observer = attempt(() => {
    const created = new PerformanceObserver((list) => {
      try {
        for (const entry of list.getEntries()) {
          // `detail` is what Node 16+ sets on gc entries (@types/node 20 does not declare it).
          const kind = gcKindOf('detail' in entry ? entry.detail : undefined)
          pauses.set(kind, (pauses.get(kind) ?? 0) + entry.duration)
        }
      } catch {
        // An observer callback that throws would surface as an uncaught exception: never.
      }
    })
    created.observe({ entryTypes: ['gc'] })
    return created
  })
  if (!observer) return undefined
  return {
    take(): Map<GcKind, number> {
      const taken = new Map(pauses)
      pauses.clear()
      return taken
    },
    stop() {
      attempt(() => observer.disconnect())
      pauses.clear()
    },
  }
}

function isSink(value: unknown): value is MetricSink {
  return (
    typeof value === 'object' &&
    value !== null &&
    'gauge' in value &&
    typeof value.gauge === 'function' &&
    'increment' in value &&
    typeof value.increment === 'function'
  )
}

function validate(options: RuntimeMetricsOptions) {
  if (typeof options !== 'object' || options === null) {
    throw new OptionError('options', options, 'an object: { metrics, intervalMs?, clock?, lifecycle? }')
  }
  if (!isSink(options.metrics)) throw new OptionError('metrics', options.metrics, 'a MetricSink')
  const intervalMs = durationOption('intervalMs', options.intervalMs, { allowZero: false }) ?? 10_000
  if (intervalMs < MIN_INTERVAL_MS || intervalMs > MAX_TIMER_MS) {
    throw new OptionError(
      'intervalMs',
      intervalMs,
      `a duration from ${MIN_INTERVAL_MS} to ${MAX_TIMER_MS} ms`,
    )
  }
  const clock = options.clock ?? systemClock
  if (
    typeof clock !== 'object' ||
    clock === null ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function'
  ) {
    throw new OptionError('clock', clock, 'a Clock: { now, setTimeout, clearTimeout }')
  }
  if (options.lifecycle !== undefined && typeof options.lifecycle?.onShutdown !== 'function') {
    throw new OptionError('lifecycle', options.lifecycle, 'an object with onShutdown(name, hook, options)')
  }
  return { metrics: options.metrics, intervalMs, clock, lifecycle: options.lifecycle }
}

/**
 * Node runtime metrics, every `intervalMs` (default 10 s), through any MetricSink: event-loop delay p50 / p99 /
 * max and utilization over the interval, GC pause time by kind (a counter, in seconds), heap used and total, RSS,
 * and the resources keeping the loop alive. Names are core's vocabulary (`METRIC.eventLoopDelayP99`, …).
 *
 * Timers are unref'd, so a process that never calls `stop()` still exits; nothing here throws into the app (a
 * throwing sink, a runtime missing one of the APIs: those values are skipped). Bad options fail here, naming the
 * option.
 */
export function runtimeMetrics(options: RuntimeMetricsOptions): RuntimeMetrics {
  const { metrics, intervalMs, clock, lifecycle } = validate(options)

  const loop = loopMonitor(clock, intervalMs)
  const gc = gcMonitor()
  let timer: TimerHandle | undefined
  let stopped = false
  let gcSeriesStarted = false

  // One call per value: a sink that throws on one loses only that one.
  function gauge(name: string, value: number | undefined): void {
    if (value === undefined || !Number.isFinite(value)) return
    try {
      metrics.gauge(name, value)
    } catch {
      // A sink must not throw (MetricSink's contract); one that does loses this value only.
    }
  }
  function increment(name: string, value: number, tags: Record<string, string>): void {
    try {
      metrics.increment(name, value, tags)
    } catch {
      // As above.
    }
  }

  function collect(): void {
    const measured = attempt(() => loop.read())
    const delay = measured?.delay
    if (delay) {
      gauge(METRIC.eventLoopDelayP50, delay.p50)
      gauge(METRIC.eventLoopDelayP99, delay.p99)
      gauge(METRIC.eventLoopDelayMax, delay.max)
    }
    gauge(METRIC.eventLoopUtilization, measured?.utilization)

    const pauses = gc?.take()
    if (pauses) {
      // The first collection sends every known kind, at 0 if need be, so each counter series exists before its
      // first pause (Prometheus' rate() and increase() need two samples); later ones only the kinds that paused.
      const kinds = gcSeriesStarted ? pauses.keys() : new Set([...GC_KINDS, ...pauses.keys()])
      gcSeriesStarted = true
      for (const kind of kinds)
        increment(METRIC.gcPause, (pauses.get(kind) ?? 0) / 1000, { [TAG.gcKind]: kind })
    }

    const memory = attempt(() => process.memoryUsage())
    gauge(METRIC.heapUsed, memory?.heapUsed)
    gauge(METRIC.heapTotal, memory?.heapTotal)
    gauge(METRIC.rss, memory?.rss)

    gauge(
      METRIC.activeHandles,
      attempt(() =>
        typeof process.getActiveResourcesInfo === 'function'
          ? process.getActiveResourcesInfo().length
          : undefined,
      ),
    )
  }

  function tick(): void {
    timer = undefined
    if (stopped) return
    schedule()
    collect()
  }
  function schedule(): void {
    timer = attempt(() => clock.setTimeout(tick, intervalMs))
  }

  function stop(): void {
    if (stopped) return
    stopped = true
    const pending = timer
    timer = undefined
    if (pending !== undefined) attempt(() => clock.clearTimeout(pending))
    loop.stop()
    gc?.stop()
  }

  schedule()
  attempt(() => lifecycle?.onShutdown('runtime metrics', stop))
  return { stop } satisfies RuntimeMetrics
}
