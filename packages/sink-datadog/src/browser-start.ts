import { OptionError } from '@vivr/core'

export type DatadogPrivacyLevel = 'allow' | 'mask' | 'mask-user-input' | 'mask-unless-allowlisted'
export type DatadogLogLevel = 'debug' | 'info' | 'warn' | 'error'

/** The init fields set here; the SDKs accept many more. */
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
  defaultPrivacyLevel?: DatadogPrivacyLevel
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
  logger?: { setLevel(level: DatadogLogLevel): void }
}

export interface DatadogBrowserOptions {
  /** `datadogRum` from @datadog/browser-rum. */
  rum: DatadogRumLike
  /** `datadogLogs` from @datadog/browser-logs; without it, RUM only. */
  logs?: DatadogLogsLike
  applicationId: string
  clientToken: string
  /** @default 'datadoghq.com' */
  site?: string
  /** @default 'vivr-frontend' */
  service?: string
  version?: string
  /** Datadog's `env`; also what `onlyInProduction` compares. @default process.env.NODE_ENV (inlined by the app's bundler) */
  environment?: string
  /** Start only when `environment` is 'production', as the guide does. @default true */
  onlyInProduction?: boolean
  /** Percent of sessions tracked, 0 to 100. @default 100 */
  sessionSampleRate?: number
  /** Percent of tracked sessions recorded, 0 to 100. @default 100 */
  sessionReplaySampleRate?: number
  /** @default 'mask-user-input' */
  defaultPrivacyLevel?: DatadogPrivacyLevel
  /** Send intake through your own endpoint (ad blockers, CSP). */
  proxy?: string
  /** Level of the browser logger. @default 'info' */
  logLevel?: DatadogLogLevel
}

const PRIVACY_LEVELS: readonly DatadogPrivacyLevel[] = [
  'allow',
  'mask',
  'mask-user-input',
  'mask-unless-allowlisted',
]
const LOG_LEVELS: readonly DatadogLogLevel[] = ['debug', 'info', 'warn', 'error']

// Written out in full, so the app's bundler inlines it; where nothing did and there is no `process`, undefined.
function nodeEnv(): string | undefined {
  try {
    return process.env.NODE_ENV
  } catch {
    return undefined
  }
}

function percent(option: string, value: unknown): number {
  if (value === undefined) return 100
  if (typeof value !== 'number' || !(value >= 0 && value <= 100)) {
    throw new OptionError(option, value, 'a number from 0 to 100')
  }
  return value
}

/** A required string: present and not empty. */
function requiredString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new OptionError(option, value, 'a non-empty string')
  return value
}

/** An optional string: an empty one counts as not given (`process.env.X ?? ''` is a common way to pass none). */
function optionalString(option: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') throw new OptionError(option, value, 'a string')
  return value
}

function oneOf<T extends string>(option: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback
  const found = allowed.find((candidate) => candidate === value)
  if (found === undefined) throw new OptionError(option, value, allowed.map((a) => `'${a}'`).join(' | '))
  return found
}

function sdkOption(option: string, value: unknown, what: string): void {
  const method = (name: string) =>
    typeof value === 'object' && value !== null && typeof Reflect.get(value, name) === 'function'
  if (!method('init') || !method('getInitConfiguration')) throw new OptionError(option, value, what)
}

/**
 * The guide's browser Datadog: RUM (inputs masked, sessions and replays 100 %, interactions, resources and long
 * tasks tracked, session replay recording) and browser logs (errors forwarded), in production only by default.
 * Every option is validated first, in every environment. Call it once, e.g. in `instrumentation-client.ts`; an SDK
 * already initialised is left alone. Returns true when Datadog runs (started now or before), false when
 * `onlyInProduction` kept it off.
 */
export function startDatadogBrowser(options: DatadogBrowserOptions): boolean {
  sdkOption('rum', options?.rum, "datadogRum (import { datadogRum } from '@datadog/browser-rum')")
  if (options.logs !== undefined) {
    sdkOption('logs', options.logs, "datadogLogs (import { datadogLogs } from '@datadog/browser-logs')")
  }
  const applicationId = requiredString('applicationId', options.applicationId)
  const clientToken = requiredString('clientToken', options.clientToken)
  const environment = optionalString('environment', options.environment) ?? nodeEnv()
  const onlyInProduction = options.onlyInProduction ?? true
  if (typeof onlyInProduction !== 'boolean') {
    throw new OptionError('onlyInProduction', onlyInProduction, 'true or false')
  }
  const proxy = optionalString('proxy', options.proxy)
  const common = {
    clientToken,
    site: optionalString('site', options.site) ?? 'datadoghq.com',
    service: optionalString('service', options.service) ?? 'vivr-frontend',
    env: environment,
    version: optionalString('version', options.version),
    sessionSampleRate: percent('sessionSampleRate', options.sessionSampleRate),
    ...(proxy === undefined ? {} : { proxy }),
  }
  const sessionReplaySampleRate = percent('sessionReplaySampleRate', options.sessionReplaySampleRate)
  const defaultPrivacyLevel = oneOf(
    'defaultPrivacyLevel',
    options.defaultPrivacyLevel,
    PRIVACY_LEVELS,
    'mask-user-input',
  )
  const logLevel = oneOf('logLevel', options.logLevel, LOG_LEVELS, 'info')
  if (onlyInProduction && environment !== 'production') return false

  const { rum, logs } = options
  if (!rum.getInitConfiguration()) {
    rum.init({
      ...common,
      applicationId,
      sessionReplaySampleRate,
      trackUserInteractions: true,
      trackResources: true,
      trackLongTasks: true,
      defaultPrivacyLevel,
    })
    rum.startSessionReplayRecording?.()
  }
  if (logs && !logs.getInitConfiguration()) {
    logs.init({ ...common, forwardErrorsToLogs: true })
    logs.logger?.setLevel(logLevel)
  }
  return true
}
