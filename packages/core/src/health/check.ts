import { messageOf } from '../message.js'
import { scrubSecrets } from '../scrub.js'

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
  /**
   * Resolving means ok, whatever the value (nothing, `'PONG'`, a query result), unless it is an outcome
   * (`{ status, message?, details? }`) or a fetch Response (ok when `response.ok`); throwing or rejecting, with
   * anything, means error with that message.
   */
  run(context: CheckContext): unknown
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
  /**
   * Consecutive failed runs before the check reports `error`; until then `degraded`, saying it is failing.
   * Damps a dependency that fails one probe in ten. @default 1
   */
  failAfter?: number
  /** Consecutive good runs before a failing check reports ok again. @default 1 */
  recoverAfter?: number
}

/** A check whose run always resolves to an outcome, never a bare value: what the kit's check packages return. */
export interface OutcomeCheck extends Check {
  run(context: CheckContext): Promise<CheckOutcome>
}

/** The result of one check as reported: `{ status, latency, message? }` (docs/health.md#the-report). */
export interface CheckResult {
  status: CheckStatus
  /** Milliseconds, integer. */
  latency: number
  message?: string
  /** The check's details, sanitized: plain JSON data (see {@link CheckOutcome.details}). */
  details?: Record<string, unknown>
  /**
   * What the last run itself saw, when flap damping (`failAfter` / `recoverAfter`) reports something else: a
   * first failure reported as `degraded`, or a recovery not yet trusted.
   */
  raw?: { status: CheckStatus; message?: string }
}

/** Identity helper that gives a check literal its type. */
export function defineCheck<T extends Check>(check: T): T {
  return check
}

const STATUSES: ReadonlySet<unknown> = new Set<CheckStatus>(['ok', 'degraded', 'error'])

/**
 * What a check may return, made into an outcome: nothing or any resolved value without a `status` is ok, an
 * outcome is itself, a fetch Response is ok when `response.ok`, and anything else that claims a status
 * (`{ status: 'green' }`) is garbage, which becomes an error rather than a lie. Each field is read
 * once (a getter cannot answer twice); a value that cannot be read (a throwing getter, a Proxy) is an error.
 * `sanitize` copies `details` (the health runner passes its sanitizer). Never throws.
 */
export function outcomeOf(
  value: unknown,
  sanitize: (details: unknown) => unknown = (details) => details,
): CheckOutcome {
  try {
    return readOutcome(value, sanitize)
  } catch {
    return { status: 'error', message: 'check returned a value that could not be read' }
  }
}

function readOutcome(value: unknown, sanitize: (details: unknown) => unknown): CheckOutcome {
  // A call that resolved is a dependency that answered: `'PONG'`, a pg result, Prisma's rows are all fine.
  if (typeof value !== 'object' && typeof value !== 'function') return { status: 'ok' }
  if (value === null || Array.isArray(value)) return { status: 'ok' }
  const fields = value as { status?: unknown; message?: unknown; details?: unknown; ok?: unknown }
  const status = fields.status
  if (status === undefined) return { status: 'ok' }
  // A fetch Response: its own `ok` decides.
  if (typeof status === 'number' && typeof fields.ok === 'boolean') {
    return fields.ok ? { status: 'ok' } : { status: 'error', message: `HTTP ${status}` }
  }
  // Something that claims a status and is not an outcome is garbage, not a pass.
  if (!STATUSES.has(status)) return invalidOutcome(value)
  const outcome: CheckOutcome = { status: status as CheckStatus }
  const message = fields.message
  if (message !== undefined) outcome.message = typeof message === 'string' ? message : messageOf(message)
  const details = fields.details
  if (typeof details === 'object' && details !== null) outcome.details = detailsOf(sanitize(details))
  return outcome
}

function invalidOutcome(value: unknown): CheckOutcome {
  return { status: 'error', message: `check returned an invalid outcome: ${messageOf(value)}` }
}

/** Sanitized details as a record: a plain object stays one, anything else (a marker, a list) becomes `{ value }`. */
function detailsOf(sanitized: unknown): Record<string, unknown> {
  return typeof sanitized === 'object' && sanitized !== null && !Array.isArray(sanitized)
    ? (sanitized as Record<string, unknown>)
    : { value: sanitized }
}

/** The outcome for a failure: status error with a scrubbed, length-capped message. */
export function errorOutcome(error: unknown): CheckOutcome {
  return { status: 'error', message: scrubSecrets(messageOf(error)) }
}
