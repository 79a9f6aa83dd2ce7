export { createHealthRoute, createLiveRoute, createReadyRoute } from './health-route.js'
export { perProcess } from './per-process.js'
export type { CountRequestsOptions } from './proxy.js'
export { countRequests } from './proxy.js'
export type {
  NextErrorContext,
  NextErrorReporter,
  NextRequestInfo,
  RegisterOptions,
  ShutdownOptions,
} from './register.js'
export { registerObservability } from './register.js'
export type { Observability } from './registry.js'
export { getObservability } from './registry.js'
export type { WithObservabilityOptions } from './with-observability.js'
export { withObservability } from './with-observability.js'
