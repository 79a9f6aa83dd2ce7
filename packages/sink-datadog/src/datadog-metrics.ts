import type {
  ServiceCheckOptions as CoreServiceCheckOptions,
  MetricSink,
  ServiceCheckSink,
  ServiceCheckStatus,
  Tags,
  TimerHandle,
} from '@vivr/core'
import type { StatsD } from 'hot-shots'
import { createAggregator, createSampleWindow } from './aggregator.js'
import { type DatadogMetricsOptions, resolveOptions } from './options.js'
import { createSender, MAX_CONTEXTS, type MetricType, SETTLE_BOUND_MS } from './sender.js'
import { createTagReader } from './tags.js'
import { CHECK_CODES, createDatagramBudget, MAX_NUMBER_CHARS } from './wire.js'

export type { ServiceCheckStatus } from '@vivr/core'
export type { DatadogMetricsOptions } from './options.js'

/** Core's service-check options, plus the host the check is about. */
export interface ServiceCheckOptions extends CoreServiceCheckOptions {
  /** Shown in Datadog beside the status: scrubbed of secrets (core's scrubSecrets) and cut to fit one datagram. */
  message?: string
  hostname?: string
}

export interface DatadogSinkStats {
  /** Metric lines and service checks handed to hot-shots (a line of several packed values counts once). */
  sent: number
  /**
   * Metric values in those lines: every timing and histogram sample, and one per count or gauge line (an
   * aggregated sum or last value).
   */
  sentValues: number
  /**
   * Calls with an empty name, a value that is not a finite number, an unknown service-check status, or tags that
   * are not a plain object of at most 64 strings, numbers or booleans (an array, a Buffer, an object as a value, a
   * Proxy or getter that throws).
   */
  droppedInvalid: number
  /**
   * Lines that could not fit one datagram of `maxDatagramBytes` bytes even after cutting tags to 200 characters
   * (a name longer than a datagram among them).
   */
  droppedOversize: number
  /** Calls after `close()`. */
  droppedAfterClose: number
  /**
   * Times the timing and histogram samples held for packing reached 100,000 values and were sent before the
   * interval ended (nothing is lost; a sign of a very busy interval).
   */
  earlyFlushes: number
  /** Failed datagrams, DNS failures and socket errors (each counts once). */
  sendErrors: number
  /** Tags cut to Datadog's 200-character limit. */
  truncatedTags: number
  /** DNS queries for the agent's hostname (cached: one, plus one per refresh or retry). */
  dnsQueries: number
}

export interface DatadogMetrics extends MetricSink, ServiceCheckSink {
  /** A DogStatsD service check (`_sc`), e.g. health per dependency. */
  serviceCheck(name: string, status: ServiceCheckStatus, options?: ServiceCheckOptions): void
  stats(): DatadogSinkStats
  /** The hot-shots client this sink writes to, for what the MetricSink interface lacks (events, distributions). */
  readonly client: StatsD
  flush(): Promise<void>
  close(): Promise<void>
}

/** Characters of names and tags the aggregator holds per interval, whatever their size; past it, lines go out as they come. */
const MAX_AGGREGATED_CHARS = 4 * 1024 * 1024
/**
 * Timing and histogram samples held for packing, across every series of the window (about 8 bytes each): reaching
 * it sends them at once, so memory stays bounded and nothing is dropped.
 */
export const MAX_HELD_VALUES = 100_000

/**
 * DogStatsD metrics on hot-shots. Counts and gauges are aggregated per flush interval; timings and histograms are
 * held per series and sent packed, several values to a line (DogStatsD 1.1, unless `multiValue: false`). Lines are
 * batched into datagrams of at most `maxDatagramBytes` bytes; a line never spans two, and one that cannot fit one
 * datagram is dropped and counted instead of going out oversized (and being cut by the agent).
 * Never throws and never blocks: DNS is resolved once and cached, send errors are counted and logged at most
 * once per `warnIntervalMs`.
 */
