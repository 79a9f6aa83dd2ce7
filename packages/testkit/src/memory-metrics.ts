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
  clear(): void
}

/** A MetricSink that records every call, for assertions. */
export function memoryMetrics(): MemoryMetrics {
  const calls: RecordedMetric[] = []
  const record = (kind: MetricKind) => (name: string, value: number | undefined, tags?: Tags) => {
    calls.push({ kind, name, value: value ?? 1, tags: { ...tags } })
  }
  const matches = (actual: Tags, wanted?: Tags) =>
    !wanted || Object.entries(wanted).every(([key, value]) => actual[key] === value)
  return {
    calls,
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
    },
  } satisfies MemoryMetrics
}
