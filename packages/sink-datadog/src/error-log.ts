import { type Clock, type Logger, messageOf, scrubSecrets, type TimerHandle } from '@vivr/core'

export interface ThrottledErrorLog {
  /** Counts the error and logs it, or folds it into the next summary when one was logged this interval. */
  report(error: unknown): void
  /** Logs the pending summary now (on close) and stops the timer. */
  settle(): void
}

/** The error's string `code` (`ECONNREFUSED`), cut and scrubbed; undefined when there is none or it cannot be read. */
function codeOf(error: unknown): string | undefined {
  try {
    if (typeof error !== 'object' || error === null) return undefined
    const code: unknown = Reflect.get(error, 'code')
    return typeof code === 'string' ? scrubSecrets(code, 64) : undefined
  } catch {
    return undefined
  }
}

/**
 * A dead agent fails every datagram; logging each would flood the app's own logs. The first error of an interval
 * is logged at once, later ones are counted and summed up in one line when the interval ends.
 */
export function createThrottledErrorLog(options: {
  logger: Logger
  intervalMs: number
  clock: Clock
  message: string
}): ThrottledErrorLog {
  const { logger, intervalMs, clock, message } = options
  let lastLoggedAt = Number.NEGATIVE_INFINITY
  let suppressed = 0
  let lastSuppressed: unknown
  let timer: TimerHandle | undefined

  function log(error: unknown, extra: Record<string, unknown>) {
    try {
      logger.warn(message, { reason: scrubSecrets(messageOf(error)), code: codeOf(error), ...extra })
    } catch {
      // A broken logger must not turn a metrics problem into an app crash.
    }
  }

  function summarize() {
    timer = undefined
    if (suppressed === 0) return
    log(lastSuppressed, { suppressed, intervalMs })
    lastLoggedAt = clock.now()
    suppressed = 0
    lastSuppressed = undefined
  }

  return {
    report(error) {
      const now = clock.now()
      if (now - lastLoggedAt >= intervalMs) {
        lastLoggedAt = now
        log(error, {})
        return
      }
      suppressed++
      lastSuppressed = error
      timer ??= clock.setTimeout(summarize, Math.max(0, lastLoggedAt + intervalMs - now))
    },
    settle() {
      if (timer !== undefined) clock.clearTimeout(timer)
      summarize()
    },
  }
}
