import { OptionError } from '@vivr/core'
import type { BeforeSendOptions } from './before-send.js'
import { sentryOptions } from './options.js'

/** The part of `import * as Sentry from '@sentry/nextjs'` (or `@sentry/browser`, `@sentry/react`) used here. */
export interface SentryBrowserLike {
  init(options: Record<string, unknown>): unknown
  replayIntegration(options: { maskAllText: boolean; blockAllMedia: boolean }): unknown
  getClient?(): unknown
}

export interface SentryBrowserOptions {
  /** The Sentry namespace of a browser SDK: `import * as Sentry from '@sentry/nextjs'`. */
  sdk: SentryBrowserLike
  /** Undefined or empty disables sending. @default process.env.NEXT_PUBLIC_SENTRY_DSN (inlined by Next.js) */
  dsn?: string
  /** @default process.env.NODE_ENV (inlined by the app's bundler) */
  environment?: string
  release?: string
  /** Share of transactions traced, 0 to 1. @default 0.1 */
  tracesSampleRate?: number
  /** Share of sessions recorded by Replay, 0 to 1. @default 0.1 */
  replaysSessionSampleRate?: number
  /** Share of sessions with an error whose replay is kept, 0 to 1. @default 1 */
  replaysOnErrorSampleRate?: number
  /** Replay privacy: every text masked. @default true */
  maskAllText?: boolean
  /** Replay privacy: every image and video blocked. @default true */
  blockAllMedia?: boolean
  /**
   * The shared beforeSend (network noise dropped, `authorization`/`cookie` headers removed, secrets masked), or
   * false for none. The guide's server-only rule (production sends critical errors only) is off by default here.
   * @default { criticalOnlyInProduction: false }
   */
  beforeSend?: BeforeSendOptions | false
}

// Written out in full, so Next.js (or any bundler told to) inlines the value in the browser bundle; where nothing
// did and there is no `process` at all, undefined instead of a ReferenceError.
function publicDsn(): string | undefined {
  try {
    return process.env.NEXT_PUBLIC_SENTRY_DSN
  } catch {
    return undefined
  }
}
function nodeEnv(): string | undefined {
  try {
    return process.env.NODE_ENV
  } catch {
    return undefined
  }
}

function rate(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new OptionError(option, value, 'a number from 0 to 1')
  }
  return value
}

function flag(option: string, value: unknown): boolean {
  if (value === undefined) return true
  if (typeof value !== 'boolean') throw new OptionError(option, value, 'true or false')
  return value
}

/**
 * The guide's browser Sentry: Session Replay with every text masked and every medium blocked, the shared
 * beforeSend (client rules), traces 0.1, replays 0.1 of sessions and 1.0 of sessions with an error. Every option
 * is validated before the SDK is touched. Call it once, e.g. in `instrumentation-client.ts`. Returns true when it
 * initialised the SDK, false when a Sentry client was already running (then it is left alone).
 */
export function startSentryBrowser(options: SentryBrowserOptions): boolean {
  const sdk = options?.sdk
  if (typeof sdk?.init !== 'function' || typeof sdk.replayIntegration !== 'function') {
    throw new OptionError('sdk', sdk, "a browser Sentry namespace (import * as Sentry from '@sentry/nextjs')")
  }
  const beforeSend = options.beforeSend
  const init = {
    ...sentryOptions({
      dsn: options.dsn ?? publicDsn(),
      environment: options.environment ?? nodeEnv(),
      release: options.release,
      tracesSampleRate: options.tracesSampleRate,
      beforeSend: beforeSend === false ? false : { criticalOnlyInProduction: false, ...beforeSend },
    }),
    replaysSessionSampleRate: rate('replaysSessionSampleRate', options.replaysSessionSampleRate, 0.1),
    replaysOnErrorSampleRate: rate('replaysOnErrorSampleRate', options.replaysOnErrorSampleRate, 1),
  }
  const replay = {
    maskAllText: flag('maskAllText', options.maskAllText),
    blockAllMedia: flag('blockAllMedia', options.blockAllMedia),
  }
  if (sdk.getClient?.()) return false
  sdk.init({ ...init, integrations: [sdk.replayIntegration(replay)] })
  return true
}
