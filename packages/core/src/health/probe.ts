import type { Clock } from '../clock.js'
import { messageOf, scrubSecrets } from '../scrub.js'
import type { Check, CheckOutcome, CheckResult, CheckStatus } from './check.js'
import type { HistoryPoint } from './status-page.js'

const STATUSES: ReadonlySet<string> = new Set<CheckStatus>(['ok', 'degraded', 'error'])

export interface Probe {
  readonly check: Check
  readonly critical: boolean
  /** Runs the check, or joins the run in flight, or returns the cached result. Never rejects. */
  run(): Promise<CheckResult>
  /** The last result produced, if any. */
  last(): CheckResult | undefined
  /** The most recent runs, oldest first (bounded). */
  history(): readonly HistoryPoint[]
}

/** What a check may return, made into an outcome; garbage becomes an error rather than a lie. */
function toOutcome(value: unknown): CheckOutcome {
  if (value === undefined || value === null) return { status: 'ok' }
  if (typeof value === 'object' && 'status' in value && STATUSES.has(String(value.status))) {
    const outcome: CheckOutcome = { status: value.status as CheckStatus }
    if ('message' in value && value.message !== undefined) outcome.message = messageOf(value.message)
    if ('details' in value && typeof value.details === 'object' && value.details !== null) {
      outcome.details = value.details as Record<string, unknown>
    }
    return outcome
  }
  return { status: 'error', message: `check returned an invalid outcome: ${messageOf(value)}` }
}

/**
 * Wraps one check with its deadline, single-flight sharing and result cache. A run that ignores its AbortSignal
 * is not started again while it is still pending: later probes wait on that same run (with a fresh deadline), so
 * a hung dependency never accumulates calls.
 */
export function createProbe(
  check: Check,
  defaults: { timeoutMs: number; clock: Clock; historySize: number },
): Probe {
  const timeoutMs = check.timeoutMs ?? defaults.timeoutMs
  const cacheTtlMs = check.cacheTtlMs ?? 0
  const errorCacheTtlMs = check.errorCacheTtlMs ?? cacheTtlMs
  const { clock } = defaults
  let pendingRun: Promise<CheckOutcome> | undefined
  let shared: Promise<CheckResult> | undefined
  let lastResult: CheckResult | undefined
  let lastAt = Number.NEGATIVE_INFINITY
  const history: HistoryPoint[] = []

  function startRun(signal: AbortSignal): Promise<CheckOutcome> {
    const run = (async () => {
      try {
        return toOutcome(await check.run({ signal }))
      } catch (error) {
        return { status: 'error', message: messageOf(error) } satisfies CheckOutcome
      }
    })()
    pendingRun = run
    void run.then(() => {
      if (pendingRun === run) pendingRun = undefined
    })
    return run
  }

  async function runOnce(): Promise<CheckResult> {
    const startedAt = clock.now()
    const controller = new AbortController()
    const run = pendingRun ?? startRun(controller.signal)
    let timer: unknown
    const deadline = new Promise<CheckOutcome>((resolve) => {
      timer = clock.setTimeout(() => {
        controller.abort(new DOMException(`timed out after ${timeoutMs}ms`, 'TimeoutError'))
        resolve({ status: 'error', message: `timed out after ${timeoutMs}ms` })
      }, timeoutMs)
    })
    const outcome = await Promise.race([run, deadline])
    clock.clearTimeout(timer)
    const result: CheckResult = {
      status: outcome.status,
      latency: Math.max(0, Math.round(clock.now() - startedAt)),
    }
    if (outcome.message !== undefined) result.message = scrubSecrets(outcome.message)
    if (outcome.details !== undefined) result.details = outcome.details
    lastResult = result
    lastAt = clock.now()
    history.push({ at: lastAt, status: result.status, latency: result.latency })
    if (history.length > defaults.historySize) history.shift()
    return result
  }

  return {
    check,
    critical: check.critical !== false,
    last: () => lastResult,
    history: () => history,
    run() {
      const ttlMs = lastResult?.status === 'error' ? errorCacheTtlMs : cacheTtlMs
      if (lastResult && ttlMs > 0 && clock.now() - lastAt < ttlMs) return Promise.resolve(lastResult)
      if (!shared) {
        const current = runOnce()
        shared = current
        void current.finally(() => {
          if (shared === current) shared = undefined
        })
      }
      return shared
    },
  }
}
