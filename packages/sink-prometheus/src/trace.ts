import { isSpanId, isTraceId, OptionError, type TraceSource } from '@vivr/core'

/**
 * Where exemplars read the trace of the call being recorded when no `trace` option is given.
 * Until core's Node entry exports `currentTrace` (issue 15, part 1), none: the one line to switch is this one.
 */
export const defaultTrace: TraceSource = () => undefined

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
 * The active trace's ids, or undefined: the source may throw, return anything, or ids that are not W3C ids
 * (a hostile header copied as is); only a valid trace id (and span id) is ever attached.
 */
export function readTrace(source: TraceSource | undefined): ExemplarIds | undefined {
  if (source === undefined) return undefined
  try {
    const ids = source()
    if (!ids) return undefined
    const { traceId, spanId } = ids
    if (!isTraceId(traceId)) return undefined
    return isSpanId(spanId) ? { traceId, spanId } : { traceId }
  } catch {
    return undefined
  }
}
