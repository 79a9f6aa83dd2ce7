export type { NameOptions } from './names.js'
export { labelName, OTEL_HTTP_DURATION_BUCKETS, prometheusName, VOCABULARY_NAMES } from './names.js'
export type {
  PrometheusMetrics,
  PrometheusMetricsOptions,
  PrometheusSinkStats,
} from './prometheus-metrics.js'
export { prometheusMetrics } from './prometheus-metrics.js'
