import {
  type ErrorReporter,
  OptionError,
  type ShutdownRegistry,
  type TraceIds,
  type TraceSource,
} from '@vivr/core'
import { durationOption } from '@vivr/core/internal'
import { readableBySdk } from './readable.js'
import { activeSentrySpan, readTrace, traceOption } from './trace.js'
import type { NextErrorContextLike, NextRequestLike, SentryCaptureContext, SentryLike } from './types.js'

export interface SentryReporterOptions {
  /** Used by `flush()` and `close()` when called without a timeout. @default 2000 */
  flushTimeoutMs?: number
  /** Registers `close()` as a shutdown hook, e.g. `lifecycle: createLifecycle()`. */
  lifecycle?: ShutdownRegistry
  /**
   * The request's trace when an error is captured: it becomes the event's `contexts.trace` (`trace_id`,
   * `span_id`), so the event links to the trace and to the request's log lines. When Sentry's own tracing has an
   * active span, Sentry's ids win and this is not read. Ids that are not valid W3C ids are never attached.
   * `false` attaches none.
   * @default core's active trace, `currentTrace` from `@vivr/core/node` (a registered tracer's span, else the request's)
   */
  trace?: TraceSource | false
}

export interface SentryReporter extends ErrorReporter {
  /** Resolves true when every pending event was sent within `timeoutMs`. Never rejects. */
  flush(timeoutMs?: number): Promise<boolean>
  /** Flushes, then disables the SDK (no event is sent after). Never rejects. */
  close(timeoutMs?: number): Promise<boolean>
  /**
   * With `@sentry/nextjs`: an error Next.js passed to `onRequestError`, handed to `Sentry.captureRequestError` with
   * its request and route (adapter-next's `onRequestError` uses it when present). Never throws. Absent with an SDK
   * that has no `captureRequestError` (`@sentry/node`).
   */
  captureRequestError?(error: unknown, request: NextRequestLike, context: NextErrorContextLike): void
}

/**
 * An ErrorReporter over the Sentry SDK the app already initialized: pass the namespace,
 * `sentryReporter(Sentry)` with `import * as Sentry from '@sentry/nextjs'` (or `@sentry/node`).
 */
export function sentryReporter(sentry: SentryLike, options: SentryReporterOptions = {}): SentryReporter {
  if (typeof sentry?.captureException !== 'function' || typeof sentry.flush !== 'function') {
    throw new OptionError(
      'sentry',
      sentry,
      'the Sentry SDK namespace (import * as Sentry from "@sentry/node")',
    )
  }
  const defaultTimeoutMs = durationOption('flushTimeoutMs', options.flushTimeoutMs) ?? 2000
  if (options.lifecycle !== undefined && typeof options.lifecycle?.onShutdown !== 'function') {
    throw new OptionError('lifecycle', options.lifecycle, 'an object with onShutdown(name, hook, options)')
  }
  const traceSource = traceOption(options.trace)
  /** The kit's trace for this event, unless Sentry's own tracing has an active span (its ids win). */
  const eventTrace = (): TraceIds | undefined =>
    traceSource === undefined || activeSentrySpan(sentry) !== undefined ? undefined : readTrace(traceSource)
  const settle = async (call: () => PromiseLike<boolean>) => {
    try {
      return (await call()) === true
    } catch {
      return false
    }
  }
  const reporter: SentryReporter = {
    captureException(error, context) {
      try {
        const captureContext: SentryCaptureContext = {}
        if (context?.tags) captureContext.tags = context.tags
        if (context?.extra) captureContext.extra = context.extra
        if (context?.level) captureContext.level = context.level
        const trace = eventTrace()
        if (trace) captureContext.contexts = { trace: { trace_id: trace.traceId, span_id: trace.spanId } }
        const eventId = sentry.captureException(readableBySdk(error), captureContext)
        return typeof eventId === 'string' && eventId !== '' ? eventId : undefined
      } catch {
        return undefined
      }
    },
    flush: (timeoutMs = defaultTimeoutMs) => settle(() => sentry.flush(timeoutMs)),
    close: (timeoutMs = defaultTimeoutMs) =>
      settle(() => (sentry.close ? sentry.close(timeoutMs) : sentry.flush(timeoutMs))),
  }
  if (typeof sentry.captureRequestError === 'function') {
    reporter.captureRequestError = (error, request, context) => {
      try {
        const readable = readableBySdk(error)
        const trace = typeof sentry.withScope === 'function' ? eventTrace() : undefined
        if (trace === undefined) sentry.captureRequestError?.(readable, request, context)
        else {
          sentry.withScope?.((scope) => {
            scope.setContext('trace', { trace_id: trace.traceId, span_id: trace.spanId })
            sentry.captureRequestError?.(readable, request, context)
          })
        }
      } catch {
        // Reporting must never turn one error into two.
      }
    }
  }
  options.lifecycle?.onShutdown('sentry', () => reporter.close(), { timeoutMs: defaultTimeoutMs + 1000 })
  return reporter
}
