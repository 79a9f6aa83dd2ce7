import { OptionError } from '@vivr/core'
import { sentryOptions } from '@vivr/sink-sentry'
import type {
  BrowserDatadogOptions,
  BrowserMonitoringOptions,
  BrowserSentryOptions,
} from './browser-options.js'

export type {
  BrowserDatadogOptions,
  BrowserMonitoringOptions,
  BrowserSentryLike,
  BrowserSentryOptions,
  DatadogConfiguration,
  DatadogLogsConfiguration,
  DatadogLogsLike,
  DatadogRumConfiguration,
  DatadogRumLike,
} from './browser-options.js'

function rate(option: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0 && value <= max)) {
    throw new OptionError(option, value, `a number from 0 to ${max}`)
  }
  return value
}

const SENTRY_SDK = "the Sentry namespace (import * as Sentry from '@sentry/nextjs')"

function startSentry(sentry: BrowserSentryOptions, environment: string | undefined): void {
  if (typeof sentry.sdk?.init !== 'function' || typeof sentry.sdk.replayIntegration !== 'function') {
    throw new OptionError('sentry.sdk', sentry.sdk, SENTRY_SDK)
  }
  const options = {
    ...sentryOptions({
      dsn: sentry.dsn ?? process.env.NEXT_PUBLIC_SENTRY_DSN,
      environment: sentry.environment ?? environment,
      release: sentry.release,
      tracesSampleRate: sentry.tracesSampleRate,
      // The guide's client rules: network noise dropped, headers removed; its server-only rule stays off.
      beforeSend:
        sentry.beforeSend === false ? false : { criticalOnlyInProduction: false, ...sentry.beforeSend },
    }),
    replaysSessionSampleRate: rate(
      'sentry.replaysSessionSampleRate',
      sentry.replaysSessionSampleRate,
      0.1,
      1,
    ),
    replaysOnErrorSampleRate: rate('sentry.replaysOnErrorSampleRate', sentry.replaysOnErrorSampleRate, 1, 1),
  }
  if (sentry.sdk.getClient?.()) return
  const replay = sentry.sdk.replayIntegration({
    maskAllText: sentry.maskAllText ?? true,
    blockAllMedia: sentry.blockAllMedia ?? true,
  })
  sentry.sdk.init({ ...options, integrations: [replay] })
}

function startDatadog(datadog: BrowserDatadogOptions, environment: string): void {
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
  const replayRate = rate('datadog.sessionReplaySampleRate', datadog.sessionReplaySampleRate, 100, 100)
  if (!datadog.rum.getInitConfiguration()) {
    datadog.rum.init({
      ...common,
      applicationId: datadog.applicationId,
      sessionReplaySampleRate: replayRate,
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
}

/**
 * The guide's browser setup, configurable: Sentry with Replay (all text masked, media blocked) and the shared
 * beforeSend; Datadog RUM (inputs masked) and browser logs in production only. Call once, e.g. in a client
 * component's effect; an SDK that is already initialised is left alone. Returns what was started.
 */
export function initBrowserMonitoring(options: BrowserMonitoringOptions): {
  sentry: boolean
  datadog: boolean
} {
  const environment = options.environment ?? process.env.NODE_ENV
  if (options.sentry) startSentry(options.sentry, environment)
  const datadog = options.datadog !== undefined && environment === 'production'
  if (datadog && options.datadog) startDatadog(options.datadog, environment)
  return { sentry: options.sentry !== undefined, datadog }
}
