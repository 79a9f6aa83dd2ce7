import type { CheckStatus, OverallStatus } from './health/check.js'
import type { MetricKind } from './telemetry/metrics.js'

/*
 * The kit's one vocabulary: every metric name, tag key and unit any @vivr package emits is spelled here and
 * nowhere else (`npm run lint` fails on a metric name written as a string literal in a package). Names are
 * dotted and backend-neutral; each sink only translates them (Prometheus: `_total` / `_seconds` and the base
 * names below; Datadog: its prefix; CloudWatch EMF: the unit). docs/vocabulary.md is generated from this file.
 */

/** Tag keys (Prometheus labels, Datadog tags, EMF dimensions). */
export const TAG = {
  /** The HTTP method, upper case as received. */
  method: 'method',
  /** The route template (`/products/[id]`, `/orders/:id`), never the raw path; `unmatched` when none matched. */
  route: 'route',
  /** The response status code as a number (499: the client left first). */
  statusCode: 'status_code',
  /** A health check's name. */
  check: 'check',
  /** A Prisma model (`Order`), `unknown` for raw queries. */
  model: 'model',
  /** A Prisma operation (`findMany`). */
  operation: 'operation',
  /** The kind of a garbage collection: `minor`, `major`, `incremental`, `weakcb` (`other` for any kind V8 adds). */
  gcKind: 'kind',
} as const

export type TagKey = (typeof TAG)[keyof typeof TAG]

/** Units, named the way a sink needs to translate them. */
export type MetricUnit = 'count' | 'milliseconds' | 'seconds' | 'bytes' | 'ratio' | 'score' | 'currency'

/** The OpenTelemetry semantic-convention twin of a metric, for the OTLP export that will follow. */
export interface OtelTwin {
  readonly name: string
  readonly unit: string
  /** Our tag key → the OpenTelemetry attribute that carries it. */
  readonly attributes: Readonly<Partial<Record<TagKey, string>>>
}

export interface MetricDefinition {
  readonly name: string
  readonly kind: MetricKind
  readonly unit: MetricUnit
  readonly tags: readonly TagKey[]
  readonly description: string
  /** The Prometheus base name (before `_total` / `_seconds`) when it is not the dotted name with underscores. */
  readonly prometheusBase?: string
  readonly otel?: OtelTwin
}

/** Every metric name the kit emits, by what it means. */
export const METRIC = {
  httpRequests: 'http.requests',
  httpRequestDuration: 'http.request.duration',
  errors: 'errors.count',
  databaseQueryDuration: 'database.query.duration',
  databaseSlowQueries: 'database.slow_queries',
  healthStatus: 'health.status',
  healthCheckStatus: 'health.check.status',
  healthCheckLatency: 'health.check.latency',
  ordersCreated: 'orders.created',
  revenueProcessed: 'revenue.processed',
  conversionRate: 'conversion.rate',
  averageOrderValue: 'order.average_value',
  customerSignups: 'customers.signups',
  cartAbandoned: 'cart.abandoned',
  apiResponseTime: 'api.response_time',
  cacheHitRate: 'cache.hit_rate',
  paymentFailureRate: 'payments.failure_rate',
  pageLoadTime: 'page.load_time',
  eventLoopDelayP50: 'runtime.event_loop.delay.p50',
  eventLoopDelayP99: 'runtime.event_loop.delay.p99',
  eventLoopDelayMax: 'runtime.event_loop.delay.max',
  eventLoopUtilization: 'runtime.event_loop.utilization',
  gcPause: 'runtime.gc.pause',
  heapUsed: 'runtime.heap.used',
  heapTotal: 'runtime.heap.total',
  rss: 'runtime.rss',
  activeHandles: 'runtime.active_handles',
} as const

export type MetricName = (typeof METRIC)[keyof typeof METRIC]

/** Datadog service checks: `<SERVICE_CHECK.health>.<check name>` per health check. */
export const SERVICE_CHECK = { health: 'health' } as const

const HTTP_TAGS = [TAG.method, TAG.route, TAG.statusCode] as const
const HTTP_OTEL_ATTRIBUTES = {
  [TAG.method]: 'http.request.method',
  [TAG.route]: 'http.route',
  [TAG.statusCode]: 'http.response.status_code',
} as const
const QUERY_TAGS = [TAG.model, TAG.operation] as const

