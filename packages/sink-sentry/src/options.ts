import { OptionError } from '@vivr/core'
import { type BeforeSend, type BeforeSendOptions, createBeforeSend } from './before-send.js'

export interface SentryOptionsInput {
  /** `SENTRY_DSN` / `NEXT_PUBLIC_SENTRY_DSN`; undefined or empty disables sending. */
  dsn?: string
  /** @default process.env.NODE_ENV */
  environment?: string
  /** @default process.env.APP_VERSION when set (the version the health endpoint reports) */
  release?: string
  /** Share of transactions traced. @default 0.1 */
  tracesSampleRate?: number
  /** Options for the shared `beforeSend`, or false for none. @default {} (the guide's rules) */
  beforeSend?: BeforeSendOptions | false
}

export interface SentryInitDefaults {
  dsn?: string
  environment?: string
  release?: string
  tracesSampleRate: number
  beforeSend?: BeforeSend
  /** The same function for transactions: span data and descriptions are scrubbed like errors. */
  beforeSendTransaction?: BeforeSend
}

function envVar(name: string): string | undefined {
  return typeof process === 'undefined' ? undefined : process.env[name]
}

/**
 * The init options the client, server and edge configs share:
 * `Sentry.init({ ...sentryOptions({ dsn: process.env.SENTRY_DSN }), integrations: [...] })`.
 */
export function sentryOptions(input: SentryOptionsInput = {}): SentryInitDefaults {
  const dsn = input.dsn === '' ? undefined : input.dsn
  if (dsn !== undefined) {
    let url: URL | undefined
    try {
      url = new URL(dsn)
    } catch {
      url = undefined
    }
    if (!url?.username || !/^https?:$/.test(url.protocol)) {
      throw new OptionError('dsn', '(hidden)', 'a DSN like https://<key>@<host>/<project>')
    }
  }
  const tracesSampleRate = input.tracesSampleRate ?? 0.1
  if (typeof tracesSampleRate !== 'number' || !(tracesSampleRate >= 0 && tracesSampleRate <= 1)) {
    throw new OptionError('tracesSampleRate', tracesSampleRate, 'a number from 0 to 1')
  }
  const environment = input.environment ?? envVar('NODE_ENV')
  const release = input.release ?? envVar('APP_VERSION')
  const beforeSend =
    input.beforeSend === false ? undefined : createBeforeSend({ environment, ...input.beforeSend })
  return {
    ...(dsn === undefined ? {} : { dsn }),
    ...(environment === undefined ? {} : { environment }),
    ...(release === undefined ? {} : { release }),
    tracesSampleRate,
    ...(beforeSend ? { beforeSend, beforeSendTransaction: beforeSend } : {}),
  }
}
