import { isSpanId, isTraceId, OptionError, type TraceIds, type TraceSource } from '@vivr/core'
import type { SentryLike, SentrySpanLike } from './types.js'

/**
 * Where the reporter reads the request's trace when no `trace` option is given. Until core's Node entry exports
 * `currentTrace` (issue 15, part 1), none: the one line to switch is this one.
 */
export const defaultTrace: TraceSource = () => undefined

/** The `trace` option: a source, `false` for none, or the default. */
export function traceOption(value: TraceSource | false | undefined): TraceSource | undefined {
  if (value === undefined) return defaultTrace
  if (value === false) return undefined
  if (typeof value !== 'function') {
    throw new OptionError('trace', value, 'a function returning the active trace ids, or false')
  }
  return value
}

/** Both ids when both are valid W3C ids, else undefined; whatever the source does, this never throws. */
export function readTrace(source: TraceSource | undefined): TraceIds | undefined {
  if (source === undefined) return undefined
  try {
    const ids = source()
    if (!ids) return undefined
    const { traceId, spanId } = ids
    return isTraceId(traceId) && isSpanId(spanId) ? { traceId, spanId } : undefined
  } catch {
    return undefined
  }
}

/** The ids of a Sentry span, through its public `spanContext()`, else `spanToJSON`; undefined if not valid. */
function spanIds(sentry: Pick<SentryLike, 'spanToJSON'>, span: SentrySpanLike): TraceIds | undefined {
  const context = typeof span.spanContext === 'function' ? span.spanContext() : undefined
  if (isTraceId(context?.traceId) && isSpanId(context?.spanId)) {
    return { traceId: context.traceId, spanId: context.spanId }
  }
  const json = typeof sentry.spanToJSON === 'function' ? sentry.spanToJSON(span) : undefined
  return isTraceId(json?.trace_id) && isSpanId(json?.span_id)
    ? { traceId: json.trace_id, spanId: json.span_id }
    : undefined
}

/** The active Sentry span's ids, or undefined (no span, no such API, or the SDK threw). */
export function activeSentrySpan(
  sentry: Pick<SentryLike, 'getActiveSpan' | 'spanToJSON'>,
): TraceIds | undefined {
  try {
    const span = typeof sentry.getActiveSpan === 'function' ? sentry.getActiveSpan() : undefined
    return span ? spanIds(sentry, span) : undefined
  } catch {
    return undefined
  }
}

/**
 * A trace source over Sentry's own tracing: the active span's ids (`Sentry.getActiveSpan()`, then
 * `span.spanContext()` or `Sentry.spanToJSON(span)`), or undefined when Sentry has no active span. Register it
 * with core's `useTraceSource` so log lines, exemplars and EMF records carry the ids Sentry's events and
 * transactions carry: `useTraceSource(sentryTraceSource(Sentry))`. Never throws.
 */
export function sentryTraceSource(
  sentry: Required<Pick<SentryLike, 'getActiveSpan'>> & Pick<SentryLike, 'spanToJSON'>,
): TraceSource {
  if (typeof sentry?.getActiveSpan !== 'function') {
    throw new OptionError(
      'sentry',
      sentry,
      'the Sentry SDK namespace with getActiveSpan (import * as Sentry from "@sentry/node")',
    )
  }
  return () => activeSentrySpan(sentry)
}
