// One request, one trace (docs/tracing.md): where the active trace comes from — a tracer that owns it (through a
// registered source) or the request context — and a context with a fresh trace for work no request started.
import { randomFillSync } from 'node:crypto'
import { getContext, mergeContext, runInContext, traceOf } from '../telemetry/context.js'
import type { LogContext } from '../telemetry/log-types.js'
import {
  formatTraceparent,
  isSpanId,
  isTraceId,
  parseTraceparent,
  parseTracestate,
  type TraceContext,
  type TraceIds,
  type TraceSource,
  traceFromHeaders,
} from '../trace.js'
import { booleanOption, OptionError } from '../validate.js'

/** What a source may yield: the ids, and the tracer's sampled flag when it knows it. */
type SourcedTrace = TraceIds & { sampled?: boolean }
type Source = () => SourcedTrace | undefined

/** The registered sources, shared by every copy of core in the process (ESM and CJS, one bundle per route). */
export interface TraceRegistry {
  /** Replaced on every change, never mutated, so a reader in the middle of it is never disturbed. */
  sources: readonly Source[]
  /** How many of them asked for Datadog's form of the ids on log lines (sink-datadog's ddTraceSource). */
  datadog: number
}

const REGISTRY_KEY = Symbol.for('@vivr/core/trace-sources')

export function traceRegistry(): TraceRegistry {
  const holder = globalThis as { [REGISTRY_KEY]?: TraceRegistry }
  holder[REGISTRY_KEY] ??= { sources: [], datadog: 0 }
  return holder[REGISTRY_KEY]
}

export interface TraceSourceOptions {
  /**
   * Loggers without a `datadogTraceIds` option write `dd: { trace_id, span_id }` (Datadog's decimal form) while
   * this source is registered. @default `source.datadogIds === true` (set by sink-datadog's ddTraceSource)
   */
  datadogIds?: boolean
}

/**
 * Registers where the active trace comes from when a tracer owns it: `otelTraceSource(api)`, sink-datadog's
 * `ddTraceSource(tracer)`, or any function returning `{ traceId, spanId }` (W3C hex) or `undefined`. Sources are
 * asked in the order registered, at the moment a line is written or a request starts; the first that yields valid
 * ids wins over the request context's. Returns the function that unregisters it.
 */
export function registerTraceSource(
  source: TraceSource & { readonly datadogIds?: boolean },
  options: TraceSourceOptions = {},
): () => void {
  if (typeof source !== 'function') {
    throw new OptionError('source', source, 'a function returning { traceId, spanId } or undefined')
  }
  const datadog = booleanOption('datadogIds', options?.datadogIds) ?? source.datadogIds === true
  const registry = traceRegistry()
  registry.sources = [...registry.sources, source]
  if (datadog) registry.datadog++
  let registered = true
  return () => {
    if (!registered) return
    registered = false
    const index = registry.sources.indexOf(source)
    registry.sources = registry.sources.filter((_, i) => i !== index)
    if (datadog) registry.datadog--
  }
}

/**
 * The first valid ids a registered source yields, read into an object of our own (a source that throws is
 * skipped). `last` comes back as it is when the ids have not changed, so a caller can keep what it derived.
 */
function readSources(sources: readonly Source[], last?: SourcedTrace): SourcedTrace | undefined {
  for (const source of sources) {
    try {
      const ids = source()
      if (ids === undefined || ids === null) continue
      const { traceId, spanId, sampled } = ids
      if (
        last !== undefined &&
        traceId === last.traceId &&
        spanId === last.spanId &&
        sampled === last.sampled
      )
        return last
      if (isTraceId(traceId) && isSpanId(spanId)) {
        return typeof sampled === 'boolean' ? { traceId, spanId, sampled } : { traceId, spanId }
      }
    } catch {
      // A source must never break a log line or a request.
    }
  }
  return undefined
}

/** The registered sources read for a hot path (the logger): the same object back while the ids are the same. */
export function sourceReader(registry: TraceRegistry = traceRegistry()): () => SourcedTrace | undefined {
  let last: SourcedTrace | undefined
  return () => {
    if (registry.sources.length === 0) return undefined
    const read = readSources(registry.sources, last)
    if (read !== undefined) last = read
    return read
  }
}

/** The trace a tracer owns right now (the registered sources), if any. */
export function sourcedTrace(): SourcedTrace | undefined {
  const { sources } = traceRegistry()
  return sources.length === 0 ? undefined : readSources(sources)
}

/**
 * The active trace: what the registered sources yield (a tracer's active span), else the request context's (the
 * request's own trace, or withTrace's). `undefined` outside both.
 */
export function currentTrace(): TraceIds | undefined {
  return sourcedTrace() ?? traceOf(getContext())
}

