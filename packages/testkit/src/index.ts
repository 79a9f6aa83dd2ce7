// Loads without a test runner: doubles, loopback servers and helpers. The contract suites (which call vitest's
// describe/it) are in `@vivr/testkit/contracts`.
export type { RunScriptOptions, ScriptResult } from './child-process.js'
export { runScript } from './child-process.js'
export type { EmfMetric, EmfParseResult } from './cloudwatch-emf.js'
export { EMF_UNITS, extractEmfMetrics, parseEmf } from './cloudwatch-emf.js'
export type {
  CloudWatchLogsFault,
  CloudWatchLogsOperation,
  CloudWatchLogsServer,
  CloudWatchLogsServerOptions,
  LoopbackLogGroup,
  LoopbackLogStream,
  RecordedCall,
  StoredLogEvent,
} from './cloudwatch-logs-server.js'
export { PUT_LOG_EVENTS_LIMITS, RETENTION_DAYS, startCloudWatchLogsServer } from './cloudwatch-logs-server.js'
export { bucketBounds, labelNamesBySample, labelSchemasBySample, sampleNames } from './exposition.js'
export type { LogLine, MemoryLogger } from './memory-logger.js'
export { memoryLogger } from './memory-logger.js'
export type { MemoryMetrics, RecordedMetric } from './memory-metrics.js'
export { memoryMetrics } from './memory-metrics.js'
export type { CapturedError, MemoryReporter } from './memory-reporter.js'
export { memoryReporter } from './memory-reporter.js'
export type {
  Envelope,
  EnvelopeItem,
  SentryEventPayload,
  SentryServer,
  SentryServerOptions,
} from './sentry-envelope-server.js'
export { parseEnvelope, startSentryServer } from './sentry-envelope-server.js'
export type {
  DogStatsDEvent,
  DogStatsDMessage,
  DogStatsDMetric,
  DogStatsDServiceCheck,
  ReceivedDatagram,
  ServiceCheckStatus,
  StatsdListener,
  StatsdListenerOptions,
  WaitOptions,
} from './statsd-listener.js'
export { parseDogStatsDLine, splitDatagram, startStatsdListener } from './statsd-listener.js'
export type {
  StripeBalance,
  StripeCardErrorBody,
  StripeErrorFault,
  StripeFault,
  StripePaymentIntent,
  StripeRequestRecord,
  StripeServer,
  StripeServerOptions,
} from './stripe-server.js'
export { maskStripeKey, startStripeServer } from './stripe-server.js'
export type { MuteTcpServer } from './tcp-servers.js'
export { startMuteTcpServer, unusedPort } from './tcp-servers.js'
