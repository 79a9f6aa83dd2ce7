// @vivr/core/node: what needs Node — the pino logger, the AsyncLocalStorage request context, the shutdown
// lifecycle, request telemetry over Web Request/Response, trace context, and an HTTP server with a graceful close.
export type { RuntimeMetrics, RuntimeMetricsOptions } from './node/runtime-metrics.js'
export { runtimeMetrics } from './node/runtime-metrics.js'
export type { ServeOptions } from './node/serve.js'
export { closeGracefully, serve } from './node/serve.js'
export type { OtelSpanContext, OtelTraceApi, TraceParent, TraceSourceOptions } from './node/trace-context.js'
export {
  currentTrace,
  otelTraceSource,
  registerTraceSource,
  traceHeaders,
  withTrace,
} from './node/trace-context.js'
export { getContext, withContext } from './telemetry/context.js'
export type {
  FetchHandler,
  HttpRequestOutcome,
  HttpTelemetry,
  HttpTelemetryOptions,
  ObservedRequest,
  ObserveFetchOptions,
} from './telemetry/http.js'
export { createHttpTelemetry, observeFetch, recordHttpRequest } from './telemetry/http.js'
export type { Lifecycle, LifecycleOptions } from './telemetry/lifecycle.js'
export { createLifecycle } from './telemetry/lifecycle.js'
export type { LoggerOptions, SerializedError } from './telemetry/logger.js'
export { createLogger, fileDestination, serializeError, stdoutDestination } from './telemetry/logger.js'
