export type { DrainNextServerOptions } from './drain.js'
export { drainNextServer } from './drain.js'
export {
  createHealthRoute,
  createLiveRoute,
  createReadyRoute,
  createStartupRoute,
} from './health-route.js'
export { perProcess } from './per-process.js'
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
export type { CountNextRequestsOptions, RequestCounting } from './request-spans.js'
export { countNextRequests } from './request-spans.js'
export type { WithObservabilityOptions } from './with-observability.js'
export { withObservability } from './with-observability.js'
