import { isCriticalError, messageOf, OptionError, REDACTED } from '@vivr/core'
import { isSensitiveKey, scrubDeep, scrubRecord, scrubText } from './scrub.js'
import type { SentryEventLike, SentryHintLike } from './types.js'

export interface BeforeSendOptions {
  /** Errors whose message matches are dropped (the guide: network errors from monitoring itself). @default [/Network request failed/] */
  ignore?: ReadonlyArray<RegExp | string>
  /** Request headers removed from every event, case-insensitively. @default ['authorization', 'cookie'] */
  redactHeaders?: readonly string[]
  /** In production, error-level events are sent only when `isCritical` says so (the guide's server rule). @default true */
  criticalOnlyInProduction?: boolean
  /** @default isCriticalError from @vivr/core: /database|payment|auth|security/i on the message */
  isCritical?: (error: unknown) => boolean
  /** Compared with 'production'. @default process.env.NODE_ENV, read when the function is created */
  environment?: string
  /** Mask credentials in messages, exceptions (values, source context, local variables), request data, extra and breadcrumbs. @default true */
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

function scrubEvent(event: SentryEventLike): void {
  if (typeof event.message === 'string') event.message = scrubText(event.message)
  if (typeof event.logentry?.message === 'string') event.logentry.message = scrubText(event.logentry.message)
  for (const exception of event.exception?.values ?? []) {
    if (typeof exception.value === 'string') exception.value = scrubText(exception.value)
    // Source lines around each frame and (with local-variable capture) the frame's variables.
    for (const frame of exception.stacktrace?.frames ?? []) {
      if (typeof frame.context_line === 'string') frame.context_line = scrubText(frame.context_line)
      if (frame.pre_context) frame.pre_context = frame.pre_context.map(scrubText)
      if (frame.post_context) frame.post_context = frame.post_context.map(scrubText)
      if (frame.vars) frame.vars = scrubRecord(frame.vars)
    }
  }
  const request = event.request
  if (request) {
    if (typeof request.url === 'string') request.url = scrubText(request.url)
    if (request.data !== undefined) request.data = scrubDeep(request.data)
    if (request.query_string !== undefined) request.query_string = scrubDeep(request.query_string)
    if (request.headers) {
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(request.headers)) {
        headers[name] = isSensitiveKey(name) ? REDACTED : scrubText(String(value))
      }
      request.headers = headers
    }
  }
  if (event.extra) event.extra = scrubRecord(event.extra)
  for (const breadcrumb of event.breadcrumbs ?? []) {
    if (typeof breadcrumb.message === 'string') breadcrumb.message = scrubText(breadcrumb.message)
    if (breadcrumb.data) breadcrumb.data = scrubRecord(breadcrumb.data)
  }
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

      const headers = target.request?.headers
      if (target.request && headers) {
        const kept: Record<string, string> = {}
        for (const [name, value] of Object.entries(headers)) {
          if (!redacted.has(name.toLowerCase())) kept[name] = value
        }
        target.request.headers = kept
      }
      if (target.request?.cookies && redacted.has('cookie')) delete target.request.cookies
      if (scrub) scrubEvent(target)
      return event
    } catch {
      return null
    }
  }
}
