import type { BeforeSendOptions } from '@vivr/sink-sentry'

/** The part of `import * as Sentry from '@sentry/nextjs'` used in the browser. */
export interface BrowserSentryLike {
  init(options: Record<string, unknown>): unknown
  replayIntegration(options: { maskAllText: boolean; blockAllMedia: boolean }): unknown
  getClient?(): unknown
}

export interface BrowserSentryOptions {
  sdk: BrowserSentryLike
  /** @default process.env.NEXT_PUBLIC_SENTRY_DSN */
  dsn?: string
  /** @default the monitoring's environment */
  environment?: string
  release?: string
  /** @default 0.1 */
  tracesSampleRate?: number
  /** Share of sessions recorded by Replay. @default 0.1 */
  replaysSessionSampleRate?: number
  /** Share of sessions with an error whose replay is kept. @default 1.0 */
  replaysOnErrorSampleRate?: number
  /** Replay privacy: every text masked, every image/video blocked. @default true */
  maskAllText?: boolean
  /** @default true */
  blockAllMedia?: boolean
  /** The shared beforeSend rules; in the browser only the guide's client rules apply by default. */
  beforeSend?: BeforeSendOptions | false
}

type PrivacyLevel = 'allow' | 'mask' | 'mask-user-input' | 'mask-unless-allowlisted'

/** The init fields this package sets; the SDKs accept many more. */
export interface DatadogConfiguration {
  clientToken: string
  site?: string
  service?: string
  env?: string
  version?: string
  sessionSampleRate?: number
  proxy?: string
}
export interface DatadogRumConfiguration extends DatadogConfiguration {
  applicationId: string
  sessionReplaySampleRate?: number
  trackUserInteractions?: boolean
  trackResources?: boolean
  trackLongTasks?: boolean
  defaultPrivacyLevel?: PrivacyLevel
}
export interface DatadogLogsConfiguration extends DatadogConfiguration {
  forwardErrorsToLogs?: boolean
}

/** `datadogRum` from @datadog/browser-rum. */
export interface DatadogRumLike {
  init(configuration: DatadogRumConfiguration): void
  getInitConfiguration(): unknown
  startSessionReplayRecording?(): void
}
/** `datadogLogs` from @datadog/browser-logs. */
export interface DatadogLogsLike {
  init(configuration: DatadogLogsConfiguration): void
  getInitConfiguration(): unknown
  logger?: { setLevel(level: 'debug' | 'info' | 'warn' | 'error'): void }
}

export interface BrowserDatadogOptions {
  rum: DatadogRumLike
  logs?: DatadogLogsLike
  applicationId: string
  clientToken: string
  /** @default 'datadoghq.com' */
  site?: string
  /** @default 'vivr-frontend' */
  service?: string
  version?: string
  /** Percent of sessions tracked. @default 100 */
  sessionSampleRate?: number
  /** Percent of tracked sessions recorded. @default 100 */
  sessionReplaySampleRate?: number
  /** @default 'mask-user-input' */
  defaultPrivacyLevel?: PrivacyLevel
  /** Send intake through your own endpoint (ad blockers, CSP). */
  proxy?: string
  /** Level of the browser logger. @default 'info' */
  logLevel?: 'debug' | 'info' | 'warn' | 'error'
}

export interface BrowserMonitoringOptions {
  sentry?: BrowserSentryOptions
  /** Datadog RUM and logs start only in production, as in the guide. */
  datadog?: BrowserDatadogOptions
  /** @default process.env.NODE_ENV */
  environment?: string
}
