// @vivr/core: the isomorphic entry. Types, interfaces, no-ops, the vocabulary, the health model and its
// renderings, scrubbing: nothing here imports a Node module, so it loads in a browser or an edge runtime as is.
// Node-only parts (logger, request context, lifecycle, HTTP telemetry, serve) are in `@vivr/core/node`.
export type { Clock, TimerHandle, TimerOptions } from './clock.js'
export { systemClock } from './clock.js'
export { untilAborted } from './health/abort.js'
export type {
  Check,
  CheckContext,
  CheckOutcome,
  CheckResult,
  CheckStatus,
  OutcomeCheck,
  OverallStatus,
} from './health/check.js'
export { defineCheck, errorOutcome, outcomeOf } from './health/check.js'
export type { CommonCheckOptions } from './health/check-options.js'
export type { DampingOptions } from './health/damping.js'
export type {
  BlockReadinessOptions,
  DetailsPolicy,
  Health,
  HealthChange,
  HealthHandler,
  HealthOptions,
  RunOptions,
} from './health/health.js'
export { createHealth } from './health/health.js'
export type { Policy, PolicyFunction, PolicyInput } from './health/policy.js'
export { criticalityPolicy, errorCountPolicy } from './health/policy.js'
export { publishHealth } from './health/publish.js'
export type { BlockingTaskOutcome, HealthPhase } from './health/readiness.js'
export type { Representation } from './health/render.js'
export { HEALTH_JSON, negotiate, toHealthJson } from './health/render.js'
export type { HealthMetrics, HealthReport } from './health/report.js'
export type { RequestRateMeter, RequestRateOptions } from './health/request-rate.js'
export { createRequestRateMeter } from './health/request-rate.js'
export type { HistoryPoint, StatusPageOptions } from './health/status-page.js'
export { renderStatusPage, sparkline } from './health/status-page.js'
export { messageOf } from './message.js'
export type { Sanitized, SanitizeOptions } from './sanitize.js'
export {
  CIRCULAR,
  createSanitizer,
  REDACTED,
  TOO_DEEP,
  TOO_MANY,
  UNREADABLE,
} from './sanitize.js'
export { DEFAULT_MAX_MESSAGE_LENGTH, MASK, mayHoldSecret, scrubSecrets } from './scrub.js'
export { DEFAULT_REDACT_KEYS, sensitiveKeyMatcher } from './secret-keys.js'
export type { ApiErrorBody, ApiErrorContext, ApiErrorDeps } from './telemetry/api-error.js'
export { handleApiError } from './telemetry/api-error.js'
export type { CardinalityOptions } from './telemetry/cardinality.js'
export { limitCardinality, OTHER } from './telemetry/cardinality.js'
export type { CaptureContext, ErrorLevel, ErrorReporter } from './telemetry/errors.js'
export { isCriticalError, noopReporter } from './telemetry/errors.js'
export type { BusinessMetrics, TechnicalMetrics } from './telemetry/kpis.js'
export { createBusinessMetrics, createTechnicalMetrics } from './telemetry/kpis.js'
export type { LogContext, LogDestination, Logger, LogLevel } from './telemetry/log-types.js'
export { noopLogger } from './telemetry/log-types.js'
export type {
  MetricKind,
  MetricSink,
  ServiceCheckOptions,
  ServiceCheckSink,
  ServiceCheckStatus,
  Tags,
  TagValue,
} from './telemetry/metrics.js'
export { multiMetrics, noopMetrics } from './telemetry/metrics.js'
export {
  CLIENT_CLOSED_REQUEST,
  createRouteMatcher,
  errorStatus,
  healthEndpoints,
  normalizePath,
  UNMATCHED_ROUTE,
} from './telemetry/routes.js'
export type { ShutdownHookOptions, ShutdownRegistry } from './telemetry/shutdown.js'
export type { TraceContext, TraceIds, TraceSource } from './trace.js'
export {
  datadogIds,
  formatTraceparent,
  isSpanId,
  isTraceId,
  newSpanId,
  newTraceId,
  parseTraceparent,
  parseTracestate,
  traceFromHeaders,
} from './trace.js'
export { OptionError } from './validate.js'
export type { MetricDefinition, MetricName, MetricUnit, OtelTwin, TagKey } from './vocabulary.js'
export {
  CHECK_STATUS_VALUE,
  httpTags,
  METRIC,
  METRICS,
  OVERALL_STATUS_VALUE,
  SERVICE_CHECK,
  TAG,
} from './vocabulary.js'
