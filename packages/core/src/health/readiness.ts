import type { Clock, TimerHandle } from '../clock.js'
import { messageOf } from '../message.js'
import { scrubSecrets } from '../scrub.js'

/**
 * Where the process stands, for the startup and readiness answers (docs/health.md#states). Liveness never
 * depends on it.
 * - `starting`: not every critical check has passed once yet (and the startup deadline has not passed);
 * - `ready`: started, not marked not ready, no blocking task pending, not draining;
 * - `not ready`: started, but marked not ready or waiting for a blocking task;
 * - `draining`: shutting down (from `setShuttingDown`), for good.
 */
export type HealthPhase = 'starting' | 'ready' | 'not ready' | 'draining'

export type BlockingTaskOutcome = 'done' | 'failed' | 'timed out'

export interface ReadinessEvents {
  phase(previous: HealthPhase, current: HealthPhase, reason: string | undefined): void
  task(name: string, outcome: BlockingTaskOutcome, message: string | undefined): void
}

export interface Readiness {
  phase(): HealthPhase
  /**
   * Why readiness fails now, whatever its checks say (`not ready: waiting for cache-warm`, `shutting down`),
   * undefined otherwise. Starting is not one: Kubernetes does not probe readiness before startup passed, and
   * without Kubernetes the ready-tagged checks decide alone (a critical check outside them must not hold traffic
   * back forever).
   */
  readinessBlocker(): string | undefined
  /** Why startup fails now (`starting: waiting for database to pass once`), undefined once started. */
  startupBlocker(): string | undefined
  /** Critical checks that have not passed once yet, while starting. */
  pendingStartup(): readonly string[]
  /** A fresh result of a check: a critical one that is not `error` counts as passed once. */
  noteResult(name: string, passed: boolean): void
  markReady(): void
  markNotReady(reason: string): void
  block(name: string, task: PromiseLike<unknown>, timeoutMs: number): void
  drain(): void
}

/** The readiness state machine: starting → ready ⇄ not ready → draining. Pure bookkeeping, no I/O. */
export function createReadiness(options: {
  critical: readonly string[]
  startupTimeoutMs: number | undefined
  clock: Clock
  events: ReadinessEvents
}): Readiness {
  const { clock, events } = options
  const pending = new Set(options.critical)
  let started = pending.size === 0
  let startupTimer: TimerHandle | undefined
  let notReadyReason: string | undefined
  let draining = false
  const blocking = new Map<string, TimerHandle>()

  function phase(): HealthPhase {
    if (draining) return 'draining'
    if (!started) return 'starting'
    return readinessBlocker() === undefined ? 'ready' : 'not ready'
  }

  function readinessBlocker(): string | undefined {
    if (draining) return 'shutting down'
    if (notReadyReason !== undefined) return `not ready: ${notReadyReason}`
    if (blocking.size > 0) return `not ready: waiting for ${[...blocking.keys()].join(', ')}`
    return undefined
  }

  function startupBlocker(): string | undefined {
    return started ? undefined : `starting: waiting for ${[...pending].join(', ')} to pass once`
  }

  /** What a phase change is about, for the change event. */
  function reason(): string | undefined {
    return startupBlocker() ?? readinessBlocker()
  }

  /** Runs a change and reports the phase transition it caused, if any. */
  function transition(change: () => void): void {
    const before = phase()
    change()
    const after = phase()
    if (after !== before) events.phase(before, after, reason())
  }

  if (!started && options.startupTimeoutMs !== undefined) {
    startupTimer = clock.setTimeout(() => {
      transition(() => {
        started = true
      })
    }, options.startupTimeoutMs)
  }

  return {
    phase,
    readinessBlocker,
    startupBlocker,
    pendingStartup: () => (started ? [] : [...pending]),
    noteResult(name, passed) {
      if (started || !passed || !pending.has(name)) return
      transition(() => {
        pending.delete(name)
        if (pending.size === 0) {
          started = true
          if (startupTimer !== undefined) clock.clearTimeout(startupTimer)
        }
      })
    },
    markReady() {
      transition(() => {
        notReadyReason = undefined
      })
    },
    markNotReady(why) {
      transition(() => {
        notReadyReason = scrubSecrets(messageOf(why), 200) || 'marked not ready'
      })
    },
    block(name, task, timeoutMs) {
      if (blocking.has(name) || draining) return
      const settle = (outcome: BlockingTaskOutcome, message?: string) => {
        const timer = blocking.get(name)
        if (timer === undefined) return
        clock.clearTimeout(timer)
        transition(() => blocking.delete(name))
        events.task(name, outcome, message)
      }
      transition(() => {
        blocking.set(
          name,
          clock.setTimeout(() => settle('timed out', `still pending after ${timeoutMs} ms`), timeoutMs),
        )
      })
      Promise.resolve(task).then(
        () => settle('done'),
        (error: unknown) => settle('failed', scrubSecrets(messageOf(error), 500)),
      )
    },
    drain() {
      transition(() => {
        draining = true
        for (const timer of blocking.values()) clock.clearTimeout(timer)
        blocking.clear()
        if (startupTimer !== undefined) clock.clearTimeout(startupTimer)
      })
    },
  }
}
