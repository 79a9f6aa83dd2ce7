export type {
  DatadogMetrics,
  DatadogMetricsOptions,
  DatadogSinkStats,
  ServiceCheckOptions,
  ServiceCheckStatus,
} from './datadog-metrics.js'
export { datadogMetrics } from './datadog-metrics.js'
export type { PublishHealthOptions } from './publish-health.js'
export { publishHealth } from './publish-health.js'
