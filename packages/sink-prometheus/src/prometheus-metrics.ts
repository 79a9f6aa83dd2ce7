import {
  type Logger,
  type MetricKind,
  type MetricSink,
  messageOf,
  noopLogger,
  OptionError,
  scrubSecrets,
  type Tags,
  type TraceSource,
} from '@vivr/core'
import { booleanOption, positiveIntegerOption, renamedOptions } from '@vivr/core/internal'
import { collectDefaultMetrics, Registry, type RegistryContentType } from 'prom-client'
import { Family, type FamilyType, register } from './family.js'
import {
  inSeconds,
  normalizePrefix,
  OTEL_HTTP_DURATION_BUCKETS,
  prometheusName,
  VOCABULARY_NAMES,
} from './names.js'
import {
  hasJsonMetrics,
  OPENMETRICS_CONTENT_TYPE,
  openMetricsText,
  prefersOpenMetrics,
} from './openmetrics.js'
import { traceOption, traceReader } from './trace.js'

export interface PrometheusMetricsOptions {
  /** Where the metrics are registered and scraped from; pass yours to serve them beside your own. @default a new Registry */
  registry?: Registry<RegistryContentType>
  /** Before every name: `'vivr'` gives `vivr_http_requests_total`. @default '' */
  prefix?: string
  /** Histogram bucket upper bounds: seconds for timings, the value's own unit for histograms. @default OTEL_HTTP_DURATION_BUCKETS */
  buckets?: readonly number[]
  /** Buckets for single metrics, by dotted name: `{ 'order.average_value': [10, 25, 50, 100, 250] }`. */
  bucketsByName?: Readonly<Record<string, readonly number[]>>
  /**
   * Also collect prom-client's default process and Node.js metrics (`process_cpu_seconds_total`,
   * `nodejs_eventloop_lag_seconds`…) into the registry. Off by default: a registry collects them once, and yours
   * may already. @default false
   */
  defaultMetrics?: boolean
  /** Distinct tag (label) sets per metric; later new sets keep their label names with every value `other`. @default 1000 */
  maxTagSets?: number
  /** Dotted name → Prometheus base name, applied before the kind's suffix. @default VOCABULARY_NAMES */
  names?: Readonly<Record<string, string>>
  /** `# HELP` text by dotted name. @default the dotted name and the kind */
  help?: Readonly<Record<string, string>>
  /** Gets one warning per metric that hits the label-set limit or a name clash. */
  logger?: Logger
  /**
   * The active trace when a timing or histogram value is recorded: its ids become the bucket's exemplar
   * (`trace_id`, `span_id`), served when the scraper asks for OpenMetrics. Ids that are not valid W3C ids are
   * never attached. `false` records no exemplars.
   * @default core's active trace, `currentTrace` from `@vivr/core/node` (a registered tracer's span, else the request's)
   */
  trace?: TraceSource | false
}

export interface PrometheusSinkStats {
  /** Metrics this sink created. */
  metrics: number
  /** Series across them. */
  series: number
  /** Label sets folded into `other` after a metric reached `maxTagSets`. */
  foldedLabelSets: number
  /**
   * Calls with a value that is not a finite number (or negative, for increments and timings), a name with
   * nothing usable or longer than 1024 characters, or tags that are not a plain object of at most 64 strings,
   * numbers or booleans (an array, a Buffer, an object as a value, a Proxy or getter that throws).
   */
  droppedInvalid: number
  /** Calls whose Prometheus name is taken by a metric of another type (here or in the registry). */
  droppedConflict: number
  /**
   * Calls whose label names (not values) vary so much that, even with every value folded into `other`, they would
   * make a new series past twice `maxTagSets`.
   */
  droppedTooManySeries: number
  /** Calls for new metric names after the sink held its limit of distinct metrics (10,000). */
  droppedTooManyMetrics: number
  droppedAfterClose: number
}

export interface PrometheusMetrics extends MetricSink {
  /**
   * `GET /metrics`: the registry in the OpenMetrics text format, exemplars included, when the request's `Accept`
   * asks for it (Prometheus does); else in the Prometheus text format (`text/plain; version=0.0.4`).
   */
  metricsHandler(request: Request): Promise<Response>
  readonly registry: Registry<RegistryContentType>
  /** The Prometheus name a call produces: `nameOf('timing', 'http.request.duration')` → `http_request_duration_seconds`. */
  nameOf(kind: MetricKind, name: string): string | undefined
  stats(): PrometheusSinkStats
  flush(): Promise<void>
  /** Stops recording; the metrics stay registered, so a scrape during shutdown still sees them. */
  close(): Promise<void>
}

const MAX_METRICS = 10_000
/** Longest dotted name taken: a longer one is a mistake (a URL, a payload), not a metric name. */
const MAX_NAME_CHARS = 1024
const TYPE_OF: Record<MetricKind, FamilyType> = {
  increment: 'counter',
  gauge: 'gauge',
  timing: 'histogram',
  histogram: 'histogram',
}

