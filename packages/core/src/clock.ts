/** A timer handle as returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown

/**
 * Time source and timers, injectable so tests can drive time. The default clock reads `Date.now()` and uses the
 * global timers at call time (so `vi.useFakeTimers()` works too) and unrefs every timer so processes exit.
 */
export interface Clock {
  now(): number
  setTimeout(callback: () => void, delayMs: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

function unref(handle: unknown): void {
  if (
    typeof handle === 'object' &&
    handle !== null &&
    'unref' in handle &&
    typeof handle.unref === 'function'
  ) {
    handle.unref()
  }
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const handle = globalThis.setTimeout(callback, delayMs)
    unref(handle)
    return handle
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>)
  },
}
