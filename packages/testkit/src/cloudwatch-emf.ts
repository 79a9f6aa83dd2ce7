/** The units CloudWatch accepts in an Embedded Metric Format directive. */
export const EMF_UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const

/** One metric CloudWatch would extract from an EMF log event (one entry per dimension set). */
export interface EmfMetric {
  namespace: string
  name: string
  unit: string
  /** A scalar value is returned as a one-element array. */
  values: number[]
  /** Whether the document held the value as an array. */
  isArray: boolean
  dimensions: Record<string, string>
  timestamp: number
}

export type EmfParseResult = { metrics: EmfMetric[] } | { error: string }

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Extracts metrics from one log event the way CloudWatch does for Embedded Metric Format, validating the
 * specification's rules (namespace, ≤ 30 dimensions per set, dimension values are strings present at the root,
 * ≤ 100 metrics per directive, ≤ 100 values per metric, known units). A line without `_aws` is not EMF and yields
 * no metrics; a malformed document yields `{ error }`.
 */
export function parseEmf(message: string): EmfParseResult {
  let root: unknown
  try {
    root = JSON.parse(message)
  } catch {
    return { metrics: [] }
  }
  if (!isRecord(root) || !('_aws' in root)) return { metrics: [] }
  const aws = root._aws
  if (!isRecord(aws)) return { error: '_aws must be an object' }
  const timestamp = aws.Timestamp
  if (typeof timestamp !== 'number' || !Number.isInteger(timestamp) || timestamp < 0) {
    return { error: '_aws.Timestamp must be epoch milliseconds' }
  }
  const directives = aws.CloudWatchMetrics
  if (!Array.isArray(directives)) return { error: '_aws.CloudWatchMetrics must be an array' }
  const metrics: EmfMetric[] = []
  for (const directive of directives) {
    if (!isRecord(directive)) return { error: 'a metric directive must be an object' }
    const { Namespace: namespace, Dimensions: dimensionSets, Metrics: definitions } = directive
    if (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 1024) {
      return { error: 'Namespace must be a string of 1–1024 characters' }
    }
    if (!Array.isArray(dimensionSets)) return { error: 'Dimensions must be an array of arrays' }
    if (!Array.isArray(definitions) || definitions.length > 100) {
      return { error: 'Metrics must be an array of at most 100 definitions' }
    }
    const sets: Array<Record<string, string>> = []
    for (const set of dimensionSets) {
      if (!Array.isArray(set) || set.length > 30) return { error: 'a dimension set holds at most 30 names' }
      const dimensions: Record<string, string> = {}
      for (const key of set) {
        const value = typeof key === 'string' ? root[key] : undefined
        if (typeof value !== 'string' || value.length === 0 || value.length > 1024) {
          return {
            error: `dimension ${String(key)} must reference a string of 1–1024 characters at the root`,
          }
        }
        dimensions[key] = value
      }
      sets.push(dimensions)
    }
    if (sets.length === 0) sets.push({})
    for (const definition of definitions) {
      if (!isRecord(definition) || typeof definition.Name !== 'string' || definition.Name.length === 0) {
        return { error: 'a metric definition needs a Name' }
      }
      const unit = definition.Unit ?? 'None'
      if (typeof unit !== 'string' || !(EMF_UNITS as readonly string[]).includes(unit)) {
        return { error: `unknown unit ${String(unit)}` }
      }
      const raw = root[definition.Name]
      const isArray = Array.isArray(raw)
      const values: unknown[] = isArray ? raw : [raw]
      if (values.length === 0 || values.length > 100) return { error: `${definition.Name}: 1–100 values` }
      if (!values.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) {
        return { error: `${definition.Name} must reference a number or an array of numbers` }
      }
      for (const dimensions of sets) {
        metrics.push({ namespace, name: definition.Name, unit, values, isArray, dimensions, timestamp })
      }
    }
  }
  return { metrics }
}

/** Metrics CloudWatch would extract from these log messages; malformed EMF documents are listed in `errors`. */
export function extractEmfMetrics(messages: Iterable<string>): { metrics: EmfMetric[]; errors: string[] } {
  const metrics: EmfMetric[] = []
  const errors: string[] = []
  for (const message of messages) {
    const result = parseEmf(message)
    if ('error' in result) errors.push(result.error)
    else metrics.push(...result.metrics)
  }
  return { metrics, errors }
}
