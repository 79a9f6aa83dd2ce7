import { CHECK_STATUS_VALUE, type CheckStatus, type Health, scrubSecrets } from '@vivr/core'
import type { DatadogMetrics, ServiceCheckStatus } from './datadog-metrics.js'

export interface PublishHealthOptions {
  /** Put before `health.` in every name (the sink's own prefix still comes first). @default '' */
  prefix?: string
}

const CHECK_STATUS: Record<CheckStatus, ServiceCheckStatus> = {
  ok: 'ok',
  degraded: 'warning',
  error: 'critical',
}

/**
 * On every full health run: one DogStatsD service check per check (`<prefix>health.<name>`: OK, WARNING or
 * CRITICAL with the scrubbed message), a `<prefix>health.check.latency` timing and a `<prefix>health.status`
 * gauge (1 ok, 0.5 degraded, 0 error), both tagged `check:<name>`. Returns the unsubscribe function.
 */
export function publishHealth(
  health: Pick<Health, 'onReport'>,
  sink: Pick<DatadogMetrics, 'serviceCheck' | 'timing' | 'gauge'>,
  options: PublishHealthOptions = {},
): () => void {
  const prefix = options.prefix ?? ''
  return health.onReport((report) => {
    for (const [name, result] of Object.entries(report.checks)) {
      const tags = { check: name }
      const message = result.message === undefined ? undefined : scrubSecrets(result.message)
      sink.serviceCheck(`${prefix}health.${name}`, CHECK_STATUS[result.status] ?? 'unknown', {
        message,
        tags,
      })
      sink.timing(`${prefix}health.check.latency`, result.latency, tags)
      sink.gauge(`${prefix}health.status`, CHECK_STATUS_VALUE[result.status] ?? 0, tags)
    }
  })
}
