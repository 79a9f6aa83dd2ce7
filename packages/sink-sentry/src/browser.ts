// @vivr/sink-sentry/browser: Sentry in the browser (Session Replay with masking, the shared beforeSend). It reaches
// only @vivr/core's isomorphic entry, so any bundler takes it as is: no Node module, no stub.
export type { BeforeSendOptions } from './before-send.js'
export type { SentryBrowserLike, SentryBrowserOptions } from './browser-start.js'
export { startSentryBrowser } from './browser-start.js'
