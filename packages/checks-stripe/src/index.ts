export type { StripeCheckOptions, StripeLike, StripeRequestOptions } from './check.js'
export { stripeCheck } from './check.js'
