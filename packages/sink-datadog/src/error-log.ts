import { type Clock, type Logger, messageOf, scrubSecrets } from '@vivr/core'
import { createThrottledWarnings } from '@vivr/core/internal'

export interface ThrottledErrorLog {
  /** Logs the error at once, or folds it into the summary when one was logged this interval. */
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
 * Send errors as log warnings, on core's throttle: a dead agent fails every datagram, and a line each would flood
 * the app's own logs. The first error of an interval is logged at once with its scrubbed `reason` and `code`;
 * later ones are counted and summed up in one line (`suppressed`, `intervalMs`) when the interval ends.
 */
export function createThrottledErrorLog(options: {
  logger: Logger
  intervalMs: number
  clock: Clock
  message: string
}): ThrottledErrorLog {
  const { logger, message } = options
  const warnings = createThrottledWarnings({
    write: (line, fields) => logger.warn(line, fields),
    intervalMs: options.intervalMs,
    clock: options.clock,
  })
  return {
    report(error) {
      warnings.warn('send', message, { reason: scrubSecrets(messageOf(error)), code: codeOf(error) })
    },
    settle: () => warnings.settle(),
  }
}
