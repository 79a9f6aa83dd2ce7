import { CHECK_STATUS_VALUE, type Health, type MetricSink } from '@vivr/core'

export interface PublishHealthOptions {
  /** Put before `health.` in the dotted names (the sink's own prefix still comes first). @default '' */
  prefix?: string
}

/**
 * On every full health run, per check: `health_check_status{check}` (1 ok, 0.5 degraded, 0 error) and
 * `health_check_latency_seconds{check}` (the last run's latency). Returns the unsubscribe function.
 */
export function publishHealth(
  health: Pick<Health, 'onReport'>,
  sink: Pick<MetricSink, 'gauge'>,
  options: PublishHealthOptions = {},
): () => void {
  const prefix = options.prefix ?? ''
  return health.onReport((report) => {
    for (const [name, result] of Object.entries(report.checks)) {
      const tags = { check: name }
      sink.gauge(`${prefix}health.check.status`, CHECK_STATUS_VALUE[result.status] ?? 0, tags)
      sink.gauge(`${prefix}health.check.latency_seconds`, result.latency / 1000, tags)
    }
  })
}
