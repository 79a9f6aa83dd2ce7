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

export type ServiceCheckStatus = 'ok' | 'warning' | 'critical' | 'unknown'

export interface ServiceCheckOptions {
  /** Shown beside the status; scrub it first. */
  message?: string
  tags?: Tags
}

/** A sink that also takes service checks (Datadog); core's `publishHealth` sends one per health check. */
export interface ServiceCheckSink {
  serviceCheck(name: string, status: ServiceCheckStatus, options?: ServiceCheckOptions): void
}

export const noopMetrics: MetricSink = {
  increment() {},
  gauge() {},
  timing() {},
  histogram() {},
}

function each<S>(sinks: readonly S[], call: (sink: S) => void): void {
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

/** Whether a sink also takes service checks. */
export const takesServiceChecks = (sink: MetricSink): sink is MetricSink & ServiceCheckSink =>
  typeof (sink as Partial<ServiceCheckSink>).serviceCheck === 'function'

/**
 * Fan-out to several sinks; one failing sink does not stop the others. Service checks go to the sinks that take
 * them.
 */
export function multiMetrics(...sinks: MetricSink[]): MetricSink & ServiceCheckSink {
  const serviceCheckSinks = sinks.filter(takesServiceChecks)
  return {
    serviceCheck: (name, status, options) =>
      each(serviceCheckSinks, (s) => s.serviceCheck(name, status, options)),
    increment: (name, value, tags) => each(sinks, (s) => s.increment(name, value, tags)),
    gauge: (name, value, tags) => each(sinks, (s) => s.gauge(name, value, tags)),
    timing: (name, ms, tags) => each(sinks, (s) => s.timing(name, ms, tags)),
    histogram: (name, value, tags) => each(sinks, (s) => s.histogram(name, value, tags)),
    flush: () => settleAll(sinks, (s) => s.flush?.()),
    close: () => settleAll(sinks, (s) => s.close?.()),
  } satisfies MetricSink & ServiceCheckSink
}
