import { messageOf, scrubSecrets } from '../scrub.js'

export type CheckStatus = 'ok' | 'degraded' | 'error'
export type OverallStatus = 'healthy' | 'degraded' | 'unhealthy'

export interface CheckOutcome {
  status: CheckStatus
  message?: string
  /**
   * Anything worth showing (a row count, a lag). Copied once when the result is produced, into plain JSON data:
   * secret-named fields redacted, credentials scrubbed from strings, BigInts as strings, cycles, unreadable
   * getters and Proxies as markers, at most 8 levels and 1,000 values. HTTP answers carry it only when the
   * health's `details` option is set (`'always'`, or a function that grants).
   */
  details?: Record<string, unknown>
}

export interface CheckContext {
  /** Fires when the check's deadline passes or the run is abandoned; pass it to the client call. */
  signal: AbortSignal
}

export interface Check {
  name: string
  /** Returning nothing means ok; throwing or rejecting (with anything) means error with that message. */
  // biome-ignore lint/suspicious/noConfusingVoidType: `void` lets `run: () => {}` and `async () => {}` type-check.
  run(context: CheckContext): CheckOutcome | undefined | void | Promise<CheckOutcome | undefined | void>
  /** Deadline for one run. @default the health's `timeoutMs` */
  timeoutMs?: number
  /** A critical check in error makes the whole unhealthy under the `criticality` policy. @default true */
  critical?: boolean
  /** Groups for `handlerFor({ tags })`, e.g. `['ready']`. */
  tags?: string[]
  /** Reuse a result for this long before running the check again. @default 0 (no cache) */
  cacheTtlMs?: number
  /** Reuse an error result for this long instead, so one failed probe does not stick for a whole `cacheTtlMs`. @default cacheTtlMs */
  errorCacheTtlMs?: number
}

/** The result of one check as reported: the guide's `{ status, latency, message? }`. */
export interface CheckResult {
  status: CheckStatus
  /** Milliseconds, integer. */
  latency: number
  message?: string
  /** The check's details, sanitized: plain JSON data (see {@link CheckOutcome.details}). */
  details?: Record<string, unknown>
}

/** Identity helper that gives a check literal its type. */
export function defineCheck<T extends Check>(check: T): T {
  return check
}

/** The outcome for a failure: status error with a scrubbed, length-capped message. */
export function errorOutcome(error: unknown): CheckOutcome {
  return { status: 'error', message: scrubSecrets(messageOf(error)) }
}

/** A check status as a gauge value, the convention every metrics sink publishes: 1 ok, 0.5 degraded, 0 error. */
export const CHECK_STATUS_VALUE: Readonly<Record<CheckStatus, number>> = { ok: 1, degraded: 0.5, error: 0 }
