// @vivr/core/internal: what the kit's own packages share. Outside semver: it may change in any release, and
// nothing outside @vivr/* should import it (scripts/check-boundaries.mjs enforces that inside this repository).
export { readEnv } from './env.js'
export { neverThrows } from './guard.js'
export type { CheckSettings } from './health/check-options.js'
export { checkSettings } from './health/check-options.js'
export { singleFlight } from './single-flight.js'
export { takesServiceChecks } from './telemetry/metrics.js'
export type { ThrottledWarnings, ThrottledWarningsOptions } from './throttle.js'
export { createThrottledWarnings } from './throttle.js'
export {
  booleanOption,
  durationOption,
  nonEmptyStringOption,
  oneOfOption,
  positiveIntegerOption,
  renamedOptions,
  stringListOption,
} from './validate.js'
