import { OptionError, type TraceIds, type TraceSource } from '@vivr/core'

/** The part of a dd-trace span context read: its public `toTraceId()` / `toSpanId()` (given `true`, W3C hex). */
export interface DdSpanContext {
  toTraceId(get128bitId?: boolean): string
  toSpanId(get128bitId?: boolean): string
}

/** The part of dd-trace's tracer read: `tracer.scope().active()?.context()`. */
export interface DdTracer {
  scope(): { active(): { context(): DdSpanContext } | null | undefined }
}

/** A trace source that asks loggers for Datadog's form of the ids too (`dd.trace_id`, `dd.span_id`). */
export type DatadogTraceSource = TraceSource & { readonly datadogIds: true }

const HEX_TRACE_ID = /^[0-9a-f]{32}$/
const DECIMAL_ID = /^\d{1,20}$/

/** A decimal 64-bit id as W3C hex, zero-padded to `width`; '' when it is not one (core then drops the ids). */
function hex(decimal: string, width: number): string {
  return DECIMAL_ID.test(decimal) ? BigInt(decimal).toString(16).padStart(width, '0') : ''
}

function idsOf(context: DdSpanContext): TraceIds {
  // dd-trace 4+ gives the 128-bit trace id in hex (the upper half zero when it made a 64-bit one) and the span id
  // in hex when asked with `true`; an older one ignores the argument and answers in decimal.
  const traceId = context.toTraceId(true)
  if (HEX_TRACE_ID.test(traceId)) return { traceId, spanId: context.toSpanId(true) }
  return { traceId: hex(context.toTraceId(), 32), spanId: hex(context.toSpanId(), 16) }
}

/**
 * The active dd-trace span's ids, read through dd-trace's public API when a log line is written or a request
 * starts: `tracer.scope().active()?.context()`, its trace id as 128-bit hex and its span id as hex. Pass the
 * tracer you already initialised, then register it with core: `registerTraceSource(ddTraceSource(tracer))` from
 * `@vivr/core/node`. Loggers then also write `dd: { trace_id, span_id }` (Datadog's decimal form) unless their
 * `datadogTraceIds` option says otherwise. No patching, no load order (docs/tracing.md#dd-trace).
 */
export function ddTraceSource(tracer: DdTracer): DatadogTraceSource {
  if (typeof tracer?.scope !== 'function') {
    throw new OptionError('tracer', tracer, "dd-trace's tracer (import tracer from 'dd-trace')")
  }
  // A span's ids never change: the last span context read keeps its ids, so a burst of lines converts once.
  let last: { context: DdSpanContext; ids: TraceIds } | undefined
  const source = (): TraceIds | undefined => {
    const context = tracer.scope().active()?.context()
    if (context === undefined || context === null) return undefined
    if (last?.context === context) return last.ids
    const ids = idsOf(context)
    last = { context, ids }
    return ids
  }
  return Object.assign(source, { datadogIds: true as const })
}
