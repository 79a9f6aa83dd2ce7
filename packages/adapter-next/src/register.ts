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
import { drainNextServer } from './drain.js'
import { getObservability, type Observability, registerOnce } from './registry.js'
import { type CountNextRequestsOptions, countNextRequests, countRequestsOption } from './request-spans.js'

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

/**
 * An ErrorReporter that may also take Next.js's request errors whole, with the request and route (sink-sentry's
 * `sentryReporter` over `@sentry/nextjs` does). Without `captureRequestError`, `onRequestError` uses
 * `captureException`.
 */
export interface NextErrorReporter extends ErrorReporter {
  captureRequestError?(error: unknown, request: NextRequestInfo, context: NextErrorContext): unknown
}

export interface RegisterOptions {
  /** The `service` field of every log line. */
  service?: string
  /** @default createLogger({ service }) */
  logger?: Logger | (() => Logger)
  /** Built in register(), once per process (a factory keeps sockets out of the build). @default noopMetrics */
  metrics?: MetricSink | (() => MetricSink | Promise<MetricSink>)
  /**
   * Where errors go, built in register(), once per process: e.g. `() => { Sentry.init(sentryOptions(...)); return
   * sentryReporter(Sentry) }` with @vivr/sink-sentry. Flushed on shutdown when it has `flush`. @default noopReporter
   */
  reporter?: NextErrorReporter | (() => NextErrorReporter | Promise<NextErrorReporter>)
  /**
   * @deprecated Removed: call `Sentry.init(sentryOptions(...))` yourself and pass `reporter: sentryReporter(Sentry)`
   * (both from @vivr/sink-sentry). Passing it throws an OptionError that says so.
   */
  sentry?: never
  /** Marked on every observed request, e.g. `health.requestRate`. */
  requestRate?: { mark(): void }
  /**
   * Count every request Next.js serves — pages, server components, actions, not-found and error pages — once, as
   * `http.requests` / `http.request.duration` / `errors.count` tagged `{ method, route, status_code }`, from
   * Next.js's own request spans (install `@opentelemetry/api`). Router prefetches are not counted; route handlers
   * are left to withObservability unless `routeHandlers` is on. Set up after the reporter, so a tracer provider
   * Sentry.init registered is wrapped, not displaced. See countNextRequests. @default false
   */
  countRequests?: boolean | Omit<CountNextRequestsOptions, 'metrics' | 'logger'>
  /**
   * Graceful shutdown under `next start`, which on its own exits 143 at once on SIGTERM. Needs
   * `NEXT_MANUAL_SIG_HANDLE=true` in the environment of `next start` (Next.js then leaves the signals to us); without
   * it, register() logs a warning and installs nothing. On SIGTERM/SIGINT: readiness answers 503, the drain delay
   * passes, Next.js's server closes (in-flight requests finish, idle keep-alive connections close: drainNextServer),
   * hooks run (yours from `getObservability().lifecycle.onShutdown`, then the metric sinks closed and the reporter
   * flushed), logs flushed, exit 0 (1 past `timeoutMs`). core's `createLifecycle`.
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
  /** How long in-flight requests get once Next.js's server stops accepting (drainNextServer). @default 10000 */
  closeTimeoutMs?: number
}

/**
 * For instrumentation.ts: `export const { register, onRequestError } = registerObservability({ ... })`.
 * `register()` builds the logger, the metric sinks and the error reporter once per process (Node.js runtime
 * only); withObservability and countRequests then use them by default.
 */
export function registerObservability(options: RegisterOptions = {}) {
  if (options.sentry !== undefined) {
    throw new OptionError(
      'sentry',
      options.sentry,
      'no `sentry` option (removed): call `Sentry.init(sentryOptions({ dsn: process.env.SENTRY_DSN }))` yourself ' +
        '(e.g. in a `reporter` factory) and pass `reporter: sentryReporter(Sentry)`, both from @vivr/sink-sentry',
    )
  }
  const instanceOrFactory = (option: unknown, name: string) => {
    if (option !== undefined && typeof option !== 'object' && typeof option !== 'function') {
      throw new OptionError(name, option, 'an instance or a function returning one')
    }
  }
  instanceOrFactory(options.logger, 'logger')
  instanceOrFactory(options.metrics, 'metrics')
  instanceOrFactory(options.reporter, 'reporter')
  const countRequests = countRequestsOption(options.countRequests)
  const shutdown = options.shutdown
  if (shutdown !== undefined) {
    if (typeof shutdown !== 'object' || shutdown === null) {
      throw new OptionError('shutdown', shutdown, '{ health?, drainDelayMs?, timeoutMs? }')
    }
    durationOption('shutdown.drainDelayMs', shutdown.drainDelayMs)
    durationOption('shutdown.timeoutMs', shutdown.timeoutMs, { allowZero: false })
    durationOption('shutdown.closeTimeoutMs', shutdown.closeTimeoutMs, { allowZero: false })
  }

  async function setup(): Promise<Observability> {
    // The reporter first: an error reporter initialised early covers what the rest of the setup throws.
    const reporter =
      typeof options.reporter === 'function' ? await options.reporter() : (options.reporter ?? noopReporter)
    const logger =
      typeof options.logger === 'function'
        ? options.logger()
        : (options.logger ?? createLogger({ service: options.service }))
    const metrics =
      typeof options.metrics === 'function' ? await options.metrics() : (options.metrics ?? noopMetrics)
    const lifecycle = shutdown ? gracefulShutdown(shutdown, logger, metrics, reporter) : undefined
    if (countRequests) {
      await countNextRequests({ requestRate: options.requestRate, ...countRequests, metrics, logger })
    }
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
          const reporter: NextErrorReporter = current.reporter
          if (typeof reporter.captureRequestError === 'function')
            reporter.captureRequestError(error, request, context)
          else
            reporter.captureException(error, {
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
  reporter: ErrorReporter,
): Lifecycle | undefined {
  // `next build` may load instrumentation.ts too: a build process has nothing to drain.
  if (process.env.NEXT_PHASE === 'phase-production-build') return undefined
  if (!process.env.NEXT_MANUAL_SIG_HANDLE) {
    logger.warn(
      'graceful shutdown is off: start Next.js with NEXT_MANUAL_SIG_HANDLE=true, else it exits at once on SIGTERM',
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
  if (typeof reporter.flush === 'function') {
    lifecycle.onShutdown('error reporter', () => reporter.flush?.(2000), { timeoutMs: 3000 })
  }
  lifecycle.onShutdown('metrics', () => (metrics.close ?? metrics.flush)?.call(metrics))
  // Next.js's server, registered at its first request: it closes first, requests finish before anything else.
  drainNextServer(lifecycle, { closeTimeoutMs: options.closeTimeoutMs })
  return lifecycle
}

/** `/reset-password?token=…` → `/reset-password`: the query (and fragment) never reaches a log line. */
function pathWithoutQuery(path: unknown): string | undefined {
  if (typeof path !== 'string') return undefined
  const end = path.search(/[?#]/)
  return end < 0 ? path : path.slice(0, end)
}
