import { AsyncLocalStorage } from 'node:async_hooks'
import { isSpanId, isTraceId, type TraceContext } from '../trace.js'
import type { LogContext } from './log-types.js'

// One store per process is the point: every logger and adapter must see the same request context, even when
// two copies of this module are loaded (ESM and CJS), so the storage lives on a global symbol.
const STORAGE_KEY = Symbol.for('@vivr/core/request-context')

/**
 * Where a context keeps its trace (docs/tracing.md#the-request-context): a symbol, so the trace is carried from a
 * context to the ones nested in it (Object.assign copies it) but is no field of its own on a log line (the logger
 * writes `trace_id` / `span_id` from it, and JSON serialization skips symbols). Global, for the same reason.
 */
const TRACE = Symbol.for('@vivr/core/trace-context')

type Stored = LogContext & { [TRACE]?: TraceContext }

function storage(): AsyncLocalStorage<LogContext> {
  const holder = globalThis as { [STORAGE_KEY]?: AsyncLocalStorage<LogContext> }
  holder[STORAGE_KEY] ??= new AsyncLocalStorage<LogContext>()
  return holder[STORAGE_KEY]
}

/** `fields` merged over `base` (plain objects only add fields), with `trace` when given: a new context object. */
export function mergeContext(
  base: LogContext | undefined,
  fields: unknown,
  trace?: TraceContext,
): LogContext {
  let merged: Stored
  try {
    // Only a plain object adds fields: a string, array or Buffer would add one field per character or byte.
    const prototype: unknown =
      typeof fields === 'object' && fields !== null ? Object.getPrototypeOf(fields) : undefined
    merged = Object.assign(
      {},
      base,
      prototype === Object.prototype || prototype === null ? fields : undefined,
    )
  } catch {
    // Fields that cannot be read (a throwing getter or Proxy) add nothing.
    merged = Object.assign({}, base)
  }
  if (trace !== undefined) merged[TRACE] = trace
  return merged
}

/** Runs `fn` with `fields` merged over the current request context; every log line inside carries them. */
export function withContext<T>(fields: LogContext, fn: () => T): T {
  return storage().run(mergeContext(storage().getStore(), fields), fn)
}

/** Runs `fn` in exactly this context (one built by mergeContext). */
export function runInContext<T>(context: LogContext, fn: () => T): T {
  return storage().run(context, fn)
}

/** The request context of the current async call chain, if any. */
export function getContext(): Readonly<LogContext> | undefined {
  return storage().getStore()
}

/**
 * The trace a context carries, when it carries a valid one. Read defensively: the symbol is global, so anything
 * could have put a value there; only ids that are well-formed ever reach a log line.
 */
export function traceOf(context: Readonly<Stored> | undefined): TraceContext | undefined {
  if (context === undefined) return undefined
  try {
    const trace = context[TRACE]
    return trace !== undefined && isTraceId(trace.traceId) && isSpanId(trace.spanId) ? trace : undefined
  } catch {
    return undefined
  }
}