export function datadogMetrics(options: DatadogMetricsOptions = {}): DatadogMetrics {
  const resolved = resolveOptions(options)
  const { clock, maxDatagramBytes } = resolved
  const sender = createSender(resolved)
  const budget = createDatagramBudget(resolved)
  const tagReader = createTagReader()
  const aggregator = resolved.aggregation ? createAggregator(MAX_CONTEXTS, MAX_AGGREGATED_CHARS) : undefined
  const samples =
    resolved.aggregation && resolved.multiValue
      ? createSampleWindow(MAX_CONTEXTS, MAX_AGGREGATED_CHARS)
      : undefined
  const counters = { droppedInvalid: 0, droppedOversize: 0, droppedAfterClose: 0, earlyFlushes: 0 }
  let aggregationTimer: TimerHandle | undefined
  let closed = false
  let closing: Promise<void> | undefined

  /**
   * Checks one call and hands it to the aggregator or hot-shots. Whatever the caller passes, this never throws:
   * a name, value or tags that cannot be sent are dropped and counted, and a tag set that throws when read (a
   * Proxy, a getter) too. Everything kept fits one datagram, so what the aggregator holds is bounded.
   */
  function emit(type: MetricType, name: string, value: number, tags: Tags | undefined): void {
    try {
      if (closed) {
        counters.droppedAfterClose++
        return
      }
      if (typeof name !== 'string' || name === '' || typeof value !== 'number' || !Number.isFinite(value)) {
        counters.droppedInvalid++
        return
      }
      // A name longer than a datagram (in characters, so at least as many bytes) cannot go out whatever follows.
      if (name.length > maxDatagramBytes) {
        counters.droppedOversize++
        return
      }
      let wireTags: Record<string, string> | undefined
      let chars = name.length + MAX_NUMBER_CHARS
      if (tags != null) {
        wireTags = typeof tags === 'object' ? tagReader.read(tags) : undefined
        if (wireTags === undefined) {
          counters.droppedInvalid++
          return
        }
        chars += tagReader.lastChars
      }
      if (!budget.metricFits(name, value, wireTags, chars)) {
        counters.droppedOversize++
        return
      }
      if (type === 'c' || type === 'g') {
        if (aggregator?.record(type, name, value, wireTags)) {
          aggregationTimer ??= clock.setTimeout(drainAggregates, resolved.flushIntervalMs)
          return
        }
      } else if (samples?.record(type, name, value, wireTags)) {
        if (samples.values >= MAX_HELD_VALUES) {
          counters.earlyFlushes++
          drainSamples()
        }
        aggregationTimer ??= clock.setTimeout(drainAggregates, resolved.flushIntervalMs)
        return
      }
      sender.metric(type, name, value, wireTags)
    } catch {
      counters.droppedInvalid++
    }
  }

  /** A service check, checked like a metric call; what cannot go out is dropped and counted. */
  function serviceCheck(name: unknown, status: unknown, checkOptions: unknown = {}): void {
    if (closed) {
      counters.droppedAfterClose++
      return
    }
    try {
      const code =
        typeof status === 'string' && Object.hasOwn(CHECK_CODES, status)
          ? CHECK_CODES[status as ServiceCheckStatus]
          : undefined
      if (typeof name !== 'string' || name === '' || code === undefined || typeof checkOptions !== 'object') {
        counters.droppedInvalid++
        return
      }
      // Each option read once: a getter answers one value.
      const { message, hostname, tags: rawTags }: ServiceCheckOptions = checkOptions ?? {}
      const tags =
        rawTags == null ? undefined : typeof rawTags === 'object' ? tagReader.read(rawTags) : undefined
      if (
        (rawTags != null && tags === undefined) ||
        (hostname !== undefined && typeof hostname !== 'string')
      ) {
        counters.droppedInvalid++
        return
      }
      const fields = budget.checkFields(name, hostname, tags, message)
      if (fields === 'oversize') {
        counters.droppedOversize++
        return
      }
      sender.check(fields.name, code, { message: fields.message, hostname: fields.hostname }, tags)
    } catch {
      counters.droppedInvalid++
    }
  }

  /** Sends the held samples as multi-value lines into hot-shots' buffer. */
  function drainSamples(): void {
    if (!samples) return
    for (const { type, name, values, tags } of samples.drain()) {
      counters.droppedOversize += sender.samples(type, name, values, tags)
    }
  }

  /** Sends the aggregated counts and gauges and the held samples of the window into hot-shots' buffer. */
  function drainAggregates(): void {
    if (aggregationTimer !== undefined) clock.clearTimeout(aggregationTimer)
    aggregationTimer = undefined
    drainSamples()
    if (!aggregator) return
    for (const { type, name, value, tags } of aggregator.drain()) {
      // A sum may spell longer than the values that were checked one by one.
      if (budget.metricFits(name, value, tags, Number.POSITIVE_INFINITY))
        sender.metric(type, name, value, tags)
      else counters.droppedOversize++
    }
  }

  const sink = {
    increment: (name, value = 1, tags) => emit('c', name, value, tags),
    gauge: (name, value, tags) => emit('g', name, value, tags),
    timing: (name, ms, tags) => emit('ms', name, ms, tags),
    histogram: (name, value, tags) => emit('h', name, value, tags),
    serviceCheck,
    stats: () => ({ ...sender.stats(), ...counters, truncatedTags: tagReader.truncated }),
    client: sender.client,
    flush() {
      if (closed) return closing ?? Promise.resolve()
      drainAggregates()
      return sender.flush()
    },
    close() {
      if (closing) return closing
      closed = true
      drainAggregates()
      closing = sender.close()
      return closing
    },
  } satisfies DatadogMetrics
  resolved.lifecycle?.onShutdown('datadog metrics', () => sink.close(), { timeoutMs: SETTLE_BOUND_MS + 1000 })
  return sink
}
