import {
  type Clock,
  isTraceId,
  type LogDestination,
  METRIC,
  METRICS,
  type MetricKind,
  type MetricSink,
  type MetricUnit,
  mayHoldSecret,
  OptionError,
  scrubSecrets,
  systemClock,
  TAG,
  type Tags,
  type TimerHandle,
  type TraceSource,
} from '@vivr/core'
import { durationOption } from '@vivr/core/internal'
import { currentTrace } from '@vivr/core/node'
import { MAX_EVENT_MESSAGE_BYTES } from './limits.js'
import { integerAtLeast, optionalString } from './validate.js'

export interface CloudWatchMetricsOptions {
  /** CloudWatch namespace. @default 'VIVR' */
  namespace?: string
  /** Dimensions on every metric, e.g. `{ service: 'api', environment: 'production' }`; tags add to them. */
  dimensions?: Record<string, string>
  /**
   * Where the EMF lines go: a `cloudwatchLogs()` destination, or stdout where Lambda, the CloudWatch agent or
   * FireLens ships it. Not closed by this sink (it is usually shared with the logger). @default stdout
   */
  destination?: LogDestination
  /** Values are aggregated this long, then written as one line per dimension set; 0 writes each call at once. @default 1000 */
  flushIntervalMs?: number
  /** Distinct series (name + kind + tags) held before an early write. @default 1000 */
  maxSeries?: number
  /** @default systemClock (timers unref'd) */
  clock?: Clock
  /**
   * The active trace when a value is recorded. Each record carries one trace id as its `trace_id` property
   * (searchable in Logs Insights, not a dimension): the trace of its largest timing or histogram sample, else
   * of the last call that had a trace; with `flushIntervalMs: 0`, each call's own. Ids that are not valid W3C
   * trace ids are never written. `false` writes none.
   * @default core's active trace, `currentTrace` from `@vivr/core/node` (a registered tracer's span, else the request's)
   */
  trace?: TraceSource | false
  /**
   * Extra dimension sets, written in the same record (EMF lists several per metric, the values are not
   * repeated): each set is the `dimensions` option's names plus only the tags it names, so CloudWatch also
   * aggregates the metric over the tags it leaves out (an alarm cannot sum over status codes; it can read a
   * rollup). A record that lacks one of a set's tags is not written with that set. Each set is one more
   * CloudWatch metric per distinct value combination (billed as such). `SERVICE_ROLLUPS` holds the sets the
   * ops kit's CloudWatch dashboard and alarms read.
   * @default [] (one dimension set: every dimension)
   */
  rollups?: readonly EmfRollup[]
}

/** One extra dimension set of `cloudwatchMetrics` (its `rollups` option). */
export interface EmfRollup {
  /** The metrics (the kit's dotted names, `METRIC.*`) written with this set too. @default every metric */
  readonly metrics?: readonly string[]
  /** The tags kept as dimensions in this set, beside the `dimensions` option's; `[]` keeps only those. */
  readonly tags: readonly string[]
}

/**
 * The rollups `ops/aws` (the CloudWatch dashboard, the guide's alarms and the SLO burn-rate alarms) reads: the
 * request metrics per route and for the whole service, the database metrics for the whole service.
 */
export const SERVICE_ROLLUPS: readonly EmfRollup[] = [
  { metrics: [METRIC.httpRequests, METRIC.errors, METRIC.httpRequestDuration], tags: [TAG.route] },
  { metrics: [METRIC.httpRequests, METRIC.errors, METRIC.httpRequestDuration], tags: [] },
  { metrics: [METRIC.databaseQueryDuration, METRIC.databaseSlowQueries], tags: [] },
]

/** The record property holding the trace id: the field the kit's log lines carry it in, so one query finds both. */
const TRACE_PROPERTY = 'trace_id'

