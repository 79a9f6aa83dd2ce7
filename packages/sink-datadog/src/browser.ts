// @vivr/sink-datadog/browser: Datadog RUM and browser logs over the SDK objects the app passes. It reaches only
// @vivr/core's isomorphic entry, so any bundler takes it as is: no Node module (hot-shots stays in the main entry).
export type {
  DatadogBrowserOptions,
  DatadogConfiguration,
  DatadogLogLevel,
  DatadogLogsConfiguration,
  DatadogLogsLike,
  DatadogPrivacyLevel,
  DatadogRumConfiguration,
  DatadogRumLike,
} from './browser-start.js'
export { startDatadogBrowser } from './browser-start.js'
