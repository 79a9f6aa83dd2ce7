export type {
  DatadogMetrics,
  DatadogMetricsOptions,
  DatadogSinkStats,
  ServiceCheckOptions,
  ServiceCheckStatus,
} from './datadog-metrics.js'
export { datadogMetrics } from './datadog-metrics.js'
