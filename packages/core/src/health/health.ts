import { type Clock, systemClock } from '../clock.js'
import { readEnv } from '../env.js'
import { neverThrows } from '../guard.js'
import { messageOf } from '../message.js'
import { createSanitizer } from '../sanitize.js'
import { scrubSecrets } from '../scrub.js'
import {
  booleanOption,
  durationOption,
  OptionError,
  oneOfOption,
  positiveIntegerOption,
} from '../validate.js'
import type { Check, CheckResult, CheckStatus, OverallStatus } from './check.js'
import { type Policy, type PolicyInput, resolvePolicy } from './policy.js'
import { createProbe, type Probe } from './probe.js'
import { type BlockingTaskOutcome, createReadiness, type HealthPhase } from './readiness.js'
import { type DetailLevel, renderReport, renderRunnerFailure } from './render.js'
import { createProcessSampler, type HealthReport, processUptimeSeconds } from './report.js'
import { createRequestRateMeter, type RequestRateMeter } from './request-rate.js'
import type { HistoryPoint } from './status-page.js'

export type DetailsPolicy = 'always' | 'never' | ((request: Request) => boolean | Promise<boolean>)

export interface HealthOptions {
  checks: Check[]
  /** How check results combine into the overall status. @default 'criticality' */
  policy?: Policy
  /** Per-check deadline for checks that set none. @default 1000 */
  timeoutMs?: number
  /** @default process.env.APP_VERSION ?? '1.0.0' */
  version?: string
  /** @default process.env.NODE_ENV ?? 'unknown' */
  environment?: string
  /**
   * What a response may carry beyond the overall status.
   * - unset: each check's status, latency and message, but not its `details` object;
   * - `'always'`: each check's status, latency, message and `details` (sanitized: secrets redacted);
   * - a function: the same as `'always'` for a request it answers `true` for, only the overall status for the
   *   rest (and when it throws);
   * - `'never'`: only the overall status.
   * Check details can name hosts, queue sizes or versions, so they are public only when you say so. `run()` and
   * `onReport` always see them.
   * @default undefined (check results and messages, no check details)
   */
  details?: DetailsPolicy
  /** Feeds `metrics.requestsPerSecond`; adapters mark it on every request. @default a new 60 s meter */
  requestRate?: RequestRateMeter
  /** Include process metrics (memory, CPU, request rate) in reports. @default true */
  includeMetrics?: boolean
  /** Runs per check kept for the status page's latency history. @default 30 */
  historySize?: number
  /**
   * The longest the process stays `starting` (the startup handler answering 503) waiting for every critical
   * check to pass once; past it, startup answers 200 and readiness decides alone. @default no limit
   */
  startupTimeoutMs?: number
  clock?: Clock
}

export interface BlockReadinessOptions {
  /** Past this, the task stops blocking readiness (reported as `timed out`). @default 60000 */
  timeoutMs?: number
}

export interface RunOptions {
  /** Only checks carrying at least one of these tags; all checks when omitted. */
  tags?: string[]
}

export type HealthChange =
  | { kind: 'check'; name: string; previous: CheckStatus | undefined; current: CheckResult }
  | { kind: 'overall'; previous: OverallStatus | undefined; current: OverallStatus; report: HealthReport }
  | { kind: 'phase'; previous: HealthPhase; current: HealthPhase; reason: string | undefined }
  | { kind: 'blocking task'; name: string; outcome: BlockingTaskOutcome; message: string | undefined }

export type HealthHandler = (request: Request) => Promise<Response>

