export type {
  DatadogMetrics,
  DatadogMetricsOptions,
  DatadogSinkStats,
  ServiceCheckOptions,
  ServiceCheckStatus,
} from './datadog-metrics.js'
export { datadogMetrics } from './datadog-metrics.js'
export type { DatadogTraceSource, DdSpanContext, DdTracer } from './trace-source.js'
export { ddTraceSource } from './trace-source.js'
