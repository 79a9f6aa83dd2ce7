/** A timer handle as returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown

export interface TimerOptions {
  /**
   * Keep the process alive until the timer fires or is cleared. Only for a timer someone is awaiting (the
   * deadline of a health run a script waits on); a timer for background work must never hold a process.
   * @default false (the timer is unref'd)
   */
  keepAlive?: boolean
}

/**
 * Time source and timers, injectable so tests can drive time. The default clock reads `Date.now()` and uses the
 * global timers at call time (so `vi.useFakeTimers()` works too) and unrefs every timer, unless asked to
 * `keepAlive`, so processes exit. A clock that ignores `options` (a fake clock) stays a valid Clock.
 */
export interface Clock {
  now(): number
  setTimeout(callback: () => void, delayMs: number, options?: TimerOptions): TimerHandle
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
  setTimeout(callback, delayMs, options) {
    const handle = globalThis.setTimeout(callback, delayMs)
    if (options?.keepAlive !== true) unref(handle)
    return handle
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>)
  },
}
