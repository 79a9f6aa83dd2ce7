import { isSpanId, isTraceId, OptionError, type TraceIds, type TraceSource } from '@vivr/core'
import { currentTrace } from '@vivr/core/node'
import type { SentryLike, SentrySpanLike } from './types.js'

/**
 * Where the trace is read when no `trace` option is given: core's active trace (a registered tracer's span, else
 * the request context's), docs/tracing.md.
 */
export const defaultTrace: TraceSource = currentTrace

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

/** Ids with the tracer's sampled flag when it is known (core answers `traceresponse` with it). */
type SpanIds = TraceIds & { sampled?: boolean }

/** The ids of a Sentry span, through its public `spanContext()`, else `spanToJSON`; undefined if not valid. */
function spanIds(sentry: Pick<SentryLike, 'spanToJSON'>, span: SentrySpanLike): SpanIds | undefined {
  const context = typeof span.spanContext === 'function' ? span.spanContext() : undefined
  if (isTraceId(context?.traceId) && isSpanId(context?.spanId)) {
    const { traceId, spanId, traceFlags } = context
    return typeof traceFlags === 'number'
      ? { traceId, spanId, sampled: (traceFlags & 1) === 1 }
      : { traceId, spanId }
  }
  const json = typeof sentry.spanToJSON === 'function' ? sentry.spanToJSON(span) : undefined
  return isTraceId(json?.trace_id) && isSpanId(json?.span_id)
    ? { traceId: json.trace_id, spanId: json.span_id }
    : undefined
}

/** The active Sentry span's ids, or undefined (no span, no such API, or the SDK threw). */
export function activeSentrySpan(
  sentry: Pick<SentryLike, 'getActiveSpan' | 'spanToJSON'>,
): SpanIds | undefined {
  try {
    const span = typeof sentry.getActiveSpan === 'function' ? sentry.getActiveSpan() : undefined
    return span ? spanIds(sentry, span) : undefined
  } catch {
    return undefined
  }
}

/**
 * A trace source over Sentry's own tracing: the active span's ids (`Sentry.getActiveSpan()`, then
 * `span.spanContext()` or `Sentry.spanToJSON(span)`) and its sampled flag, or undefined when Sentry has no active
 * span. Register it with core's `registerTraceSource` so log lines, exemplars and EMF records carry the ids
 * Sentry's events and spans carry: `registerTraceSource(sentryTraceSource(Sentry))`. Never throws.
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
