import type { CheckResult, CheckStatus } from './check.js'

/** Per-check flap damping: how many fresh runs in a row it takes to change a check's reported status. */
export interface DampingOptions {
  /**
   * Consecutive failed runs before the check reports `error`. Until then it reports `degraded`, with a message
   * that says it is failing (`failing, 1 of 3 before error: …`). @default 1 (no damping)
   */
  failAfter?: number
  /** Consecutive good runs before a failing or failed check reports its own status again. @default 1 */
  recoverAfter?: number
}

type Level = 'ok' | 'failing' | 'error'

/**
 * Turns each fresh raw result into the status to report. One incident is one stretch from the first failure to
 * `recoverAfter` good runs in a row: a dependency that fails one probe in ten, with `failAfter: 3`, stays
 * `degraded` through it and changes status twice, not on every probe. A damped result carries the raw one
 * beside it (`raw`), so the report shows what the last run really saw.
 */
export function createDamper(options: {
  failAfter: number
  recoverAfter: number
}): (raw: CheckResult) => CheckResult {
  const { failAfter, recoverAfter } = options
  let level: Level = 'ok'
  let failures = 0
  let successes = 0
  let lastError: string | undefined

  return (raw) => {
    if (raw.status === 'error') {
      failures++
      successes = 0
      lastError = raw.message
      level = level === 'error' || failures >= failAfter ? 'error' : 'failing'
    } else {
      successes++
      failures = 0
      if (level !== 'ok' && successes >= recoverAfter) level = 'ok'
    }
    if (level === 'ok') return raw
    const status: CheckStatus = level === 'error' ? 'error' : 'degraded'
    const message =
      raw.status === 'error'
        ? level === 'failing'
          ? `failing, ${failures} of ${failAfter} before error: ${raw.message ?? 'no message'}`
          : raw.message
        : `recovering, ${successes} of ${recoverAfter} good runs; last error: ${lastError ?? 'no message'}`
    if (status === raw.status && message === raw.message) return raw
    const { message: rawMessage, ...rest } = raw
    const damped: CheckResult = {
      ...rest,
      status,
      raw: rawMessage === undefined ? { status: raw.status } : { status: raw.status, message: rawMessage },
    }
    if (message !== undefined) damped.message = message
    return damped
  }
}
