import { AsyncLocalStorage } from 'node:async_hooks'
import type { LogContext } from './log-types.js'

// One store per process is the point: every logger and adapter must see the same request context, even when
// two copies of this module are loaded (ESM and CJS), so the storage lives on a global symbol.
const STORAGE_KEY = Symbol.for('@vivr/core/request-context')

function storage(): AsyncLocalStorage<LogContext> {
  const holder = globalThis as { [STORAGE_KEY]?: AsyncLocalStorage<LogContext> }
  holder[STORAGE_KEY] ??= new AsyncLocalStorage<LogContext>()
  return holder[STORAGE_KEY]
}

/** Runs `fn` with `fields` merged over the current request context; every log line inside carries them. */
export function withContext<T>(fields: LogContext, fn: () => T): T {
  const current = storage().getStore()
  let merged: LogContext
  try {
    // Only a plain object adds fields: a string, array or Buffer would add one field per character or byte.
    const prototype: unknown =
      typeof fields === 'object' && fields !== null ? Object.getPrototypeOf(fields) : undefined
    merged = Object.assign(
      {},
      current,
      prototype === Object.prototype || prototype === null ? fields : undefined,
    )
  } catch {
    // Fields that cannot be read (a throwing getter or Proxy) add nothing; `fn` still runs, in the current context.
    merged = Object.assign({}, current)
  }
  return storage().run(merged, fn)
}

/** The request context of the current async call chain, if any. */
export function getContext(): Readonly<LogContext> | undefined {
  return storage().getStore()
}
