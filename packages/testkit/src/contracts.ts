// The contract suites: they call vitest's describe/it at import time, so they live in their own entry
// (`@vivr/testkit/contracts`) and `@vivr/testkit` itself loads without a test runner.

export type { CheckContractOptions } from './check-contract.js'
export { describeCheckContract } from './check-contract.js'
export type { ScrubbedFailureOptions } from './check-failure.js'
export { expectScrubbedFailure } from './check-failure.js'
export type {
  ErrorBodyEnvironment,
  ErrorBodyHarness,
  FailedRequest,
} from './error-body-contract.js'
export { describeErrorBodyContract } from './error-body-contract.js'
export type { ErrorReporterHarness, ReceivedError } from './error-reporter-contract.js'
export { describeErrorReporterContract } from './error-reporter-contract.js'
export type {
  HttpAdapterHarness,
  HttpContractApp,
  HttpContractBehaviour,
  HttpContractRoute,
  HttpContractServer,
  HttpContractStream,
} from './http-adapter-contract.js'
export { describeHttpAdapterContract } from './http-adapter-contract.js'
export type { LogDestinationHarness } from './log-destination-contract.js'
export { describeLogDestinationContract } from './log-destination-contract.js'
export type { MetricSinkHarness, SentMetric } from './metric-sink-contract.js'
export { describeMetricSinkContract } from './metric-sink-contract.js'