/**
 * The headers that carry the active trace to a service this one calls: `traceparent`, and `tracestate` as it came
 * in (`fetch(url, { headers: { ...traceHeaders(), … } })`). Empty without an active trace. A tracer that owns the
 * trace propagates it itself.
 */
export function traceHeaders(): Record<string, string> {
  const sourced = sourcedTrace()
  if (sourced !== undefined) return { traceparent: formatTraceparent(sourced) }
  const trace = traceOf(getContext())
  if (trace === undefined) return {}
  const traceparent = formatTraceparent(trace)
  return trace.traceState === undefined ? { traceparent } : { traceparent, tracestate: trace.traceState }
}

/**
 * Random W3C ids for a hot path (a request's trace): hex drawn from a pool refilled 4 KiB at a time. One
 * getrandom per ~170 traces instead of one per id matters where that system call is slow (a few microseconds
 * in a microVM, against ~0.1 µs for a slice of the pool).
 */
export function randomIds(poolBytes = 4096): { traceId(): string; spanId(): string } {
  const pool = Buffer.allocUnsafe(poolBytes)
  let offset = poolBytes
  const take = (bytes: number): string => {
    if (offset + bytes > poolBytes) {
      randomFillSync(pool)
      offset = 0
    }
    const hex = pool.toString('hex', offset, offset + bytes)
    offset += bytes
    return hex
  }
  const ids = {
    // All zeros is no id (W3C): drawn again, as often as it takes (once in 2^64 draws for a span).
    traceId: (): string => {
      const id = take(16)
      return isTraceId(id) ? id : ids.traceId()
    },
    spanId: (): string => {
      const id = take(8)
      return isSpanId(id) ? id : ids.spanId()
    },
  }
  return ids
}

/**
 * traceFromHeaders (core's isomorphic entry) with ids from `ids`: a child of a valid `traceparent` (its
 * `tracestate` kept when valid), else a new sampled trace.
 */
export function traceFromRequest(
  traceparent: unknown,
  tracestate: unknown,
  ids: ReturnType<typeof randomIds>,
): TraceContext {
  const parent = parseTraceparent(traceparent)
  if (!parent) return { traceId: ids.traceId(), spanId: ids.spanId(), sampled: true }
  // Fields named, not spread: V8 copies a spread object on a slow path here (~2 µs a request).
  const trace: TraceContext = {
    traceId: parent.traceId,
    spanId: ids.spanId(),
    parentSpanId: parent.parentSpanId,
    sampled: parent.sampled,
  }
  const state = parseTracestate(tracestate)
  if (state !== undefined) trace.traceState = state
  return trace
}

/** Where background work came from, when it carries it (a job's `traceparent`): its trace is continued. */
export interface TraceParent {
  traceparent?: unknown
  tracestate?: unknown
}

/**
 * Runs `fn` in a context of its own with a fresh trace, for work no request started (a timer, a queue consumer,
 * a script): every log line inside carries its `trace_id` and `span_id`, and `fields`. Nothing of the caller's
 * context is carried over (a timer created during a request would otherwise log that request's id forever). With
 * `parent`, a valid `traceparent` is continued instead (a new span of that trace); a malformed one is ignored.
 */
export function withTrace<T>(fn: () => T, fields?: LogContext, parent?: TraceParent): T {
  let trace: TraceContext
  try {
    trace = traceFromHeaders(parent?.traceparent, parent?.tracestate)
  } catch {
    trace = traceFromHeaders(undefined)
  }
  return runInContext(mergeContext(undefined, fields, Object.freeze(trace)), fn)
}

/** The part of `@opentelemetry/api` otelTraceSource reads (typed here so core does not depend on it). */
export interface OtelTraceApi {
  trace: {
    getActiveSpan(): { spanContext(): OtelSpanContext } | undefined
    isSpanContextValid(spanContext: OtelSpanContext): boolean
  }
}

export interface OtelSpanContext {
  traceId: string
  spanId: string
  traceFlags: number
}

/**
 * The active OpenTelemetry span's ids, read through its public API when asked (`trace.getActiveSpan()`), only
 * when the span context is valid. Pass the module you already import: `otelTraceSource(api)` with
 * `import * as api from '@opentelemetry/api'`. No patching, no load order.
 */
export function otelTraceSource(api: OtelTraceApi): TraceSource {
  const trace = api?.trace
  if (typeof trace?.getActiveSpan !== 'function' || typeof trace.isSpanContextValid !== 'function') {
    throw new OptionError(
      'api',
      api,
      "the @opentelemetry/api module (import * as api from '@opentelemetry/api')",
    )
  }
  return (): SourcedTrace | undefined => {
    const span = trace.getActiveSpan()
    if (span === undefined) return undefined
    const context = span.spanContext()
    if (!trace.isSpanContextValid(context)) return undefined
    return { traceId: context.traceId, spanId: context.spanId, sampled: (context.traceFlags & 1) === 1 }
  }
}