function bucketList(option: string, value: unknown): readonly number[] | undefined {
  if (value === undefined) return undefined
  const valid =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((b, i) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b > value[i - 1]))
  if (!valid) throw new OptionError(option, value, 'a non-empty array of finite numbers in increasing order')
  return [...value]
}

function stringRecord(option: string, value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OptionError(option, value, 'an object of strings')
  }
  const out: Record<string, string> = {}
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string' || entry === '')
      throw new OptionError(`${option}.${key}`, entry, 'a non-empty string')
    out[key] = entry
  }
  return out
}

function validate(options: PrometheusMetricsOptions) {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', options, 'an object')
  // Duck-typed, not instanceof: the app's prom-client may be another copy than ours.
  const registry: unknown = options.registry
  if (
    registry !== undefined &&
    (typeof registry !== 'object' ||
      registry === null ||
      !('registerMetric' in registry && typeof registry.registerMetric === 'function') ||
      !('metrics' in registry && typeof registry.metrics === 'function'))
  ) {
    throw new OptionError('registry', registry, 'a prom-client Registry')
  }
  const prefix = options.prefix ?? ''
  if (typeof prefix !== 'string' || (prefix !== '' && normalizePrefix(prefix) === '')) {
    throw new OptionError('prefix', prefix, 'a string with a letter or digit')
  }
  renamedOptions(options, { maxLabelSets: 'maxTagSets' })
  const maxTagSets = positiveIntegerOption('maxTagSets', options.maxTagSets) ?? 1000
  booleanOption('defaultMetrics', options.defaultMetrics)
  if (options.logger !== undefined && typeof options.logger?.warn !== 'function') {
    throw new OptionError('logger', options.logger, 'a Logger')
  }
  const bucketsByName: Record<string, readonly number[]> = {}
  if (options.bucketsByName !== undefined) {
    if (typeof options.bucketsByName !== 'object' || options.bucketsByName === null) {
      throw new OptionError('bucketsByName', options.bucketsByName, 'an object')
    }
    for (const [name, list] of Object.entries(options.bucketsByName)) {
      bucketsByName[name] = bucketList(`bucketsByName.${name}`, list) ?? []
    }
  }
  return {
    prefix,
    maxTagSets,
    buckets: bucketList('buckets', options.buckets) ?? OTEL_HTTP_DURATION_BUCKETS,
    bucketsByName,
    names: stringRecord('names', options.names) ?? VOCABULARY_NAMES,
    help: stringRecord('help', options.help) ?? {},
  }
}

const sameBuckets = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((bound, i) => bound === b[i])

