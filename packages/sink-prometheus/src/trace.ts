import { isSpanId, isTraceId, OptionError, type TraceSource } from '@vivr/core'
import { currentTrace } from '@vivr/core/node'

/**
 * Where the trace is read when no `trace` option is given: core's active trace (a registered tracer's span, else
 * the request context's), docs/tracing.md.
 */
export const defaultTrace: TraceSource = currentTrace

/** The ids an exemplar carries: a valid trace id, and the span id when it is valid too. */
export interface ExemplarIds {
  traceId: string
  spanId?: string
}

/** The `trace` option: a source, `false` for none, or the default. */
export function traceOption(value: TraceSource | false | undefined): TraceSource | undefined {
  if (value === undefined) return defaultTrace
  if (value === false) return undefined
  if (typeof value !== 'function') {
    throw new OptionError('trace', value, 'a function returning the active trace ids, or false')
  }
  return value
}

/**
 * A reader of the active trace's ids, or undefined: the source may throw, return anything, or ids that are not
 * W3C ids (a hostile header copied as is); only a valid trace id (and span id) is ever attached. The ids last
 * read are kept, so the calls of one request validate its ids once and allocate nothing.
 */
export function traceReader(source: TraceSource | undefined): () => ExemplarIds | undefined {
  if (source === undefined) return () => undefined
  let last: ExemplarIds | undefined
  return () => {
    try {
      const ids = source()
      if (!ids) return undefined
      const { traceId, spanId } = ids
      if (last !== undefined && traceId === last.traceId && spanId === last.spanId) return last
      if (!isTraceId(traceId)) return undefined
      last = isSpanId(spanId) ? { traceId, spanId } : { traceId }
      return last
    } catch {
      return undefined
    }
  }
}