interface Series {
  kind: MetricKind
  name: string
  dimensions: Record<string, string>
  dimensionKeys: string[]
  /** Every dimension set the metric is written with: `dimensionKeys`, then the rollups that apply. */
  dimensionSets: string[][]
  /** Tags that could not be dimensions (over 30, or empty values): kept as searchable properties. */
  properties: Record<string, string>
  groupKey: string
  /** Counter sum or last gauge value. */
  value: number
  /** Timing and histogram samples (EMF allows up to 100 per metric per document). */
  values: number[]
  timestamp: number
  /** The exemplar: the trace of the largest sample (timings, histograms) or of the last traced call. */
  traceId: string | undefined
  /** The sample `traceId` came with (timings and histograms). */
  traceValue: number
  /** When `traceId` was taken, in calls: the latest wins among counters and gauges. */
  traceOrder: number
}

const UNITS: Record<MetricKind, string> = {
  increment: 'Count',
  gauge: 'None',
  timing: 'Milliseconds',
  histogram: 'None',
}
const VOCABULARY_UNITS: Readonly<Record<MetricUnit, string>> = {
  count: 'Count',
  milliseconds: 'Milliseconds',
  seconds: 'Seconds',
  bytes: 'Bytes',
  ratio: 'None',
  score: 'None',
  currency: 'None',
}

/**
 * The CloudWatch unit this sink writes a metric with: the vocabulary's for the kit's own metrics
 * (`health.check.latency` is in ms), else by kind. An alarm that names a unit must name this one.
 */
export function emfUnit(kind: MetricKind, name: string): string {
  const unit = METRICS.get(name)?.unit
  return unit === undefined ? UNITS[kind] : VOCABULARY_UNITS[unit]
}
const MAX_DIMENSIONS = 30
const MAX_VALUES = 100
const MAX_METRICS_PER_DOCUMENT = 100
const MAX_NAME_LENGTH = 255
const MAX_DIMENSION_VALUE_LENGTH = 1024
/** Tags past the 30 dimensions are kept as properties up to this many serialized bytes per document. */
const MAX_PROPERTY_BYTES = 64 * 1024

interface Rollup {
  metrics: ReadonlySet<string> | undefined
  tags: readonly string[]
}

const isDimensionName = (name: unknown): name is string =>
  typeof name === 'string' && name.length > 0 && name.length <= MAX_NAME_LENGTH && name !== '_aws'

/** The `rollups` option, checked: every set within CloudWatch's 30 dimensions with the global ones. */
function rollupsOption(value: unknown, globalNames: readonly string[]): Rollup[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new OptionError('rollups', value, 'an array of { metrics?, tags }')
  return value.map((rollup: unknown, index) => {
    const option = `rollups[${index}]`
    if (typeof rollup !== 'object' || rollup === null) {
      throw new OptionError(option, rollup, 'an object { metrics?: string[], tags: string[] }')
    }
    const { metrics, tags } = rollup as { metrics?: unknown; tags?: unknown }
    if (!Array.isArray(tags) || !tags.every(isDimensionName) || new Set(tags).size !== tags.length) {
      throw new OptionError(
        `${option}.tags`,
        tags,
        `an array of distinct tag names of 1–${MAX_NAME_LENGTH} characters, not _aws ([] for none)`,
      )
    }
    const names = new Set([...globalNames, ...tags])
    if (names.size > MAX_DIMENSIONS) {
      throw new OptionError(
        `${option}.tags`,
        tags,
        `at most ${MAX_DIMENSIONS} dimensions with the ${globalNames.length} of the dimensions option`,
      )
    }
    if (
      metrics !== undefined &&
      (!Array.isArray(metrics) ||
        metrics.length === 0 ||
        !metrics.every(
          (name) => typeof name === 'string' && name.length > 0 && name.length <= MAX_NAME_LENGTH,
        ))
    ) {
      throw new OptionError(
        `${option}.metrics`,
        metrics,
        `a non-empty array of metric names of 1–${MAX_NAME_LENGTH} characters (omit it for every metric)`,
      )
    }
    return { metrics: metrics === undefined ? undefined : new Set<string>(metrics), tags: [...tags] }
  })
}

/** A tag value with any credential masked: EMF documents are log lines, and secrets never leave. */
function scrubbed(value: string): string {
  return mayHoldSecret(value) ? scrubSecrets(value, MAX_DIMENSION_VALUE_LENGTH) : value
}

