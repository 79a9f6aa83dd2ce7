import {
  type ErrorReporter,
  type Logger,
  type MetricSink,
  noopMetrics,
  noopReporter,
  OptionError,
} from '@vivr/core'
import { durationOption, neverThrows } from '@vivr/core/internal'
import { createLifecycle, createLogger, type Lifecycle } from '@vivr/core/node'
import { type SentryLike, type SentryOptionsInput, sentryOptions, sentryReporter } from '@vivr/sink-sentry'
import { getObservability, type Observability, registerOnce } from './registry.js'

/** What Next.js passes to `onRequestError` (instrumentation.ts). */
export interface NextRequestInfo {
  path: string
  method: string
  headers: Record<string, string | string[] | undefined>
}
export interface NextErrorContext {
  routerKind: string
  routePath: string
  routeType: string
  [field: string]: unknown
}

/** The part of `import * as Sentry from '@sentry/nextjs'` used on the server. */
export interface NextSentryLike extends SentryLike {
  init(options: Record<string, unknown>): unknown
  captureRequestError?(error: unknown, request: NextRequestInfo, context: NextErrorContext): unknown
}

export interface RegisterOptions {
  /** The `service` field of every log line. */
  service?: string
  /** Sentry, initialised with sink-sentry's defaults and beforeSend; `dsn` defaults to SENTRY_DSN. */
  sentry?: SentryOptionsInput & { sdk: NextSentryLike }
  /** @default createLogger({ service }) */
  logger?: Logger | (() => Logger)
  /** Built in register(), once per process (a factory keeps sockets out of the build). @default noopMetrics */
  metrics?: MetricSink | (() => MetricSink | Promise<MetricSink>)
  /** @default sentryReporter(sentry.sdk) with Sentry, else noopReporter */
  reporter?: ErrorReporter
  /** Marked on every observed request, e.g. `health.requestRate`. */
  requestRate?: { mark(): void }
  /**
   * Graceful shutdown under `next start`, which on its own exits 143 at once on SIGTERM. Needs
   * `NEXT_MANUAL_SIG_HANDLE=1` in the environment of `next start` (Next.js then leaves the signals to us); without
   * it, register() logs a warning and installs nothing. On SIGTERM/SIGINT: readiness answers 503, the drain delay
   * passes, hooks run (yours from `getObservability().lifecycle.onShutdown`, then the metric sinks closed and
   * Sentry flushed), logs flushed, exit 0 (1 past `timeoutMs`). core's `createLifecycle`.
   */
  shutdown?: ShutdownOptions
}

export interface ShutdownOptions {
  /** Marked shutting down on the signal, so `/ready` answers 503 while load balancers notice. */
  health?: { setShuttingDown(): void }
  /** Time between failing readiness and closing anything. @default 5000 */
  drainDelayMs?: number
  /** Upper bound for the whole shutdown; past it the process exits with 1. @default 30000 */
  timeoutMs?: number
}

/**
 * For instrumentation.ts: `export const { register, onRequestError } = registerObservability({ ... })`.
 * `register()` initialises Sentry, the logger and the metric sinks once per process (Node.js runtime only);
 * withObservability and countRequests then use them by default.
 */