export interface Health {
  run(options?: RunOptions): Promise<HealthReport>
  /** All checks. */
  handler: HealthHandler
  /**
   * One group of checks; a handler whose tags include `ready` is a readiness handler: it also answers 503 while
   * the process is not `ready` (starting, marked not ready, blocked by a task, shutting down).
   */
  handlerFor(options: { tags: string[] }): HealthHandler
  /**
   * For Kubernetes' startup probe: 503 until every critical check has passed once (or `startupTimeoutMs`); it
   * runs the ones that have not.
   */
  readonly startupHandler: HealthHandler
  /**
   * Readiness: the `ready`-tagged checks (all checks when none is tagged); 503 regardless while marked not
   * ready, blocked by a task, or draining.
   */
  readonly readinessHandler: HealthHandler
  /** `starting` → `ready` ⇄ `not ready` → `draining` (docs/health.md#states). */
  readonly phase: HealthPhase
  /** Readiness answers 503 with this reason until `markReady()`; liveness is unaffected. */
  markNotReady(reason: string): void
  markReady(): void
  /**
   * Not ready until `task` settles (either way) or its deadline passes, named in the readiness answer while it
   * blocks: a cache warm-up, migrations, a first config load.
   */
  blockReadiness(name: string, task: PromiseLike<unknown>, options?: BlockReadinessOptions): void
  /** Called with every fresh check result (not cached ones), from any run; returns an unsubscribe function. */
  onResult(listener: (name: string, result: CheckResult) => void): () => void
  /** Called on every status transition of a check or of the whole; returns an unsubscribe function. */
  onChange(listener: (change: HealthChange) => void): () => void
  /** Called with every full report (all checks); returns an unsubscribe function. */
  onReport(listener: (report: HealthReport) => void): () => void
  /** Background mode: run every `intervalMs`; handlers then answer from the last results without waiting. */
  start(options: { intervalMs: number }): void
  stop(): void
  /** Readiness (and the full handler) answer 503 `shutting down` from now on; liveness stays 200. Final. */
  setShuttingDown(): void
  readonly isShuttingDown: boolean
  readonly requestRate: RequestRateMeter
  readonly checkNames: readonly string[]
  /** Every tag some check carries, e.g. to know whether a `ready` group exists. */
  readonly tags: readonly string[]
  /** Recent runs of each check, oldest first: what the HTML status page draws. */
  history(): Record<string, readonly HistoryPoint[]>
}

const POLICIES = ['criticality', 'error-count'] as const
const DETAILS = ['always', 'never'] as const
const SHUTTING_DOWN = 'shutting down'

function validate(options: HealthOptions): void {
  if (!Array.isArray(options.checks)) throw new OptionError('checks', options.checks, 'an array of checks')
  const seen = new Set<string>()
  options.checks.forEach((check, i) => {
    if (typeof check?.name !== 'string' || check.name.trim() === '') {
      throw new OptionError(`checks[${i}].name`, check?.name, 'a non-empty string')
    }
    if (seen.has(check.name)) throw new OptionError(`checks[${i}].name`, check.name, 'a unique check name')
    seen.add(check.name)
    if (typeof check.run !== 'function') throw new OptionError(`checks[${i}].run`, check.run, 'a function')
    durationOption(`checks[${i}].timeoutMs`, check.timeoutMs, { allowZero: false })
    durationOption(`checks[${i}].cacheTtlMs`, check.cacheTtlMs)
    durationOption(`checks[${i}].errorCacheTtlMs`, check.errorCacheTtlMs)
    positiveIntegerOption(`checks[${i}].failAfter`, check.failAfter)
    positiveIntegerOption(`checks[${i}].recoverAfter`, check.recoverAfter)
  })
  durationOption('timeoutMs', options.timeoutMs, { allowZero: false })
  if (typeof options.policy !== 'function') oneOfOption('policy', options.policy, POLICIES)
  if (typeof options.details !== 'function') oneOfOption('details', options.details, DETAILS)
  for (const option of ['version', 'environment'] as const) {
    const value = options[option]
    if (value !== undefined && typeof value !== 'string') throw new OptionError(option, value, 'a string')
  }
  booleanOption('includeMetrics', options.includeMetrics)
  durationOption('startupTimeoutMs', options.startupTimeoutMs, { allowZero: false })
  const clock = options.clock
  if (
    clock !== undefined &&
    (typeof clock?.now !== 'function' ||
      typeof clock.setTimeout !== 'function' ||
      typeof clock.clearTimeout !== 'function')
  ) {
    throw new OptionError('clock', clock, 'a Clock: { now, setTimeout, clearTimeout }')
  }
}

