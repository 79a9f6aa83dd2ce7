export type { BeforeSend, BeforeSendOptions } from './before-send.js'
export { createBeforeSend } from './before-send.js'
export type { SentryInitDefaults, SentryOptionsInput } from './options.js'
export { sentryOptions } from './options.js'
export type { SentryReporter, SentryReporterOptions } from './reporter.js'
export { sentryReporter } from './reporter.js'
export { sentryTraceSource } from './trace.js'
export type {
  NextErrorContextLike,
  NextRequestLike,
  SentryCaptureContext,
  SentryEventLike,
  SentryHintLike,
  SentryLike,
  SentryScopeLike,
  SentrySpanLike,
  SentryTraceContext,
} from './types.js'