/**
 * A reader of a valid W3C trace id from the source, or undefined: the source may throw or return anything. The
 * id last found valid is kept, so the calls of one request validate it once.
 */
function traceIdReader(source: TraceSource | undefined): () => string | undefined {
  if (source === undefined) return () => undefined
  let last: string | undefined
  return () => {
    try {
      const traceId = source()?.traceId
      if (traceId === last) return last
      if (!isTraceId(traceId)) return undefined
      last = traceId
      return last
    } catch {
      return undefined
    }
  }
}

const isSample = (kind: MetricKind) => kind === 'timing' || kind === 'histogram'

/**
 * The one trace id a record carries: the trace of its largest timing or histogram sample (the slowest request is
 * the one worth opening), else of the last call that had a trace.
 */
function exemplarTraceId(members: readonly Series[]): string | undefined {
  let best: Series | undefined
  for (const m of members) {
    if (m.traceId === undefined) continue
    if (best === undefined) best = m
    else if (isSample(m.kind) !== isSample(best.kind)) {
      if (isSample(m.kind)) best = m
    } else if (
      isSample(m.kind)
        ? m.traceValue > best.traceValue ||
          (m.traceValue === best.traceValue && m.traceOrder > best.traceOrder)
        : m.traceOrder > best.traceOrder
    )
      best = m
  }
  return best?.traceId
}

/** At most `max` UTF-16 units of `text`, never ending on half a surrogate pair. */
function sliceChars(text: string, max: number): string {
  if (text.length <= max) return text
  const code = text.charCodeAt(max - 1)
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max)
}

function stdoutDestination(): LogDestination {
  return {
    write(line) {
      try {
        process.stdout.write(`${line}\n`)
      } catch {
        // stdout closed: nothing to do.
      }
    },
  }
}

/**
 * A MetricSink that writes CloudWatch Embedded Metric Format documents to a log destination, so metrics reach
 * CloudWatch with the logs, with no PutMetricData calls. Counters are summed, gauges keep their last value,
 * timings and histograms keep every sample, per flush interval.
 */
