import { type Clock, systemClock, type TimerHandle } from './clock.js'

export interface ThrottledWarnings {
  /**
   * Writes the warning at once when none of this `kind` went out in the last `intervalMs`; otherwise counts it,
   * and when the interval ends writes one summary: the latest message and fields, plus `suppressed` (how many were
   * held back) and `intervalMs`.
   */
  warn(kind: string, message: string, fields?: Record<string, unknown>): void
  /** Writes the pending summaries now and stops their timers (call on close). */
  settle(): void
}

export interface ThrottledWarningsOptions {
  /** Where a warning goes; a throw is swallowed (a broken logger must not break the caller). */
  write(message: string, fields: Record<string, unknown>): void
  /** At most one warning of a kind per interval. */
  intervalMs: number
  clock?: Clock
}

interface KindState {
  lastAt: number
  suppressed: number
  message: string
  fields: Record<string, unknown>
  timer: TimerHandle | undefined
}

/**
 * A dead backend fails every call; a warning for each would flood the app's own logs. The kit's sinks share this
 * one throttle: the first warning of a kind per interval is written, later ones fold into a summary.
 */
export function createThrottledWarnings(options: ThrottledWarningsOptions): ThrottledWarnings {
  const { write, intervalMs } = options
  const clock = options.clock ?? systemClock
  const kinds = new Map<string, KindState>()

  function emit(message: string, fields: Record<string, unknown>) {
    try {
      write(message, fields)
    } catch {
      // The throttle's caller is already handling a failure: never add one.
    }
  }

  function summarize(state: KindState) {
    state.timer = undefined
    if (state.suppressed === 0) return
    emit(state.message, { ...state.fields, suppressed: state.suppressed, intervalMs })
    state.lastAt = clock.now()
    state.suppressed = 0
  }

  return {
    warn(kind, message, fields = {}) {
      const now = clock.now()
      const state = kinds.get(kind)
      if (!state || now - state.lastAt >= intervalMs) {
        if (state?.timer !== undefined) clock.clearTimeout(state.timer)
        kinds.set(kind, { lastAt: now, suppressed: 0, message, fields, timer: undefined })
        emit(message, fields)
        return
      }
      state.suppressed++
      state.message = message
      state.fields = fields
      state.timer ??= clock.setTimeout(() => summarize(state), Math.max(0, state.lastAt + intervalMs - now))
    },
    settle() {
      for (const state of kinds.values()) {
        if (state.timer !== undefined) clock.clearTimeout(state.timer)
        summarize(state)
      }
    },
  }
}
