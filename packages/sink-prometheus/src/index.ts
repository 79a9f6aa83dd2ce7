export type { NameOptions } from './names.js'
export { GUIDE_NAMES, labelName, OTEL_HTTP_DURATION_BUCKETS, prometheusName } from './names.js'
export type {
  PrometheusMetrics,
  PrometheusMetricsOptions,
  PrometheusSinkStats,
} from './prometheus-metrics.js'
export { prometheusMetrics } from './prometheus-metrics.js'
export type { PublishHealthOptions } from './publish-health.js'
export { publishHealth } from './publish-health.js'
