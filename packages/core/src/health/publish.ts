import { neverThrows } from '../guard.js'
import { scrubSecrets } from '../scrub.js'
import { type MetricSink, type ServiceCheckStatus, takesServiceChecks } from '../telemetry/metrics.js'
import { CHECK_STATUS_VALUE, METRIC, OVERALL_STATUS_VALUE, SERVICE_CHECK, TAG } from '../vocabulary.js'
import type { CheckStatus } from './check.js'
import type { Health } from './health.js'

const SERVICE_CHECK_STATUS: Readonly<Record<CheckStatus, ServiceCheckStatus>> = {
  ok: 'ok',
  degraded: 'warning',
  error: 'critical',
}

/** Longest check message a service check carries (scrubbed first). */
const MAX_CHECK_MESSAGE = 500

/**
 * Health as metrics, through any MetricSink, so Datadog, Prometheus and CloudWatch EMF see the same series
 * (docs/health.md#health-as-metrics). On every fresh check result, from any run (a readiness probe, a background
 * run, `/health`), never a cached one: `health.check.status` (1 ok, 0.5 degraded, 0 error) and
 * `health.check.latency` (ms), tagged `check`, and, for a sink that takes service checks (Datadog), one service
 * check `health.<name>` with the scrubbed message. On every full report: the overall `health.status` (1 healthy,
 * 0.5 degraded, 0 unhealthy). Returns the unsubscribe function. A sink that throws never reaches the health run.
 */
export function publishHealth(
  health: Pick<Health, 'onReport' | 'onResult'>,
  metrics: MetricSink,
): () => void {
  const serviceChecks = takesServiceChecks(metrics) ? metrics : undefined
  const stopResults = health.onResult(
    neverThrows((name, result) => {
      const tags = { [TAG.check]: name }
      metrics.gauge(METRIC.healthCheckStatus, CHECK_STATUS_VALUE[result.status] ?? 0, tags)
      metrics.gauge(METRIC.healthCheckLatency, result.latency, tags)
      serviceChecks?.serviceCheck(
        `${SERVICE_CHECK.health}.${name}`,
        SERVICE_CHECK_STATUS[result.status] ?? 'unknown',
        {
          message: result.message === undefined ? undefined : scrubSecrets(result.message, MAX_CHECK_MESSAGE),
          tags,
        },
      )
    }),
  )
  const stopReports = health.onReport(
    neverThrows((report) => metrics.gauge(METRIC.healthStatus, OVERALL_STATUS_VALUE[report.status] ?? 0)),
  )
  return () => {
    stopResults()
    stopReports()
  }
}
