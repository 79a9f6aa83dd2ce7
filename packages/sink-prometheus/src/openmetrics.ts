/**
 * The OpenMetrics text format (1.0.0), the one format Prometheus reads exemplars from, rendered from a
 * registry's public `getMetricsAsJSON()`: every metric in it (ours, yours, prom-client's defaults), default
 * labels applied. prom-client renders OpenMetrics only for a registry switched to it for good, and doing so
 * renames its counters; rendering here leaves the registry as it is, so one registry answers both formats.
 */

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/** Longest `Accept` header read: a scraper sends about 150 characters. */
const MAX_ACCEPT_CHARS = 4096
/** OpenMetrics' limit on an exemplar's label names and values together. */
const MAX_EXEMPLAR_LABEL_CHARS = 128

/** The part of a prom-client registry this renderer reads. */
export interface JsonMetricsSource {
  getMetricsAsJSON(): Promise<ReadonlyArray<{ name: string; help: string; type: unknown; values?: unknown }>>
}

export function hasJsonMetrics(registry: object): registry is JsonMetricsSource {
  return 'getMetricsAsJSON' in registry && typeof registry.getMetricsAsJSON === 'function'
}

/**
 * Whether an `Accept` header asks for OpenMetrics: an `application/openmetrics-text` range (any version) with a
 * quality above zero and at least that of the text format's best range. Prometheus sends
 * `application/openmetrics-text;version=1.0.0,…,text/plain;version=0.0.4;q=0.5,*\/*;q=0.1`; a browser, curl
 * or no header at all gets the text format.
 */
export function prefersOpenMetrics(accept: string | null | undefined): boolean {
  if (typeof accept !== 'string') return false
  const header = accept.slice(0, MAX_ACCEPT_CHARS).toLowerCase()
  if (!header.includes('openmetrics')) return false
  let openMetrics = 0
  let text = 0
  for (const range of header.split(',')) {
    const [type = '', ...parameters] = range.split(';')
    const mediaType = type.trim()
    let quality = 1
    for (const parameter of parameters) {
      const [key, value] = parameter.split('=')
      if (key?.trim() === 'q') {
        const q = Number(value?.trim())
        quality = Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0
      }
    }
    if (mediaType === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, quality)
    else if (mediaType === 'text/plain' || mediaType === 'text/*' || mediaType === '*/*')
      text = Math.max(text, quality)
  }
  return openMetrics > 0 && openMetrics >= text
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function labelText(labels: unknown): string {
  if (!isRecord(labels)) return ''
  const parts: string[] = []
  for (const [name, value] of Object.entries(labels)) {
    if (value === undefined) continue
    parts.push(`${name}="${escapeLabelValue(String(value))}"`)
  }
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

/**
 * ` # {trace_id="…"} value timestamp`, or '' for anything OpenMetrics would refuse: labels that are not
 * strings, over 128 characters of names and values together, or a value that is not a finite number.
 */
function exemplarText(exemplar: unknown): string {
  if (!isRecord(exemplar) || !isRecord(exemplar.labelSet)) return ''
  const { value, timestamp } = exemplar
  if (typeof value !== 'number' || !Number.isFinite(value)) return ''
  let chars = 0
  const parts: string[] = []
  for (const [name, labelValue] of Object.entries(exemplar.labelSet)) {
    if (typeof labelValue !== 'string') return ''
    chars += name.length + labelValue.length
    parts.push(`${name}="${escapeLabelValue(labelValue)}"`)
  }
  if (parts.length === 0 || chars > MAX_EXEMPLAR_LABEL_CHARS) return ''
  const time = typeof timestamp === 'number' && Number.isFinite(timestamp) ? ` ${number(timestamp)}` : ''
  return ` # {${parts.join(',')}} ${number(value)}${time}`
}

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary'])

/** One metric family: `# HELP`, `# TYPE`, then its samples; exemplars only where OpenMetrics allows them. */
function renderFamily(
  metric: { name: string; help: string; type: unknown; values?: unknown },
  out: string[],
): void {
  const type = typeof metric.type === 'string' && TYPES.has(metric.type) ? metric.type : 'unknown'
  // A counter family is named without `_total`, its sample with it (a registry once switched to OpenMetrics has
  // already dropped the suffix from the name).
  const family = type === 'counter' ? metric.name.replace(/_total$/, '') : metric.name
  out.push(`# HELP ${family} ${escapeLabelValue(String(metric.help))}`, `# TYPE ${family} ${type}`)
  if (!Array.isArray(metric.values)) return
  for (const sample of metric.values) {
    if (!isRecord(sample) || typeof sample.value !== 'number') continue
    const name =
      typeof sample.metricName === 'string'
        ? sample.metricName
        : type === 'counter'
          ? `${family}_total`
          : family
    const takesExemplar = type === 'counter' || (type === 'histogram' && name.endsWith('_bucket'))
    out.push(
      `${name}${labelText(sample.labels)} ${number(sample.value)}${takesExemplar ? exemplarText(sample.exemplar) : ''}`,
    )
  }
}

/** The whole registry in the OpenMetrics text format, ending with `# EOF`. */
export async function openMetricsText(registry: JsonMetricsSource): Promise<string> {
  const out: string[] = []
  for (const metric of await registry.getMetricsAsJSON()) renderFamily(metric, out)
  out.push('# EOF')
  return `${out.join('\n')}\n`
}
