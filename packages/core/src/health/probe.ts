import type { Clock } from '../clock.js'
import { messageOf } from '../message.js'
import { scrubSecrets } from '../scrub.js'
import { type Check, type CheckOutcome, type CheckResult, outcomeOf } from './check.js'
import { createDamper } from './damping.js'
import type { HistoryPoint } from './status-page.js'

/** The last resort when not even a message can be made of what a check did: a fixed, readable message. */
export const UNREADABLE_CHECK_MESSAGE = 'check failed; its message could not be read'

export interface ProbeRunOptions {
  /**
   * Someone awaits this run (an on-demand run, a script, a request), so its deadline timer keeps the process
   * alive until the run settles. Background runs leave it off: their timers never hold a process.
   * @default false
   */
  keepAlive?: boolean
}

export interface Probe {
  readonly check: Check
  readonly critical: boolean
  /** Runs the check, or joins the run in flight, or returns the cached result. Never rejects. */
  run(options?: ProbeRunOptions): Promise<CheckResult>
  /** The last result produced, if any. */
  last(): CheckResult | undefined
  /** The most recent runs, oldest first (bounded). */
  history(): readonly HistoryPoint[]
}

export interface ProbeDefaults {
  timeoutMs: number
  clock: Clock
  historySize: number
  /** Makes a check's `details` JSON-safe, redacted and bounded (core's `createSanitizer`). */
  sanitize: (value: unknown) => unknown
  /** Called with every fresh result (after damping), never with a cached one; must not throw. */
  onResult?: (result: CheckResult) => void
}

/** The outcome of a throw or rejection, with anything at all thrown; never throws itself. */
function failureOutcome(error: unknown): CheckOutcome {
  try {
    return { status: 'error', message: messageOf(error) }
  } catch {
    return { status: 'error', message: UNREADABLE_CHECK_MESSAGE }
  }
}

/**
 * Wraps one check with its deadline, single-flight sharing and result cache. A run that ignores its AbortSignal
 * is not started again while it is still pending: later probes wait on that same run (with a fresh deadline), so
 * a hung dependency never accumulates calls. Whatever the check throws, returns or hands back through getters
 * and Proxies, a run resolves to a result: an `error` with a readable message at worst.
 */
export function createProbe(check: Check, defaults: ProbeDefaults): Probe {
  const timeoutMs = check.timeoutMs ?? defaults.timeoutMs
  const cacheTtlMs = check.cacheTtlMs ?? 0
  const errorCacheTtlMs = check.errorCacheTtlMs ?? cacheTtlMs
  const { clock, sanitize } = defaults
  const damp = createDamper({ failAfter: check.failAfter ?? 1, recoverAfter: check.recoverAfter ?? 1 })
  let pendingRun: Promise<CheckOutcome> | undefined
  let shared: { result: Promise<CheckResult>; keepsAlive: boolean; deadlineAt: number } | undefined
  let lastResult: CheckResult | undefined
  let lastAt = Number.NEGATIVE_INFINITY
  const history: HistoryPoint[] = []

  function startRun(signal: AbortSignal): Promise<CheckOutcome> {
    const run = (async () => {
      try {
        return outcomeOf(await check.run({ signal }), sanitize)
      } catch (error) {
        return failureOutcome(error)
      }
    })()
    pendingRun = run
    void run.then(() => {
      if (pendingRun === run) pendingRun = undefined
    })
    return run
  }

  function record(raw: CheckResult): CheckResult {
    const result = damp(raw)
    lastResult = result
    lastAt = clock.now()
    history.push({ at: lastAt, status: result.status, latency: result.latency })
    if (history.length > defaults.historySize) history.shift()
    defaults.onResult?.(result)
    return result
  }

  async function runOnce(keepAlive: boolean): Promise<CheckResult> {
    let startedAt = Number.NaN
    let timer: unknown
    try {
      startedAt = clock.now()
      const controller = new AbortController()
      const run = pendingRun ?? startRun(controller.signal)
      const deadline = new Promise<CheckOutcome>((resolve) => {
        timer = clock.setTimeout(
          () => {
            controller.abort(new DOMException(`timed out after ${timeoutMs}ms`, 'TimeoutError'))
            resolve({ status: 'error', message: `timed out after ${timeoutMs}ms` })
          },
          timeoutMs,
          { keepAlive },
        )
      })
      const outcome = await Promise.race([run, deadline])
      clock.clearTimeout(timer)
      const result: CheckResult = {
        status: outcome.status,
        latency: Math.max(0, Math.round(clock.now() - startedAt)),
      }
      if (outcome.message !== undefined) result.message = scrubSecrets(outcome.message)
      if (outcome.details !== undefined) result.details = outcome.details
      return record(result)
    } catch {
      // Only a helper or an injected clock that broke its contract gets here; the run still resolves.
      return lastResortResult(startedAt, timer)
    }
  }

  function lastResortResult(startedAt: number, timer: unknown): CheckResult {
    let latency = 0
    try {
      clock.clearTimeout(timer)
      latency = Math.max(0, Math.round(clock.now() - startedAt)) || 0
    } catch {
      // The clock itself is broken: latency stays 0.
    }
    const result: CheckResult = { status: 'error', latency, message: UNREADABLE_CHECK_MESSAGE }
    try {
      return record(result)
    } catch {
      return result
    }
  }

  /** A caller who awaits a run started without keepAlive (a background run) holds the process until it settles. */
  function holdUntilSettled(run: NonNullable<typeof shared>): void {
    run.keepsAlive = true
    const hold = clock.setTimeout(() => {}, Math.max(0, run.deadlineAt - clock.now()) + 1, {
      keepAlive: true,
    })
    void run.result.finally(() => clock.clearTimeout(hold))
  }

  return {
    check,
    critical: check.critical !== false,
    last: () => lastResult,
    history: () => history,
    run(options) {
      const keepAlive = options?.keepAlive === true
      try {
        const ttlMs = lastResult?.status === 'error' ? errorCacheTtlMs : cacheTtlMs
        if (lastResult && ttlMs > 0 && clock.now() - lastAt < ttlMs) return Promise.resolve(lastResult)
        if (!shared) {
          const deadlineAt = clock.now() + timeoutMs
          const current = { result: runOnce(keepAlive), keepsAlive: keepAlive, deadlineAt }
          shared = current
          void current.result.finally(() => {
            if (shared === current) shared = undefined
          })
        } else if (keepAlive && !shared.keepsAlive) {
          holdUntilSettled(shared)
        }
        return shared.result
      } catch {
        return Promise.resolve(lastResortResult(Number.NaN, undefined))
      }
    },
  }
}
