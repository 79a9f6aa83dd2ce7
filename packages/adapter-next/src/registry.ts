import type { ErrorReporter, Logger, MetricSink } from '@vivr/core'
import type { Lifecycle } from '@vivr/core/node'

/** What `register()` in instrumentation.ts set up for this process. */
export interface Observability {
  logger: Logger
  metrics: MetricSink
  reporter: ErrorReporter
  requestRate?: { mark(): void }
  /** With the `shutdown` option (and NEXT_MANUAL_SIG_HANDLE=true): add your own hooks, e.g. closing a database pool. */
  lifecycle?: Lifecycle
}

// Next.js bundles instrumentation.ts, proxy.ts and every route on their own, each with its own copy of this
// module: what register() built reaches the others only through the process, so it sits on a global symbol
// (as core's request context does). It is the handoff of one factory's result, not state of this module.
const KEY = Symbol.for('@vivr/adapter-next/observability')
type Holder = { [KEY]?: { current?: Observability; pending?: Promise<Observability> } }
const holder = () => {
  const global = globalThis as Holder
  global[KEY] ??= {}
  return global[KEY]
}

/** What register() in instrumentation.ts built in this process (undefined before): for code of your own. */
export function getObservability(): Observability | undefined {
  return holder().current
}

/** Runs `setup` once per process; later and concurrent calls share its result. */
export function registerOnce(setup: () => Promise<Observability>): Promise<Observability> {
  const slot = holder()
  if (slot.current) return Promise.resolve(slot.current)
  slot.pending ??= setup().then(
    (observability) => {
      slot.current = observability
      return observability
    },
    (error: unknown) => {
      slot.pending = undefined
      throw error
    },
  )
  return slot.pending
}
