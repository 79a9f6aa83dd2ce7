import { isCriticalError, messageOf, OptionError, REDACTED } from '@vivr/core'
import { createEventScrubber } from './scrub-event.js'
import type { SentryEventLike, SentryHintLike } from './types.js'

export interface BeforeSendOptions {
  /** Errors whose message matches are dropped (the guide: network errors from monitoring itself). @default [/Network request failed/] */
  ignore?: ReadonlyArray<RegExp | string>
  /**
   * Request headers removed from every event, case-insensitively. Whatever it says, `request.cookies` is always
   * removed and a `Cookie` / `Set-Cookie` header left in is redacted. @default ['authorization', 'cookie']
   */
  redactHeaders?: readonly string[]
  /** In production, error-level events are sent only when `isCritical` says so (the guide's server rule). @default true */
  criticalOnlyInProduction?: boolean
  /** @default isCriticalError from @vivr/core: /database|payment|auth|security/i on the message */
  isCritical?: (error: unknown) => boolean
  /** Compared with 'production'. @default process.env.NODE_ENV, read when the function is created */
  environment?: string
  /**
   * Mask credentials everywhere in the event with core's engine: message and log entry (and its params),
   * exceptions (values, frames with source context and local variables), request (url, query, data, headers),
   * extra, contexts, user (`id`, `email`, `ip_address` kept unless they look like a credential; sensitive fields
   * redacted), tags, transaction, breadcrumbs and spans. @default true
   */
  scrub?: boolean
}

/** A `beforeSend` for `Sentry.init`: returns the event to send, or null to drop it. */
export type BeforeSend = <E extends SentryEventLike>(event: E, hint?: SentryHintLike) => E | null

function envVar(name: string): string | undefined {
  return typeof process === 'undefined' ? undefined : process.env[name]
}

function matchesAny(texts: readonly string[], patterns: ReadonlyArray<RegExp | string>): boolean {
  return patterns.some((pattern) =>
    texts.some((text) => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text))),
  )
}

/** The exception as the app threw it, or one rebuilt from the event when Sentry gave no hint. */
function exceptionOf(event: SentryEventLike, hint: SentryHintLike | undefined): unknown {
  if (hint && hint.originalException !== undefined) return hint.originalException
  const first = event.exception?.values?.[0]
  if (!first) return undefined
  const error = new Error(first.value ?? '')
  if (first.type) error.name = first.type
  return error
}

/**
 * The guide's client and server `beforeSend` rules in one function: drop ignored errors (network noise), in
 * production drop error-level events that are not critical, remove sensitive request headers, and mask secrets
 * anywhere in the event. Never throws: on an internal failure the event is dropped rather than sent unscrubbed.
 */
export function createBeforeSend(options: BeforeSendOptions = {}): BeforeSend {
  const ignore = options.ignore ?? [/Network request failed/]
  if (!Array.isArray(ignore) || !ignore.every((p) => typeof p === 'string' || p instanceof RegExp)) {
    throw new OptionError('ignore', ignore, 'an array of RegExps or strings')
  }
  const redactHeaders = options.redactHeaders ?? ['authorization', 'cookie']
  if (!Array.isArray(redactHeaders) || !redactHeaders.every((h) => typeof h === 'string' && h !== '')) {
    throw new OptionError('redactHeaders', redactHeaders, 'an array of header names')
  }
  const redacted = new Set(redactHeaders.map((h) => h.toLowerCase()))
  const criticalOnly = options.criticalOnlyInProduction ?? true
  if (typeof criticalOnly !== 'boolean') {
    throw new OptionError('criticalOnlyInProduction', criticalOnly, 'true or false')
  }
  const isCritical = options.isCritical ?? isCriticalError
  if (typeof isCritical !== 'function') throw new OptionError('isCritical', isCritical, 'a function')
  const production = (options.environment ?? envVar('NODE_ENV')) === 'production'
  const scrub = options.scrub ?? true
  if (typeof scrub !== 'boolean') throw new OptionError('scrub', scrub, 'true or false')
  const scrubEvent = scrub ? createEventScrubber() : undefined

  return (event, hint) => {
    try {
      // Written through the structural type: the same object, only with fields every Sentry event has.
      const target: SentryEventLike = event
      const exception = target.exception ? exceptionOf(target, hint) : undefined
      if (target.exception && ignore.length > 0) {
        const texts = (target.exception.values ?? []).map((v) => v.value ?? '')
        if (exception !== undefined) texts.push(messageOf(exception))
        if (matchesAny(texts, ignore)) return null
      }
      if (production && criticalOnly && target.level === 'error' && !isCritical(exception)) return null

      const request = target.request
      if (request) {
        if (request.headers) {
          const kept: Record<string, string> = {}
          for (const [name, value] of Object.entries(request.headers)) {
            const lower = name.toLowerCase()
            if (redacted.has(lower)) continue
            kept[name] = lower === 'cookie' || lower === 'set-cookie' ? REDACTED : value
          }
          request.headers = kept
        }
        delete request.cookies
      }
      scrubEvent?.(target)
      return event
    } catch {
      return null
    }
  }
}
