import type { MetricKind, MetricSink, Tags } from '@vivr/core'

export interface RecordedMetric {
  kind: MetricKind
  name: string
  value: number
  tags: Tags
}

export interface MemoryMetrics extends MetricSink {
  readonly calls: readonly RecordedMetric[]
  /** Calls of one metric name, optionally of one kind. */
  find(name: string, kind?: MetricKind): RecordedMetric[]
  /** Sum of the values recorded for a metric name (counters). */
  total(name: string, tags?: Tags): number
  /** Calls that were not recorded: a name that is not a string, a value that is not a finite number, unreadable tags. */
  readonly dropped: number
  clear(): void
}

/** Most calls a double keeps; a test that records more is a leak, not a test. */
const MAX_CALLS = 100_000

/** Tags copied as plain values; a Proxy, a throwing getter or a non-object yields undefined (the call is dropped). */
function copyTags(tags: unknown): Tags | undefined {
  if (tags === undefined || tags === null) return {}
  if (typeof tags !== 'object' || Array.isArray(tags)) return undefined
  try {
    const copy: Tags = {}
    for (const [key, value] of Object.entries(tags)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
        return undefined
      copy[key] = value
    }
    return copy
  } catch {
    return undefined
  }
}

/**
 * A MetricSink that records every call, for assertions. It keeps the MetricSink contract like the real sinks do
 * (@vivr/testkit runs it through the same suite): it never throws, whatever it is passed, and drops and counts
 * what a real sink would drop.
 */
export function memoryMetrics(): MemoryMetrics {
  const calls: RecordedMetric[] = []
  let dropped = 0
  const record = (kind: MetricKind) => (name: string, value: number | undefined, tags?: Tags) => {
    const amount = value ?? 1
    const copied = copyTags(tags)
    if (
      typeof name !== 'string' ||
      typeof amount !== 'number' ||
      !Number.isFinite(amount) ||
      copied === undefined ||
      calls.length >= MAX_CALLS
    ) {
      dropped++
      return
    }
    calls.push({ kind, name, value: amount, tags: copied })
  }
  const matches = (actual: Tags, wanted?: Tags) =>
    !wanted || Object.entries(wanted).every(([key, value]) => actual[key] === value)
  return {
    calls,
    get dropped() {
      return dropped
    },
    increment: record('increment'),
    gauge: record('gauge'),
    timing: record('timing'),
    histogram: record('histogram'),
    flush: async () => {},
    close: async () => {},
    find: (name, kind) => calls.filter((c) => c.name === name && (!kind || c.kind === kind)),
    total: (name, tags) =>
      calls.filter((c) => c.name === name && matches(c.tags, tags)).reduce((sum, c) => sum + c.value, 0),
    clear: () => {
      calls.length = 0
      dropped = 0
    },
  } satisfies MemoryMetrics
}
