export type TagValue = string | number | boolean
export type Tags = Record<string, TagValue>

/**
 * Where metrics go. Names are dotted (`http.requests`, `database.query.duration`); each sink maps them to its
 * backend's convention. A sink never throws from these calls and never blocks the caller.
 */
export interface MetricSink {
  /** Counter: add `value` (default 1). */
  increment(name: string, value?: number, tags?: Tags): void
  gauge(name: string, value: number, tags?: Tags): void
  /** A duration in milliseconds. */
  timing(name: string, ms: number, tags?: Tags): void
  histogram(name: string, value: number, tags?: Tags): void
  /** Deliver whatever is buffered. */
  flush?(): Promise<void>
  /** Flush and release sockets and timers. */
  close?(): Promise<void>
}

export type MetricKind = 'increment' | 'gauge' | 'timing' | 'histogram'

export const noopMetrics: MetricSink = {
  increment() {},
  gauge() {},
  timing() {},
  histogram() {},
}

function each(sinks: readonly MetricSink[], call: (sink: MetricSink) => void): void {
  for (const sink of sinks) {
    try {
      call(sink)
    } catch {
      // One failing sink must not stop the others (sinks promise not to throw; this keeps a broken one honest).
    }
  }
}

async function settleAll(
  sinks: readonly MetricSink[],
  call: (sink: MetricSink) => Promise<void> | undefined,
) {
  await Promise.allSettled(sinks.map(async (sink) => call(sink)))
}

/** Fan-out to several sinks; one failing sink does not stop the others. */
export function multiMetrics(...sinks: MetricSink[]): MetricSink {
  return {
    increment: (name, value, tags) => each(sinks, (s) => s.increment(name, value, tags)),
    gauge: (name, value, tags) => each(sinks, (s) => s.gauge(name, value, tags)),
    timing: (name, ms, tags) => each(sinks, (s) => s.timing(name, ms, tags)),
    histogram: (name, value, tags) => each(sinks, (s) => s.histogram(name, value, tags)),
    flush: () => settleAll(sinks, (s) => s.flush?.()),
    close: () => settleAll(sinks, (s) => s.close?.()),
  } satisfies MetricSink
}
