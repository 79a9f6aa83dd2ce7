import type { Clock, TimerOptions } from '@vivr/core'

export interface ManualTimer {
  at: number
  callback: () => void
  options: TimerOptions | undefined
}

export interface ManualClock extends Clock {
  /** Timers not yet fired nor cleared, earliest first. */
  readonly pending: readonly ManualTimer[]
  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void
  /** Fires the earliest pending timer (time jumps to it); false when there is none. */
  fireNext(): boolean
}

/** A clock the test drives: time moves only when asked, timers fire only on `advance` or `fireNext`. */
export function manualClock(start = Date.UTC(2026, 10, 26, 12)): ManualClock {
  let now = start
  let timers: ManualTimer[] = []
  const fire = (timer: ManualTimer) => {
    timers = timers.filter((t) => t !== timer)
    now = Math.max(now, timer.at)
    timer.callback()
  }
  return {
    now: () => now,
    setTimeout(callback, delayMs, options) {
      const timer = { at: now + delayMs, callback, options }
      timers = [...timers, timer].sort((a, b) => a.at - b.at)
      return timer
    },
    clearTimeout(handle) {
      timers = timers.filter((t) => t !== handle)
    },
    get pending() {
      return timers
    },
    advance(ms) {
      const until = now + ms
      for (let next = timers[0]; next !== undefined && next.at <= until; next = timers[0]) fire(next)
      now = until
    },
    fireNext() {
      const next = timers[0]
      if (next === undefined) return false
      fire(next)
      return true
    },
  }
}

/** Lets pending promise callbacks run (one macrotask). */
export const tick = () => new Promise<void>((resolve) => setImmediate(resolve))
