import type { Clock, Logger } from '@vivr/core'
import { createThrottledWarnings } from '@vivr/core/internal'
import type { DropInfo, DropReason } from './logs-options.js'

/** The destination's own warnings; each kind is throttled on its own. */
export type WarningKind =
  | 'buffer-full'
  | 'rejected'
  | 'permanent'
  | 'retrying'
  | 'retention'
  | 'close'
  | 'internal'

export interface AccountingOptions {
  logGroupName: string
  /** Warnings go here when given; otherwise as JSON lines to `fallback`. */
  logger: Logger | undefined
  fallback: (line: string) => void
  onDrop: ((info: DropInfo) => void) | undefined
  warnIntervalMs: number
  clock: Clock
}

/**
 * Where lines that never reach CloudWatch are counted and told about — `onDrop`, the fallback — and where the
 * destination's own warnings go, throttled per kind by core's `createThrottledWarnings`. Nothing here throws: the
 * callbacks are the user's, and a broken logger must not break logging.
 */
export interface Accounting {
  /** Lines dropped for room (`buffer-full`) or lost with a failed worker thread (`worker-failed`). */
  readonly dropped: number
  /** Events CloudWatch refused (`rejected-*`). */
  readonly rejected: number
  /** Lines handed to the fallback. */
  readonly fallback: number
  /** Counts `count` lines lost for `reason` and tells `onDrop`; nothing for a count ≤ 0. */
  drop(count: number, reason: DropReason): void
  /** Hands each line to the fallback and counts them. */
  toFallback(lines: readonly string[]): void
  /**
   * At most one warning of a kind per `warnIntervalMs`; more within the interval fold into one summary at its end
   * (the latest message and fields, `suppressed`, `intervalMs`). Fields carry `sink` and `logGroupName`.
   */
  warn(kind: WarningKind, message: string, fields?: Record<string, unknown>): void
  /**
   * On close: stops the throttle's timers. A summary still pending is not written (the destination is closed; its
   * `stats()` keep the counts), and later warnings are dropped.
   */
  close(): void
}

export function createAccounting(options: AccountingOptions): Accounting {
  const { logGroupName, logger, fallback, onDrop, clock } = options
  let dropped = 0
  let rejected = 0
  let fallbackLines = 0
  let closed = false

  const warnings = createThrottledWarnings({
    intervalMs: options.warnIntervalMs,
    clock,
    write(message, fields) {
      if (closed) return
      const context = { sink: 'cloudwatch-logs', logGroupName, ...fields }
      if (logger) logger.warn(message, context)
      else
        fallback(
          JSON.stringify({
            level: 'WARN',
            timestamp: new Date(clock.now()).toISOString(),
            message,
            ...context,
          }),
        )
    },
  })

  return {
    get dropped() {
      return dropped
    },
    get rejected() {
      return rejected
    },
    get fallback() {
      return fallbackLines
    },
    drop(count, reason) {
      if (!(count > 0)) return
      if (reason.startsWith('rejected-')) rejected += count
      else dropped += count
      try {
        onDrop?.({ count, reason })
      } catch {
        // The callback is the user's; its failure is not ours to surface.
      }
    },
    toFallback(lines) {
      for (const line of lines) {
        try {
          fallback(line)
        } catch {
          // Nothing else to try.
        }
      }
      fallbackLines += lines.length
    },
    warn(kind, message, fields) {
      if (!closed) warnings.warn(kind, message, fields)
    },
    close() {
      closed = true
      warnings.settle()
    },
  }
}