export function cloudwatchMetrics(options: CloudWatchMetricsOptions = {}): MetricSink {
  const namespace =
    optionalString('namespace', options.namespace, /^[^:]{1,255}$/, 'a namespace (1–255 characters, no :)') ??
    'VIVR'
  const globalDimensions = options.dimensions ?? {}
  if (typeof globalDimensions !== 'object' || globalDimensions === null) {
    throw new OptionError('dimensions', globalDimensions, 'an object of string values')
  }
  for (const [key, value] of Object.entries(globalDimensions)) {
    if (key.length === 0 || key.length > MAX_NAME_LENGTH || key === '_aws') {
      throw new OptionError('dimensions', key, `dimension names of 1–${MAX_NAME_LENGTH} characters, not _aws`)
    }
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_DIMENSION_VALUE_LENGTH) {
      throw new OptionError(
        `dimensions.${key}`,
        value,
        `a string of 1–${MAX_DIMENSION_VALUE_LENGTH} characters`,
      )
    }
  }
  if (Object.keys(globalDimensions).length > MAX_DIMENSIONS) {
    throw new OptionError('dimensions', globalDimensions, `at most ${MAX_DIMENSIONS} dimensions`)
  }
  const destination = options.destination ?? stdoutDestination()
  if (typeof destination?.write !== 'function') {
    throw new OptionError('destination', destination, 'a log destination ({ write(line) })')
  }
  const globalNames = Object.keys(globalDimensions)
  const rollups = rollupsOption(options.rollups, globalNames)
  const flushIntervalMs = durationOption('flushIntervalMs', options.flushIntervalMs) ?? 1000
  const maxSeries = integerAtLeast('maxSeries', options.maxSeries, 1) ?? 1000
  const clock = options.clock ?? systemClock
  const traceOption = options.trace
  if (traceOption !== undefined && traceOption !== false && typeof traceOption !== 'function') {
    throw new OptionError('trace', traceOption, 'a function returning the active trace ids, or false')
  }
  // By default core's active trace: a registered tracer's span, else the request context's (docs/tracing.md).
  const readTraceId = traceIdReader(traceOption === undefined ? currentTrace : traceOption || undefined)
  let calls = 0
  const series = new Map<string, Series>()
  let timer: TimerHandle | undefined
  let closed = false

  function describe(name: string, tags: Tags | undefined) {
    const dimensions: Record<string, string> = { ...globalDimensions }
    const properties: Record<string, string> = {}
    let count = Object.keys(dimensions).length
    let propertyBytes = 0
    for (const key of Object.keys(tags ?? {}).sort()) {
      const raw = tags?.[key]
      // A name CloudWatch would refuse as a dimension is not kept as a property either.
      if (key.length === 0 || key.length > MAX_NAME_LENGTH || key === '_aws' || key === name) continue
      if (raw === undefined) continue
      const value = scrubbed(sliceChars(String(raw), MAX_DIMENSION_VALUE_LENGTH))
      if (value.length > 0 && (key in dimensions || count < MAX_DIMENSIONS)) {
        if (!(key in dimensions)) count++
        dimensions[key] = value
      } else {
        // Properties are extras for Logs Insights: bounded, so a tag flood cannot outgrow the event limit.
        const bytes = Buffer.byteLength(JSON.stringify(key)) + Buffer.byteLength(JSON.stringify(value)) + 2
        if (propertyBytes + bytes > MAX_PROPERTY_BYTES) continue
        propertyBytes += bytes
        properties[key] = value
      }
    }
    const dimensionKeys = Object.keys(dimensions)
    const groupKey = JSON.stringify([dimensions, properties])
    return { dimensions, dimensionKeys, properties, groupKey }
  }

  /** The record's own dimension set, then each rollup that applies to this metric and these tags (no duplicate). */
  function dimensionSetsOf(name: string, dimensionKeys: string[]): string[][] {
    const sets = [dimensionKeys]
    if (rollups.length === 0) return sets
    const present = new Set(dimensionKeys)
    const seen = new Set([[...dimensionKeys].sort().join('\u0000')])
    for (const rollup of rollups) {
      if (rollup.metrics !== undefined && !rollup.metrics.has(name)) continue
      if (!rollup.tags.every((tag) => present.has(tag))) continue
      const set = [...globalNames, ...rollup.tags.filter((tag) => !(tag in globalDimensions))]
      const key = [...set].sort().join('\u0000')
      if (seen.has(key)) continue
      seen.add(key)
      sets.push(set)
    }
    return sets
  }

  /**
   * One EMF document; `withProperties: false` leaves out the searchable extras (not the trace id). A tag or a
   * metric named `trace_id` keeps its value: the trace id is written first, so either overwrites it.
   */
  function serialize(members: readonly Series[], withProperties = true): string {
    const first = members[0]!
    const traceId = exemplarTraceId(members)
    // One directive per distinct list of dimension sets (metrics with and without rollups share a document).
    const directives = new Map<string, { Namespace: string; Dimensions: string[][]; Metrics: object[] }>()
    for (const m of members) {
      const key = JSON.stringify(m.dimensionSets)
      let directive = directives.get(key)
      if (!directive) {
        directive = { Namespace: namespace, Dimensions: m.dimensionSets, Metrics: [] }
        directives.set(key, directive)
      }
      directive.Metrics.push({ Name: m.name, Unit: emfUnit(m.kind, m.name) })
    }
    const document: Record<string, unknown> = {
      _aws: {
        Timestamp: Math.min(...members.map((m) => m.timestamp)),
        CloudWatchMetrics: [...directives.values()],
      },
      ...(traceId === undefined ? {} : { [TRACE_PROPERTY]: traceId }),
      ...(withProperties ? first.properties : {}),
      ...first.dimensions,
    }
    for (const m of members) {
      document[m.name] = m.kind === 'timing' || m.kind === 'histogram' ? m.values : m.value
    }
    return JSON.stringify(document)
  }

  /**
   * Documents for one group of metrics, each within the CloudWatch Logs event limit: a document over it is
   * split in halves; a single metric over it (only with extreme dimension values) loses its properties.
   */
  function serializeWithin(members: readonly Series[], out: string[]) {
    const line = serialize(members)
    if (Buffer.byteLength(line) <= MAX_EVENT_MESSAGE_BYTES) out.push(line)
    else if (members.length > 1) {
      const half = Math.ceil(members.length / 2)
      serializeWithin(members.slice(0, half), out)
      serializeWithin(members.slice(half), out)
    } else out.push(serialize(members, false))
  }

  function documentsFor(batch: Iterable<Series>): string[] {
    const groups = new Map<string, Array<{ series: Series[]; names: Set<string> }>>()
    for (const s of batch) {
      const docs = groups.get(s.groupKey) ?? []
      groups.set(s.groupKey, docs)
      let doc = docs.find((d) => !d.names.has(s.name) && d.series.length < MAX_METRICS_PER_DOCUMENT)
      if (!doc) {
        doc = { series: [], names: new Set() }
        docs.push(doc)
      }
      doc.series.push(s)
      doc.names.add(s.name)
    }
    const lines: string[] = []
    for (const docs of groups.values()) {
      for (const { series: members } of docs) serializeWithin(members, lines)
    }
    return lines
  }

  function emit(batch: Iterable<Series>) {
    for (const line of documentsFor(batch)) {
      try {
        destination.write(line)
      } catch {
        // Destinations promise not to throw; this keeps a broken one from breaking metrics calls.
      }
    }
  }

  function writePending() {
    if (timer !== undefined) {
      clock.clearTimeout(timer)
      timer = undefined
    }
    if (series.size === 0) return
    const batch = [...series.values()]
    series.clear()
    emit(batch)
  }

  function record(kind: MetricKind, rawName: string, value: number, tags: Tags | undefined) {
    if (closed || typeof rawName !== 'string' || rawName.length === 0 || !Number.isFinite(value)) return
    const name = sliceChars(rawName, MAX_NAME_LENGTH)
    const traceId = readTraceId()
    const { dimensions, dimensionKeys, properties, groupKey } = describe(name, tags)
    const key = `${kind}\u0000${name}\u0000${groupKey}`
    let entry = series.get(key)
    if (!entry) {
      if (series.size >= maxSeries) writePending()
      entry = {
        kind,
        name,
        dimensions,
        dimensionKeys,
        dimensionSets: dimensionSetsOf(name, dimensionKeys),
        properties,
        groupKey,
        value: 0,
        values: [],
        timestamp: clock.now(),
        traceId: undefined,
        traceValue: Number.NEGATIVE_INFINITY,
        traceOrder: 0,
      }
      series.set(key, entry)
    }
    if (kind === 'increment') entry.value += value
    else if (kind === 'gauge') entry.value = value
    else entry.values.push(value)
    if (traceId !== undefined && (!isSample(kind) || value >= entry.traceValue)) {
      entry.traceId = traceId
      entry.traceValue = value
      entry.traceOrder = ++calls
    }
    if (flushIntervalMs === 0) return writePending()
    if (entry.values.length >= MAX_VALUES) {
      series.delete(key)
      emit([entry])
    }
    if (timer === undefined && series.size > 0) timer = clock.setTimeout(writePending, flushIntervalMs)
  }

  const guarded =
    (kind: MetricKind) =>
    (name: string, value: number, tags?: Tags): void => {
      try {
        record(kind, name, value, tags)
      } catch {
        // A metrics call never throws into the application.
      }
    }

  const increment = guarded('increment')
  return {
    increment: (name, value = 1, tags) => increment(name, value, tags),
    gauge: guarded('gauge'),
    timing: guarded('timing'),
    histogram: guarded('histogram'),
    async flush() {
      writePending()
      await destination.flush?.()
    },
    async close() {
      if (closed) return
      writePending()
      closed = true
      await destination.flush?.()
    },
  } satisfies MetricSink
}
