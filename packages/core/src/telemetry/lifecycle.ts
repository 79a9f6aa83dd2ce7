import { durationOption, OptionError } from '../validate.js'
import type { Logger } from './log-types.js'
import { noopLogger } from './log-types.js'
import type { ShutdownRegistry } from './shutdown.js'

export interface LifecycleOptions {
  /** Marked shutting down at once, so readiness answers 503 while load balancers notice. */
  health?: { setShuttingDown(): void }
  /** Time between failing readiness and closing anything. @default 5000 */
  drainDelayMs?: number
  /** Upper bound for the whole shutdown; past it the process exits with 1. @default 30000 */
  timeoutMs?: number
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[]
  /** @default process.exit */
  exit?: (code: number) => void
  logger?: Logger
}

export interface Lifecycle extends ShutdownRegistry {
  /** Starts the shutdown sequence (signals call this); later calls return the same promise. Resolves the exit code. */
  shutdown(reason?: string): Promise<number>
  /** Removes the signal listeners (for tests and embedders). */
  dispose(): void
}

interface Hook {
  name: string
  run: () => unknown
  timeoutMs: number
}

// These waits are deliberately ref'd: the process must stay alive until the sequence has flushed and exited.
const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Graceful shutdown: on a signal, readiness fails at once, the drain delay lets load balancers stop routing,
 * hooks close servers and flush sinks (each bounded), then the process exits 0 — or 1 if the overall bound hit.
 */
export function createLifecycle(options: LifecycleOptions = {}): Lifecycle {
  const drainDelayMs = durationOption('drainDelayMs', options.drainDelayMs) ?? 5000
  const timeoutMs = durationOption('timeoutMs', options.timeoutMs, { allowZero: false }) ?? 30_000
  const signals = options.signals ?? ['SIGTERM', 'SIGINT']
  if (!Array.isArray(signals)) throw new OptionError('signals', signals, 'an array of signal names')
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const logger = options.logger ?? noopLogger
  const hooks: Hook[] = []
  let running: Promise<number> | undefined

  async function runHook(hook: Hook): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), hook.timeoutMs)
    })
    try {
      const result = await Promise.race([Promise.resolve().then(hook.run), timedOut])
      if (result === 'timeout')
        logger.warn('shutdown hook timed out; skipped', { hook: hook.name, timeoutMs: hook.timeoutMs })
    } catch (error) {
      logger.error('shutdown hook failed', error, { hook: hook.name })
    } finally {
      clearTimeout(timer)
    }
  }

  async function sequence(reason: string): Promise<number> {
    logger.info('shutting down', { reason, drainDelayMs })
    options.health?.setShuttingDown()
    await wait(drainDelayMs)
    for (const hook of [...hooks].reverse()) await runHook(hook)
    logger.info('shutdown complete', { reason })
    await logger.flush()
    return 0
  }

  function shutdown(reason = 'shutdown requested'): Promise<number> {
    if (running) {
      logger.warn('shutdown already in progress', { reason })
      return running
    }
    let watchdog: ReturnType<typeof setTimeout> | undefined
    const overall = new Promise<number>((resolve) => {
      watchdog = setTimeout(() => {
        logger.error('shutdown timed out', undefined, { timeoutMs })
        resolve(1)
      }, timeoutMs)
      watchdog.unref()
    })
    running = Promise.race([sequence(reason), overall]).then((code) => {
      clearTimeout(watchdog)
      exit(code)
      return code
    })
    return running
  }

  const listener = (signal: NodeJS.Signals) => void shutdown(signal)
  for (const signal of signals) process.on(signal, listener)

  return {
    onShutdown(name, run, hookOptions = {}) {
      if (typeof run !== 'function') throw new OptionError('hook', run, 'a function')
      const hookTimeoutMs = durationOption('timeoutMs', hookOptions.timeoutMs, { allowZero: false }) ?? 10_000
      hooks.push({ name, run, timeoutMs: hookTimeoutMs })
    },
    shutdown,
    dispose() {
      for (const signal of signals) process.off(signal, listener)
    },
  } satisfies Lifecycle
}