const definitions: readonly MetricDefinition[] = [
  {
    name: METRIC.httpRequests,
    kind: 'increment',
    unit: 'count',
    tags: HTTP_TAGS,
    description: 'Requests answered, counted once when the response has been sent (499 if the client left).',
    otel: { name: 'http.server.request.duration', unit: 's', attributes: HTTP_OTEL_ATTRIBUTES },
  },
  {
    name: METRIC.httpRequestDuration,
    kind: 'timing',
    unit: 'milliseconds',
    tags: HTTP_TAGS,
    description: 'Time from the request arriving to the last byte of the response.',
    otel: { name: 'http.server.request.duration', unit: 's', attributes: HTTP_OTEL_ATTRIBUTES },
  },
  {
    name: METRIC.errors,
    kind: 'increment',
    unit: 'count',
    tags: HTTP_TAGS,
    description: 'Requests answered with a 5xx status (and errors counted by `TechnicalMetrics.errorRate`).',
  },
  {
    name: METRIC.databaseQueryDuration,
    kind: 'timing',
    unit: 'milliseconds',
    tags: QUERY_TAGS,
    description: 'Time one database query took (checks-prisma; `TechnicalMetrics.databaseQueryTime`).',
    otel: {
      name: 'db.client.operation.duration',
      unit: 's',
      attributes: { [TAG.model]: 'db.collection.name', [TAG.operation]: 'db.operation.name' },
    },
  },
  {
    name: METRIC.databaseSlowQueries,
    kind: 'increment',
    unit: 'count',
    tags: QUERY_TAGS,
    description: 'Queries slower than the slow-query threshold.',
    prometheusBase: 'slow_queries',
  },
  {
    name: METRIC.healthStatus,
    kind: 'gauge',
    unit: 'score',
    tags: [],
    description: 'Overall health on every fresh report: 1 healthy, 0.5 degraded, 0 unhealthy.',
  },
  {
    name: METRIC.healthCheckStatus,
    kind: 'gauge',
    unit: 'score',
    tags: [TAG.check],
    description: 'One check on every fresh report: 1 ok, 0.5 degraded, 0 error.',
  },
  {
    name: METRIC.healthCheckLatency,
    kind: 'gauge',
    unit: 'milliseconds',
    tags: [TAG.check],
    description: "How long the check's last run took.",
  },
  {
    name: METRIC.ordersCreated,
    kind: 'increment',
    unit: 'count',
    tags: [],
    description: 'Orders created (BusinessMetrics).',
  },
  {
    name: METRIC.revenueProcessed,
    kind: 'gauge',
    unit: 'currency',
    tags: [],
    description: 'Revenue of the last order processed (BusinessMetrics).',
  },
  {
    name: METRIC.conversionRate,
    kind: 'gauge',
    unit: 'ratio',
    tags: [],
    description: 'Conversion rate, 0–1 (BusinessMetrics).',
  },
  {
    name: METRIC.averageOrderValue,
    kind: 'gauge',
    unit: 'currency',
    tags: [],
    description: 'Average order value (BusinessMetrics).',
  },
  {
    name: METRIC.customerSignups,
    kind: 'increment',
    unit: 'count',
    tags: [],
    description: 'Customers signed up (BusinessMetrics).',
  },
  {
    name: METRIC.cartAbandoned,
    kind: 'increment',
    unit: 'count',
    tags: [],
    description: 'Carts abandoned (BusinessMetrics).',
  },
  {
    name: METRIC.apiResponseTime,
    kind: 'timing',
    unit: 'milliseconds',
    tags: [],
    description: 'An API response time you measure yourself (TechnicalMetrics).',
  },
  {
    name: METRIC.cacheHitRate,
    kind: 'gauge',
    unit: 'ratio',
    tags: [],
    description: 'Cache hit rate, 0–1 (TechnicalMetrics).',
  },
  {
    name: METRIC.paymentFailureRate,
    kind: 'gauge',
    unit: 'ratio',
    tags: [],
    description: 'Share of payments failing, 0–1 (TechnicalMetrics).',
  },
  {
    name: METRIC.pageLoadTime,
    kind: 'timing',
    unit: 'milliseconds',
    tags: [],
    description: 'A page load time reported from the browser (TechnicalMetrics).',
  },
  // Runtime metrics (`runtimeMetrics()` from @vivr/core/node), one value per collection interval.
  {
    name: METRIC.eventLoopDelayP50,
    kind: 'gauge',
    unit: 'milliseconds',
    tags: [],
    description:
      'Median event-loop delay over the last interval: how late a 10 ms timer ran, the resolution subtracted (`monitorEventLoopDelay`, on while the loop is over 1 % busy; a quieter loop reports its busy time, an upper bound).',
    otel: { name: 'nodejs.eventloop.delay.p50', unit: 's', attributes: {} },
  },
  {
    name: METRIC.eventLoopDelayP99,
    kind: 'gauge',
    unit: 'milliseconds',
    tags: [],
    description:
      '99th-percentile event-loop delay over the last interval; the EventLoopDelayHigh alert in `ops/prometheus/rules.yml` reads it.',
    otel: { name: 'nodejs.eventloop.delay.p99', unit: 's', attributes: {} },
  },
  {
    name: METRIC.eventLoopDelayMax,
    kind: 'gauge',
    unit: 'milliseconds',
    tags: [],
    description: 'Longest event-loop delay over the last interval: the longest the loop was blocked.',
    otel: { name: 'nodejs.eventloop.delay.max', unit: 's', attributes: {} },
  },
  {
    name: METRIC.eventLoopUtilization,
    kind: 'gauge',
    unit: 'ratio',
    tags: [],
    description:
      'Share of the last interval the event loop spent running code rather than waiting for I/O, 0–1 (`performance.eventLoopUtilization`).',
    otel: { name: 'nodejs.eventloop.utilization', unit: '1', attributes: {} },
  },
  {
    name: METRIC.gcPause,
    kind: 'increment',
    unit: 'seconds',
    tags: [TAG.gcKind],
    description:
      'Time spent in garbage-collection pauses, a counter in seconds by kind: `rate()` of it is the share of time spent in GC.',
    prometheusBase: 'runtime_gc_pause_seconds',
    otel: { name: 'v8js.gc.duration', unit: 's', attributes: { [TAG.gcKind]: 'v8js.gc.type' } },
  },
  {
    name: METRIC.heapUsed,
    kind: 'gauge',
    unit: 'bytes',
    tags: [],
    description:
      'V8 heap in use (`process.memoryUsage().heapUsed`; the OpenTelemetry twin is per heap space).',
    prometheusBase: 'runtime_heap_used_bytes',
    otel: { name: 'v8js.memory.heap.used', unit: 'By', attributes: {} },
  },
  {
    name: METRIC.heapTotal,
    kind: 'gauge',
    unit: 'bytes',
    tags: [],
    description:
      'V8 heap allocated (`process.memoryUsage().heapTotal`; the OpenTelemetry twin is per heap space).',
    prometheusBase: 'runtime_heap_total_bytes',
    otel: { name: 'v8js.memory.heap.space.size', unit: 'By', attributes: {} },
  },
  {
    name: METRIC.rss,
    kind: 'gauge',
    unit: 'bytes',
    tags: [],
    description:
      'Resident set size: all the memory the process holds in RAM, the V8 heap and everything outside it (Buffers, native code).',
    prometheusBase: 'runtime_rss_bytes',
    otel: { name: 'process.memory.usage', unit: 'By', attributes: {} },
  },
  {
    name: METRIC.activeHandles,
    kind: 'gauge',
    unit: 'count',
    tags: [],
    description:
      'Resources keeping the event loop alive (`process.getActiveResourcesInfo()`: sockets, servers, timers…); a steady climb is a leak.',
    otel: { name: 'v8js.resource.active', unit: '{resource}', attributes: {} },
  },
]

/** The definition of every metric the kit emits, by name. */
export const METRICS: ReadonlyMap<string, MetricDefinition> = new Map(
  definitions.map((definition) => [definition.name, definition]),
)

/** A check status as a gauge value, the convention every metrics sink publishes: 1 ok, 0.5 degraded, 0 error. */
export const CHECK_STATUS_VALUE: Readonly<Record<CheckStatus, number>> = { ok: 1, degraded: 0.5, error: 0 }

/** The overall status as a gauge value: 1 healthy, 0.5 degraded, 0 unhealthy. */
export const OVERALL_STATUS_VALUE: Readonly<Record<OverallStatus, number>> = {
  healthy: 1,
  degraded: 0.5,
  unhealthy: 0,
}

/** The tags of one HTTP request, keyed by the vocabulary's tag keys. */
export function httpTags(method: string, route: string, statusCode: number) {
  return { [TAG.method]: method, [TAG.route]: route, [TAG.statusCode]: statusCode }
}
