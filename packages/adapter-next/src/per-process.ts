import { OptionError } from '@vivr/core'

// Why this exists: `next build` (Turbopack and webpack alike) bundles instrumentation.ts, proxy.ts and every route
// on their own, so a module they all import (`lib/health`, `lib/metrics`) is evaluated once per bundle: several
// copies in one process, each with its own request-rate meter or Prometheus registry. What must be one per
// process therefore lives where every copy can find it: on the process, under a key you name.
const PREFIX = '@vivr/adapter-next/per-process/'
type Slots = Record<symbol, unknown>

/**
 * The one instance of `create()` for this process under `key`: the first call creates it, every later call (from
 * any bundle Next.js built: instrumentation.ts, proxy.ts, any route) gets the same object. Use it for whatever
 * instrumentation.ts and your routes must share, e.g. `export const health = perProcess('health', () =>
 * createHealth({ ... }))`. The key is yours and explicit; pick one per thing (`'health'`, `'metrics'`).
 * A `create` that throws stores nothing, so the next call tries again.
 */
export function perProcess<T>(key: string, create: () => T): T {
  if (typeof key !== 'string' || key === '') throw new OptionError('key', key, 'a non-empty string')
  if (typeof create !== 'function') throw new OptionError('create', create, 'a function')
  const slot = Symbol.for(PREFIX + key)
  const slots = globalThis as Slots
  if (!(slot in slots)) {
    const value = create()
    // Not enumerable: the instance does not show up when someone walks globalThis.
    Object.defineProperty(slots, slot, { value, configurable: true, enumerable: false, writable: false })
  }
  return slots[slot] as T
}
