import type { Clock } from '@vivr/core'

export interface Waiters {
  readonly size: number
  /**
   * Resolves once every line up to sequence number `target` is settled (delivered, refused or dropped), or after
   * `timeoutMs`. Never rejects.
   */
  wait(target: number, timeoutMs: number): Promise<void>
  /** Resolves the waiters whose target is settled now; call whenever lines leave the queue. */
  wake(): void
}

/**
 * The callers of `flush()` and `close()` waiting for their lines. `settledThrough(target)` says whether every line
 * up to `target` has left the destination.
 */
export function createWaiters(settledThrough: (target: number) => boolean, clock: Clock): Waiters {
  const waiting = new Set<{ target: number; resolve: () => void }>()

  return {
    get size() {
      return waiting.size
    },
    wait(target, timeoutMs) {
      if (settledThrough(target)) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const done = () => {
          clock.clearTimeout(deadline)
          waiting.delete(waiter)
          resolve()
        }
        const waiter = { target, resolve: done }
        // Unlike the sink's own timers, this one keeps the process alive: a caller awaiting flush() or close() (a
        // script's last line, a shutdown hook) must not see the process exit under it while a retry waits.
        const deadline = clock.setTimeout(done, timeoutMs, { keepAlive: true })
        waiting.add(waiter)
      })
    },
    wake() {
      for (const waiter of waiting) {
        if (settledThrough(waiter.target)) waiter.resolve()
      }
    },
  }
}