/**
 * A MetricSink on a prom-client registry, with Prometheus naming (`http.requests` → `http_requests_total`,
 * timings in ms → `_seconds` histograms), label sets bounded per metric, and a fetch-style `/metrics` handler.
 * Never throws from a metric call.
 */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const settings = validate(options)
  const readTrace = traceReader(traceOption(options.trace))
  const registry: Registry<RegistryContentType> = options.registry ?? new Registry()
  const logger = options.logger ?? noopLogger
  const families: Record<MetricKind, Map<string, Family | null>> = {
    increment: new Map(),
    gauge: new Map(),
    timing: new Map(),
    histogram: new Map(),
  }
  /** Every Prometheus name in use, including the `_bucket`, `_sum` and `_count` series of histograms. */
  const taken = new Map<string, Family>()
  const created: Family[] = []
  const counters = {
    droppedInvalid: 0,
    droppedConflict: 0,
    droppedTooManyMetrics: 0,
    droppedAfterClose: 0,
  }
  let closed = false

  function warn(message: string, context: Record<string, unknown>) {
    try {
      logger.warn(message, context)
    } catch {
      // A broken logger must not break a metric call.
    }
  }

  if (options.defaultMetrics) {
    try {
      collectDefaultMetrics({ register: registry })
    } catch (error) {
      warn('prometheus metrics: default metrics not collected', { reason: scrubSecrets(messageOf(error)) })
    }
  }

  // Names already warned about: a dotted name that is not remembered (past the bound below) comes back here.
  const conflicts = new Set<string>()
  function warnConflict(name: string, type: FamilyType) {
    if (conflicts.has(name) || conflicts.size >= MAX_METRICS) return
    conflicts.add(name)
    warn('prometheus metrics: name already used by another metric; calls dropped', { metric: name, type })
  }

  const nameOf = (kind: MetricKind, name: string) =>
    prometheusName(kind, name, { prefix: settings.prefix, names: settings.names })

  function createFamily(kind: MetricKind, dotted: string): Family | null {
    const name = nameOf(kind, dotted)
    if (name === undefined) return null
    const type = TYPE_OF[kind]
    // Own keys only: a metric named `constructor` or `__proto__` must not find Object.prototype's members.
    const bounds =
      (Object.hasOwn(settings.bucketsByName, dotted) && settings.bucketsByName[dotted]) || settings.buckets
    const existing = taken.get(name)
    if (existing) {
      if (existing.name === name && existing.type === type && sameBuckets(existing.bounds, bounds))
        return existing
      warnConflict(name, type)
      return null
    }
    const derived = type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : []
    if (derived.some((n) => taken.has(n) || registry.getSingleMetric(n))) {
      warnConflict(name, type)
      return null
    }
    const help =
      (Object.hasOwn(settings.help, dotted) && settings.help[dotted]) ||
      `${dotted} (${kind}${inSeconds(kind, dotted) ? ', seconds' : ''})`
    const family = new Family(name, help, type, bounds, settings.maxTagSets, (folded) =>
      warn('prometheus metrics: label-set limit reached; new label values are recorded as "other"', {
        metric: folded.name,
        maxTagSets: settings.maxTagSets,
      }),
    )
    if (!register(family, registry)) {
      warn('prometheus metrics: the registry already has a metric of this name; calls dropped', {
        metric: name,
      })
      return null
    }
    taken.set(name, family)
    for (const n of derived) taken.set(n, family)
    created.push(family)
    return family
  }

  function familyFor(kind: MetricKind, name: string): Family | undefined {
    const byName = families[kind]
    const known = byName.get(name)
    if (known !== undefined) {
      if (known === null) counters.droppedConflict++
      return known ?? undefined
    }
    if (typeof name !== 'string' || nameOf(kind, name) === undefined) {
      counters.droppedInvalid++
      return undefined
    }
    if (created.length >= MAX_METRICS && !taken.has(nameOf(kind, name) ?? '')) {
      counters.droppedTooManyMetrics++
      return undefined
    }
    const family = createFamily(kind, name)
    // Spellings that alias one metric (`a.b`, `a..b`, `a-b`) are endless: past the bound, they pay the slow path.
    if (byName.size < MAX_METRICS) byName.set(name, family)
    if (!family) counters.droppedConflict++
    return family ?? undefined
  }

  function accept(kind: MetricKind, name: string, value: number, tags: Tags | undefined): Family | undefined {
    if (closed) {
      counters.droppedAfterClose++
      return undefined
    }
    const valid =
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (value >= 0 || kind === 'gauge' || kind === 'histogram')
    if (
      !valid ||
      (tags != null && typeof tags !== 'object') ||
      typeof name !== 'string' ||
      name.length > MAX_NAME_CHARS
    ) {
      counters.droppedInvalid++
      return undefined
    }
    return familyFor(kind, name)
  }

  /**
   * One call, recorded. Whatever the caller passes, this never throws: what cannot be recorded is dropped and
   * counted, a tag set that throws when read (a Proxy, a getter) too.
   */
  function record(kind: MetricKind, name: string, value: number, tags: Tags | undefined): void {
    try {
      const family = accept(kind, name, value, tags)
      if (!family) return
      const series = family.series(tags)
      // 'too many series' is counted by the family.
      if (series === 'not a tag set') counters.droppedInvalid++
      else if (series === 'too many series') return
      else if (kind === 'increment') series.value += value
      else if (kind === 'gauge') series.value = inSeconds(kind, name) ? value / 1000 : value
      else family.observe(series, kind === 'timing' ? value / 1000 : value, readTrace())
    } catch {
      counters.droppedInvalid++
    }
  }

  return {
    increment: (name, value = 1, tags) => record('increment', name, value, tags),
    gauge: (name, value, tags) => record('gauge', name, value, tags),
    timing: (name, ms, tags) => record('timing', name, ms, tags),
    histogram: (name, value, tags) => record('histogram', name, value, tags),
    async metricsHandler(request) {
      let method: unknown
      try {
        method = request.method
      } catch {
        method = undefined
      }
      if (method !== 'GET' && method !== 'HEAD') {
        return new Response('method not allowed\n', { status: 405, headers: { allow: 'GET, HEAD' } })
      }
      let accept: string | null
      try {
        accept = request.headers.get('accept')
      } catch {
        accept = null
      }
      try {
        const openMetrics = prefersOpenMetrics(accept) && hasJsonMetrics(registry)
        const body = openMetrics ? await openMetricsText(registry) : await registry.metrics()
        return new Response(method === 'HEAD' ? null : body, {
          headers: {
            'content-type': openMetrics ? OPENMETRICS_CONTENT_TYPE : registry.contentType,
            'cache-control': 'no-store',
            vary: 'accept',
          },
        })
      } catch (error) {
        // A failing collector (yours or a default one) answers 500 with a reason, never an unhandled rejection.
        return new Response(`# metrics collection failed: ${scrubSecrets(messageOf(error))}\n`, {
          status: 500,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        })
      }
    },
    registry,
    nameOf,
    stats: () => ({
      ...counters,
      metrics: created.length,
      series: created.reduce((sum, family) => sum + family.size, 0),
      foldedLabelSets: created.reduce((sum, family) => sum + family.folded, 0),
      droppedTooManySeries: created.reduce((sum, family) => sum + family.dropped, 0),
    }),
    flush: async () => {},
    close: async () => {
      closed = true
    },
  } satisfies PrometheusMetrics
}