export function registerObservability(options: RegisterOptions = {}) {
  const sentry = options.sentry
  if (sentry !== undefined && typeof sentry?.sdk?.init !== 'function') {
    throw new OptionError(
      'sentry.sdk',
      sentry?.sdk,
      "the Sentry namespace (import * as Sentry from '@sentry/nextjs')",
    )
  }
  const instanceOrFactory = (option: unknown, name: string) => {
    if (option !== undefined && typeof option !== 'object' && typeof option !== 'function') {
      throw new OptionError(name, option, 'an instance or a function returning one')
    }
  }
  instanceOrFactory(options.logger, 'logger')
  instanceOrFactory(options.metrics, 'metrics')
  const shutdown = options.shutdown
  if (shutdown !== undefined) {
    if (typeof shutdown !== 'object' || shutdown === null) {
      throw new OptionError('shutdown', shutdown, '{ health?, drainDelayMs?, timeoutMs? }')
    }
    durationOption('shutdown.drainDelayMs', shutdown.drainDelayMs)
    durationOption('shutdown.timeoutMs', shutdown.timeoutMs, { allowZero: false })
  }

  async function setup(): Promise<Observability> {
    if (sentry) {
      const { sdk, ...input } = sentry
      sdk.init({ ...sentryOptions({ dsn: process.env.SENTRY_DSN, ...input }) })
    }
    const logger =
      typeof options.logger === 'function'
        ? options.logger()
        : (options.logger ?? createLogger({ service: options.service }))
    const metrics =
      typeof options.metrics === 'function' ? await options.metrics() : (options.metrics ?? noopMetrics)
    const reporter = options.reporter ?? (sentry ? sentryReporter(sentry.sdk) : noopReporter)
    const lifecycle = shutdown ? gracefulShutdown(shutdown, logger, metrics, sentry?.sdk) : undefined
    return { logger, metrics, reporter, requestRate: options.requestRate, lifecycle }
  }

  return {
    async register(): Promise<void> {
      if (process.env.NEXT_RUNTIME === 'edge') return
      await registerOnce(setup)
    },
    /**
     * Errors Next.js caught in pages, server components, actions and routes not wrapped by withObservability.
     * Logs the path without its query string (tokens travel there); never throws, whatever Next.js passes.
     */
    onRequestError: neverThrows(
      (error: unknown, request: NextRequestInfo, context: NextErrorContext): void => {
        const current = getObservability()
        if (!current) return
        const route = context?.routePath
        try {
          if (!options.reporter && sentry?.sdk.captureRequestError)
            sentry.sdk.captureRequestError(error, request, context)
          else
            current.reporter.captureException(error, {
              tags: { type: 'request_error', route },
              extra: { routeType: context?.routeType },
            })
        } catch {
          // Reporting must never turn one error into two, nor keep the error from the log.
        }
        current.logger.error('request error', error, {
          route,
          method: request?.method,
          path: pathWithoutQuery(request?.path),
        })
      },
    ),
  }
}

/** core's lifecycle on SIGTERM/SIGINT, when Next.js leaves the signals to the app (NEXT_MANUAL_SIG_HANDLE). */
function gracefulShutdown(
  options: ShutdownOptions,
  logger: Logger,
  metrics: MetricSink,
  sentry: SentryLike | undefined,
): Lifecycle | undefined {
  // `next build` may load instrumentation.ts too: a build process has nothing to drain.
  if (process.env.NEXT_PHASE === 'phase-production-build') return undefined
  if (!process.env.NEXT_MANUAL_SIG_HANDLE) {
    logger.warn(
      'graceful shutdown is off: start Next.js with NEXT_MANUAL_SIG_HANDLE=1, else it exits at once on SIGTERM',
      { option: 'shutdown' },
    )
    return undefined
  }
  const lifecycle = createLifecycle({
    health: options.health,
    drainDelayMs: options.drainDelayMs,
    timeoutMs: options.timeoutMs,
    logger,
  })
  // Registered first, so they run last: your hooks (database pools…) close before the sinks flush.
  if (sentry) lifecycle.onShutdown('sentry', () => sentry.flush(2000), { timeoutMs: 3000 })
  lifecycle.onShutdown('metrics', () => (metrics.close ?? metrics.flush)?.call(metrics))
  return lifecycle
}

/** `/reset-password?token=…` → `/reset-password`: the query (and fragment) never reaches a log line. */
function pathWithoutQuery(path: unknown): string | undefined {
  if (typeof path !== 'string') return undefined
  const end = path.search(/[?#]/)
  return end < 0 ? path : path.slice(0, end)
}
