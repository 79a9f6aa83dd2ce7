import { OptionError } from '@vivr/core'
import { type BeforeSendOptions, sentryOptions } from '@vivr/sink-sentry'

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

function rate(option: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0 && value <= max)) {
    throw new OptionError(option, value, `a number from 0 to ${max}`)
  }
  return value
}

/**
 * The guide's browser setup, configurable: Sentry with Replay (all text masked, media blocked) and the shared
 * beforeSend; Datadog RUM (inputs masked) and browser logs in production. Call once, e.g. in a client
 * component's effect; an SDK that is already initialised is left alone. Returns what was started.
 */
export function initBrowserMonitoring(options: BrowserMonitoringOptions): {
  sentry: boolean
  datadog: boolean
} {
  const environment = options.environment ?? process.env.NODE_ENV
  const started = { sentry: false, datadog: false }
  const sentry = options.sentry
  if (sentry) {
    if (typeof sentry.sdk?.init !== 'function' || typeof sentry.sdk.replayIntegration !== 'function') {
      throw new OptionError(
        'sentry.sdk',
        sentry.sdk,
        "the Sentry namespace (import * as Sentry from '@sentry/nextjs')",
      )
    }
    const replaysSessionSampleRate = rate(
      'sentry.replaysSessionSampleRate',
      sentry.replaysSessionSampleRate,
      0.1,
      1,
    )
    const replaysOnErrorSampleRate = rate(
      'sentry.replaysOnErrorSampleRate',
      sentry.replaysOnErrorSampleRate,
      1,
      1,
    )
    const defaults = sentryOptions({
      dsn: sentry.dsn ?? process.env.NEXT_PUBLIC_SENTRY_DSN,
      environment: sentry.environment ?? environment,
      release: sentry.release,
      tracesSampleRate: sentry.tracesSampleRate,
      beforeSend:
        sentry.beforeSend === false ? false : { criticalOnlyInProduction: false, ...sentry.beforeSend },
    })
    if (!sentry.sdk.getClient?.()) {
      const replay = sentry.sdk.replayIntegration({
        maskAllText: sentry.maskAllText ?? true,
        blockAllMedia: sentry.blockAllMedia ?? true,
      })
      sentry.sdk.init({
        ...defaults,
        integrations: [replay],
        replaysSessionSampleRate,
        replaysOnErrorSampleRate,
      })
    }
    started.sentry = true
  }
  const datadog = options.datadog
  if (datadog && environment === 'production') {
    for (const field of ['applicationId', 'clientToken'] as const) {
      if (typeof datadog[field] !== 'string' || datadog[field] === '') {
        throw new OptionError(`datadog.${field}`, datadog[field], 'a non-empty string')
      }
    }
    const common = {
      clientToken: datadog.clientToken,
      site: datadog.site ?? 'datadoghq.com',
      service: datadog.service ?? 'vivr-frontend',
      env: environment,
      version: datadog.version,
      sessionSampleRate: rate('datadog.sessionSampleRate', datadog.sessionSampleRate, 100, 100),
      ...(datadog.proxy ? { proxy: datadog.proxy } : {}),
    }
    if (!datadog.rum.getInitConfiguration()) {
      datadog.rum.init({
        ...common,
        applicationId: datadog.applicationId,
        sessionReplaySampleRate: rate(
          'datadog.sessionReplaySampleRate',
          datadog.sessionReplaySampleRate,
          100,
          100,
        ),
        trackUserInteractions: true,
        trackResources: true,
        trackLongTasks: true,
        defaultPrivacyLevel: datadog.defaultPrivacyLevel ?? 'mask-user-input',
      })
      datadog.rum.startSessionReplayRecording?.()
    }
    if (datadog.logs && !datadog.logs.getInitConfiguration()) {
      datadog.logs.init({ ...common, forwardErrorsToLogs: true })
      datadog.logs.logger?.setLevel(datadog.logLevel ?? 'info')
    }
    started.datadog = true
  }
  return started
}
