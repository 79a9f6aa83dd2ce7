import { METRICS, type MetricKind } from '@vivr/core'

/**
 * OpenTelemetry's bucket boundaries for `http.server.request.duration`, in seconds: the default for every
 * histogram this sink builds.
 */
export const OTEL_HTTP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]

/**
 * Prometheus base names that differ from the dotted name with underscores, from core's vocabulary
 * (`database.slow_queries` → `slow_queries`, so `slow_queries_total`, the name the SlowQueryDetected alert reads).
 * Keys are dotted names, values Prometheus base names (suffixes still apply).
 */
export const VOCABULARY_NAMES: Readonly<Record<string, string>> = Object.fromEntries(
  [...METRICS.values()].flatMap((metric) =>
    metric.prometheusBase === undefined ? [] : [[metric.name, metric.prometheusBase]],
  ),
)

/**
 * Whether a metric's values are milliseconds that Prometheus shows as seconds: every timing, and the vocabulary's
 * millisecond gauges (`health.check.latency` → `health_check_latency_seconds`).
 */
export function inSeconds(kind: MetricKind, name: string): boolean {
  return kind === 'timing' || (kind === 'gauge' && METRICS.get(name)?.unit === 'milliseconds')
}

export interface NameOptions {
  /** Prepended to every name; a trailing `_` is added when missing. @default '' */
  prefix?: string
  /** Dotted name → Prometheus base name, before the kind's suffix. @default VOCABULARY_NAMES */
  names?: Readonly<Record<string, string>>
}

function sanitizeBase(name: string): string {
  const cleaned = name
    .replace(/[^a-zA-Z0-9_]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^_+|_+$/g, '')
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned
}

export function normalizePrefix(prefix: string): string {
  if (prefix === '') return ''
  const cleaned = sanitizeBase(prefix)
  return cleaned === '' ? '' : `${cleaned}_`
}

/**
 * The Prometheus name for a dotted metric name: dots (and anything else Prometheus does not allow) become
 * underscores; counters end in `_total` (a trailing `.count` is dropped, so `errors.count` → `errors_total`);
 * timings (and the vocabulary's millisecond gauges), recorded in milliseconds, are shown in seconds ending in
 * `_seconds` (a trailing `_ms` is dropped); other gauges and histograms keep their name. `undefined` when nothing usable is left.
 */
export function prometheusName(
  kind: MetricKind,
  name: string,
  options: NameOptions = {},
): string | undefined {
  const names = options.names ?? VOCABULARY_NAMES
  let base = sanitizeBase(Object.hasOwn(names, name) ? (names[name] ?? name) : name)
  if (kind === 'increment') base = `${base.replace(/_(count|total)$/, '')}_total`
  else if (inSeconds(kind, name)) base = `${base.replace(/_(ms|millis|milliseconds|seconds)$/, '')}_seconds`
  if (base === '' || base === '_total' || base === '_seconds') return undefined
  return normalizePrefix(options.prefix ?? '') + base
}

/**
 * A tag key as a Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`, never the reserved `__` prefix, and never `le`
 * on a histogram (Prometheus uses it for the bucket bound).
 */
export function labelName(key: string, forHistogram: boolean): string {
  let name = key.replace(/[^a-zA-Z0-9_]/g, '_')
  if (name === '' || /^[0-9]/.test(name)) name = `_${name}`
  if (name.startsWith('__')) name = name.replace(/^_+/, '_')
  if (forHistogram && name === 'le') name = 'le_'
  return name
}