/** Whether a value has a callable `then`; one whose `then` cannot be read (a hostile Proxy) has not. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  try {
    return typeof (value as { then?: unknown } | null | undefined)?.then === 'function'
  } catch {
    return false
  }
}

/** Bounds for check details: small enough for a health answer, whatever a check hands back. */
const DETAILS_BOUNDS = { maxDepth: 8, maxValues: 1000, maxStringLength: 2048 } as const

/** A details policy that throws or answers anything but `true` denies details. */
async function askDetailsPolicy(policy: (request: Request) => boolean | Promise<boolean>, request: Request) {
  try {
    return (await policy(request)) === true
  } catch {
    return false
  }
}

export function createHealth(options: HealthOptions): Health {
  validate(options)
  const clock = options.clock ?? systemClock
  const timeoutMs = options.timeoutMs ?? 1000
  const policy = resolvePolicy(options.policy ?? 'criticality')
  const version = options.version ?? readEnv('APP_VERSION') ?? '1.0.0'
  const environment = options.environment ?? readEnv('NODE_ENV') ?? 'unknown'
  const details = options.details
  const requestRate = options.requestRate ?? createRequestRateMeter({ clock })
  const includeMetrics = options.includeMetrics ?? true
  const sampleProcess = createProcessSampler(() => clock.now())
  const historySize = positiveIntegerOption('historySize', options.historySize) ?? 30
  // One sanitizer per health (it caches verdicts): details are copied once, when a result is produced.
  const sanitize = createSanitizer(DETAILS_BOUNDS)
  const resultListeners = new Set<(name: string, result: CheckResult) => void>()
  const changeListeners = new Set<(change: HealthChange) => void>()
  const probes: Probe[] = options.checks.map((check) =>
    createProbe(check, {
      timeoutMs,
      clock,
      historySize,
      sanitize,
      onResult: (result) => {
        readiness.noteResult(check.name, result.status !== 'error')
        for (const listener of resultListeners) neverThrows(listener)(check.name, result)
      },
    }),
  )
  const readiness = createReadiness({
    critical: probes.filter((probe) => probe.critical).map((probe) => probe.check.name),
    startupTimeoutMs: options.startupTimeoutMs,
    clock,
    events: {
      phase: (previous, current, reason) =>
        emit(changeListeners, { kind: 'phase', previous, current, reason }),
      task: (name, outcome, message) =>
        emit(changeListeners, { kind: 'blocking task', name, outcome, message }),
    },
  })
  const longestTimeoutMs = Math.max(0, ...probes.map((probe) => probe.check.timeoutMs ?? timeoutMs))
  const history = () => Object.fromEntries(probes.map((probe) => [probe.check.name, probe.history()]))

  const reportListeners = new Set<(report: HealthReport) => void>()
  const lastCheckStatus = new Map<string, CheckStatus>()
  let lastOverall: OverallStatus | undefined
  let background: { timer: unknown; latest: Promise<HealthReport>; reported: boolean } | undefined

  function emit<T>(listeners: Set<(value: T) => void>, value: T): void {
    // A listener's failure (a throw, a rejected promise) must not fail the probe that triggered it.
    for (const listener of listeners) neverThrows(listener)(value)
  }

  function selectProbes(tags: string[] | undefined): Probe[] {
    if (!tags) return probes
    return probes.filter((probe) => probe.check.tags?.some((tag) => tags.includes(tag)))
  }

  function buildReport(
    status: OverallStatus,
    checks: Record<string, CheckResult>,
    message?: string,
  ): HealthReport {
    const report: HealthReport = {
      status,
      timestamp: new Date(clock.now()).toISOString(),
      uptime: processUptimeSeconds(),
      environment,
      version,
      checks,
    }
    if (includeMetrics) report.metrics = sampleProcess(requestRate.perSecond())
    if (message !== undefined) report.message = message
    return report
  }

  /** `keepAlive`: someone awaits this run, so its deadlines hold the process (never for background runs). */
  async function runProbes(selected: Probe[], isFull: boolean, keepAlive: boolean): Promise<HealthReport> {
    const results = await Promise.all(selected.map((probe) => probe.run({ keepAlive })))
    const checks: Record<string, CheckResult> = {}
    const inputs: PolicyInput[] = []
    selected.forEach((probe, i) => {
      const result = results[i]!
      const name = probe.check.name
      checks[name] = result
      inputs.push({ ...result, name, critical: probe.critical })
      const previous = lastCheckStatus.get(name)
      if (previous !== result.status) {
        lastCheckStatus.set(name, result.status)
        emit(changeListeners, { kind: 'check', name, previous, current: result })
      }
    })
    const report = buildReport(policy(inputs), checks)
    if (isFull) {
      if (report.status !== lastOverall) {
        const previous = lastOverall
        lastOverall = report.status
        emit(changeListeners, { kind: 'overall', previous, current: report.status, report })
      }
      emit(reportListeners, report)
    }
    return report
  }

  /**
   * The latest background report. Until the first one is complete, whoever awaits it holds the process for as
   * long as its deadlines can take (the background timers themselves never do).
   */
  function latestReport(current: NonNullable<typeof background>): Promise<HealthReport> {
    if (current.reported) return current.latest
    const hold = clock.setTimeout(() => {}, longestTimeoutMs + 1, { keepAlive: true })
    const latest = current.latest
    void latest.then(
      () => clock.clearTimeout(hold),
      () => clock.clearTimeout(hold),
    )
    return latest
  }

  async function run(runOptions: RunOptions = {}): Promise<HealthReport> {
    const tags = runOptions.tags
    if (background && !tags) return latestReport(background)
    const selected = selectProbes(tags)
    if (background && tags) {
      // Serve the subset from the latest background report instead of touching dependencies.
      const full = await latestReport(background)
      const checks: Record<string, CheckResult> = {}
      const inputs: PolicyInput[] = []
      for (const probe of selected) {
        const result = full.checks[probe.check.name]
        if (!result) continue
        checks[probe.check.name] = result
        inputs.push({ ...result, name: probe.check.name, critical: probe.critical })
      }
      return buildReport(policy(inputs), checks)
    }
    return runProbes(selected, tags === undefined, true)
  }

  async function detailLevel(request: Request): Promise<DetailLevel> {
    if (typeof details === 'function') return (await askDetailsPolicy(details, request)) ? 'full' : 'status'
    if (details === 'never') return 'status'
    return details === 'always' ? 'full' : 'checks'
  }

  /** For the runner-failure answer, which must not fail in turn (a clock answering NaN). */
  function timestampNow(): string {
    try {
      return new Date(clock.now()).toISOString()
    } catch {
      return new Date().toISOString()
    }
  }

  function failureMessage(error: unknown): string {
    if (environment === 'production') return 'health check failed'
    try {
      return scrubSecrets(messageOf(error))
    } catch {
      return 'health check failed'
    }
  }

  /**
   * `full`: all checks, 503 only when draining; `readiness`: 503 while marked not ready, blocked by a task or
   * draining, else the group's checks decide; `plain`: the group's checks alone (liveness).
   */
  function makeHandler(tags: string[] | undefined, gate: 'full' | 'readiness' | 'plain'): HealthHandler {
    return async (request) => {
      try {
        const level = await detailLevel(request)
        const blocker =
          gate === 'readiness'
            ? readiness.readinessBlocker()
            : gate === 'full' && readiness.phase() === 'draining'
              ? SHUTTING_DOWN
              : undefined
        if (blocker !== undefined) {
          return renderReport(buildReport('unhealthy', {}, blocker), request, level, history)
        }
        return renderReport(await run(tags ? { tags } : {}), request, level, history)
      } catch (error) {
        return renderRunnerFailure(failureMessage(error), timestampNow())
      }
    }
  }

  /**
   * While starting, the startup probe runs the critical checks that have not passed once (in background mode the
   * schedule does), so starting ends without anyone else running them.
   */
  const startupHandler: HealthHandler = async (request) => {
    try {
      const level = await detailLevel(request)
      const pending = readiness.pendingStartup()
      const checks =
        pending.length > 0 && !background
          ? (
              await runProbes(
                probes.filter((p) => pending.includes(p.check.name)),
                false,
                true,
              )
            ).checks
          : {}
      const blocker = readiness.startupBlocker()
      const report = buildReport(blocker ? 'unhealthy' : 'healthy', checks, blocker ?? 'started')
      return renderReport(report, request, level, history)
    } catch (error) {
      return renderRunnerFailure(failureMessage(error), timestampNow())
    }
  }

  const readyTags = probes.some((probe) => probe.check.tags?.includes('ready')) ? ['ready'] : undefined

  function schedule(intervalMs: number): void {
    if (!background) return
    background.timer = clock.setTimeout(() => {
      if (!background) return
      const next = runProbes(probes, true, false)
      // Keep answering from the previous report until the next one is complete.
      void next.then(
        () => {
          if (background) {
            background.latest = next
            background.reported = true
          }
          schedule(intervalMs)
        },
        () => schedule(intervalMs),
      )
    }, intervalMs)
  }

  return {
    run,
    handler: makeHandler(undefined, 'full'),
    handlerFor: ({ tags }) => {
      if (!Array.isArray(tags) || tags.length === 0) throw new OptionError('tags', tags, 'a non-empty array')
      return makeHandler(tags, tags.includes('ready') ? 'readiness' : 'plain')
    },
    startupHandler,
    readinessHandler: makeHandler(readyTags, 'readiness'),
    get phase() {
      return readiness.phase()
    },
    markNotReady: (reason) => readiness.markNotReady(reason),
    markReady: () => readiness.markReady(),
    blockReadiness(name, task, blockOptions = {}) {
      if (typeof name !== 'string' || name.trim() === '' || name.length > 200) {
        throw new OptionError('name', name, 'a non-empty string of at most 200 characters')
      }
      if (!isThenable(task)) throw new OptionError('task', task, 'a promise')
      const blockTimeoutMs =
        durationOption('timeoutMs', blockOptions.timeoutMs, { allowZero: false }) ?? 60_000
      readiness.block(name, task, blockTimeoutMs)
    },
    onResult(listener) {
      resultListeners.add(listener)
      return () => resultListeners.delete(listener)
    },
    onChange(listener) {
      changeListeners.add(listener)
      return () => changeListeners.delete(listener)
    },
    onReport(listener) {
      reportListeners.add(listener)
      return () => reportListeners.delete(listener)
    },
    start({ intervalMs }) {
      durationOption('intervalMs', intervalMs, { allowZero: false })
      if (background) return
      const first = runProbes(probes, true, false)
      const current = { timer: undefined as unknown, latest: first, reported: false }
      // Settled here so a failed first report (a custom policy that throws) is never an unhandled rejection;
      // whoever awaits `latest` still sees the failure.
      void first.then(
        () => {
          if (current.latest === first) current.reported = true
        },
        () => {},
      )
      background = current
      schedule(intervalMs)
    },
    stop() {
      if (!background) return
      clock.clearTimeout(background.timer)
      background = undefined
    },
    setShuttingDown() {
      readiness.drain()
    },
    get isShuttingDown() {
      return readiness.phase() === 'draining'
    },
    requestRate,
    checkNames: probes.map((p) => p.check.name),
    tags: [...new Set(probes.flatMap((p) => p.check.tags ?? []))],
    history,
  } satisfies Health
}
