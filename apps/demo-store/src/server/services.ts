import { prismaCheck } from '@vivr/checks-prisma'
import { redisCheck } from '@vivr/checks-redis'
import { stripeCheck } from '@vivr/checks-stripe'
import {
  type BusinessMetrics,
  type Check,
  createBusinessMetrics,
  createHealth,
  createTechnicalMetrics,
  defineCheck,
  type ErrorReporter,
  type Health,
  type LogDestination,
  type Logger,
  limitCardinality,
  type MetricSink,
  multiMetrics,
  noopReporter,
  publishHealth,
  type TechnicalMetrics,
} from '@vivr/core'
import {
  createLifecycle,
  createLogger,
  type Lifecycle,
  runtimeMetrics,
  stdoutDestination,
  withTrace,
} from '@vivr/core/node'
import { cloudwatchLogsInWorker, cloudwatchMetrics, SERVICE_ROLLUPS } from '@vivr/sink-cloudwatch'
import { datadogMetrics } from '@vivr/sink-datadog'
import { type PrometheusMetrics, prometheusMetrics } from '@vivr/sink-prometheus'
import { type SentryLike, sentryReporter } from '@vivr/sink-sentry'
import { Redis } from 'ioredis'
import { type CartStore, memoryCartStore, redisCartStore } from './cart.js'
import { type Catalog, createCatalog, memoryTextCache, redisTextCache } from './catalog.js'
import type { StoreConfig } from './config.js'
import { createDatabase, type Database } from './db.js'
import { createOrders, type Orders } from './orders.js'
import { createPayments, type Payments } from './payments.js'

export const REDIS_NOT_CONFIGURED = 'Redis not configured'

export interface Services {
  config: StoreConfig
  logger: Logger
  metrics: MetricSink
  business: BusinessMetrics
  technical: TechnicalMetrics
  prometheus: PrometheusMetrics
  reporter: ErrorReporter
  health: Health
  lifecycle: Lifecycle
  db: Database
  catalog: Catalog
  carts: CartStore
  payments: Payments
  orders: Orders
  /** Call at the start of a request; call the returned function when it is done. Shutdown waits for these. */
  beginRequest(): () => void
}

export interface ServiceOptions {
  /** The Sentry SDK namespace the entry point initialized (`@sentry/nextjs` or `@sentry/node`), if any. */
  sentry?: SentryLike
  /** Count abandoned carts in this process (the storefront does; the API has no carts). @default false */
  sweepCarts?: boolean
  /** Passed to the lifecycle (tests stop the process by hand). */
  exit?: (code: number) => void
}

function notConfigured(name: string, message: string): Check {
  return defineCheck({ name, critical: false, run: async () => ({ status: 'degraded', message }) })
}

function redisClient(config: NonNullable<StoreConfig['redis']>, logger: Logger): Redis {
  const redis = new Redis(config.url, {
    keyPrefix: config.keyPrefix,
    // Fail fast while Redis is away (the cart says so, the catalog reads the database); reconnect forever.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  })
  let lastWarning = 0
  redis.on('error', (error: Error) => {
    if (Date.now() - lastWarning < 30_000) return
    lastWarning = Date.now()
    logger.warn('Redis connection error', { error: error.message })
  })
  return redis
}

/**
 * Builds the store's services for one process (the storefront or the API) from its config: telemetry first, then
 * the dependencies, each optional one replaced by its not-configured stand-in.
 */
export function createServices(config: StoreConfig, options: ServiceOptions = {}): Services {
  if (!config.databaseUrl) {
    throw new Error(
      'DATABASE_URL is not set: start the store with `npm run demo` (it runs an embedded PostgreSQL) or point DATABASE_URL at your PostgreSQL',
    )
  }

  // Shipped from a worker thread: the requests' thread only copies each line's bytes (sink-cloudwatch README).
  const cloudwatch = config.cloudwatch
    ? cloudwatchLogsInWorker({
        logGroupName: config.cloudwatch.logGroupName,
        region: config.cloudwatch.region,
        ...(config.cloudwatch.retentionInDays && { retentionInDays: config.cloudwatch.retentionInDays }),
      })
    : undefined
  const destinations: LogDestination[] = [stdoutDestination(), ...(cloudwatch ? [cloudwatch] : [])]
  const logger = createLogger({
    service: config.service,
    environment: config.environment,
    version: config.version,
    destinations,
  })

  const datadog = datadogMetrics({
    host: config.datadog.host,
    port: config.datadog.port,
    service: config.service,
    globalTags: { env: config.environment, version: config.version },
    logger,
  })
  const prometheus = prometheusMetrics({ defaultMetrics: true, logger })
  prometheus.registry.setDefaultLabels({ service: config.service })
  const emf =
    cloudwatch && config.cloudwatchMetrics
      ? cloudwatchMetrics({
          namespace: 'VIVR',
          dimensions: { service: config.service, environment: config.environment },
          destination: cloudwatch,
          // The per-route and per-service sets ops/aws's dashboard and alarms (SLOs included) read.
          rollups: SERVICE_ROLLUPS,
        })
      : undefined
  const everySink = multiMetrics(datadog, prometheus, ...(emf ? [emf] : []))
  const metrics = limitCardinality(everySink, { maxTagSets: 1000, logger })
  const business = createBusinessMetrics(metrics)
  const technical = createTechnicalMetrics(metrics)

  const database = createDatabase({
    url: config.databaseUrl,
    metrics,
    logger,
    slowQueryMs: config.slowQueryMs,
  })
  const redis = config.redis ? redisClient(config.redis, logger) : undefined
  const payments = createPayments(config.stripe)

  const health = createHealth({
    checks: [
      prismaCheck(database.client, { timeoutMs: 1000, tags: ['ready'] }),
      // A cache that misses one probe in ten degrades; three misses in a row are an outage (docs/health.md#flap-damping).
      redis
        ? redisCheck(redis, { timeoutMs: 500, failAfter: 3, recoverAfter: 2 })
        : notConfigured('cache', REDIS_NOT_CONFIGURED),
      // Background runs never make a probe wait, so Stripe gets a generous deadline (results are cached 60 s).
      stripeCheck(payments.stripe, { timeoutMs: 3000 }),
    ],
    environment: config.environment,
    version: config.version,
  })
  health.onChange((change) => {
    if (change.kind === 'phase') {
      logger.info('Health phase changed', {
        previous: change.previous,
        phase: change.current,
        reason: change.reason,
      })
      return
    }
    if (change.kind === 'blocking task') {
      const fields = { task: change.name, outcome: change.outcome, reason: change.message }
      if (change.outcome === 'done') logger.info('Readiness task finished', fields)
      else logger.warn('Readiness task did not finish', fields)
      return
    }
    if (change.kind !== 'check' || (change.previous === undefined && change.current.status === 'ok')) return
    const { name, previous, current } = change
    const fields = {
      check: name,
      previous,
      status: current.status,
      reason: current.message,
      latency: current.latency,
    }
    if (current.status === 'ok') logger.info('Health check recovered', fields)
    else logger.warn('Health check failing', fields)
  })
  // Check names are few and fixed: health goes to every sink (Datadog also gets service checks), unlimited.
  publishHealth(health, everySink)

  const lifecycle = createLifecycle({
    health,
    logger,
    drainDelayMs: config.drainDelayMs,
    timeoutMs: config.drainDelayMs + 20_000,
    ...(options.exit && { exit: options.exit }),
  })
  const sentry = options.sentry ? sentryReporter(options.sentry) : undefined
  const reporter: ErrorReporter = sentry ?? noopReporter

  const carts = redis ? redisCartStore(redis) : memoryCartStore()
  const catalog = createCatalog({
    db: database.prisma,
    cache: redis ? redisTextCache(redis) : memoryTextCache(),
    technical,
    logger,
  })
  const orders = createOrders({
    db: database.prisma,
    carts,
    catalog,
    payments,
    business,
    technical,
    logger,
  })

  let inFlight = 0
  let drained: (() => void) | undefined
  const beginRequest = () => {
    inFlight++
    let done = false
    return () => {
      if (done) return
      done = true
      inFlight--
      if (inFlight === 0) drained?.()
    }
  }

  if (options.sweepCarts) {
    // The storefront's KPI counters exist from the start at 0, so dashboards and rate() see a series before the
    // first order (Prometheus only exposes a series once it has been written).
    business.ordersCreated(0, { currency: 'usd', payment_method: 'card' })
    business.customerSignups(0)
    business.cartAbandonment(0)
  }

  const sweeper = options.sweepCarts
    ? setInterval(
        // Each sweep is a trace of its own (no request started it): its log lines share one trace_id.
        () =>
          withTrace(
            () =>
              orders
                .sweepAbandonedCarts(config.cartAbandonAfterMs)
                .catch((error) => logger.warn('Cart sweep failed', { error: String(error) })),
            { task: 'cart-sweep' },
          ),
        Math.min(60_000, Math.max(500, config.cartAbandonAfterMs / 2)),
      )
    : undefined
  sweeper?.unref()
  // The first query of a process pays for the pool's connection and Prisma's query compiler, and both processes
  // start at once: checks begin once that is done (at most 5 s), not with a timed-out first run that would turn
  // readiness red for a whole interval. Until then, probes run the checks themselves.
  let backgroundChecks = true
  const warmUp = Promise.allSettled([database.client.$queryRaw`SELECT 1`, redis?.ping()])
  const warmUpBound = new Promise((resolve) => setTimeout(resolve, 5000).unref())
  void Promise.race([warmUp, warmUpBound]).then(() => {
    if (backgroundChecks) health.start({ intervalMs: config.healthIntervalMs })
  })
  // Not ready until the catalog is in the cache: the first shoppers get cached pages, not a cold database.
  health.blockReadiness(
    'catalog cache warm-up',
    warmUp.then(() => catalog.list()),
    { timeoutMs: 10_000 },
  )

  // Hooks run in reverse: requests finish first, then dependencies close, then telemetry flushes. The logger
  // (CloudWatch included) is flushed by the lifecycle itself, after its last line.
  lifecycle.onShutdown('telemetry', async () => {
    await Promise.allSettled([metrics.close?.(), sentry?.close()])
  })
  // Event loop, GC, heap and RSS every 10 s, for the ops kit's Runtime row and EventLoopDelayHigh; registered after
  // the telemetry hook, so it stops before the sinks flush.
  runtimeMetrics({ metrics, lifecycle })
  lifecycle.onShutdown('database', () => database.close(), { timeoutMs: 3000 })
  lifecycle.onShutdown('cart store', () => carts.close(), { timeoutMs: 1000 })
  lifecycle.onShutdown('background work', () => {
    if (sweeper) clearInterval(sweeper)
    backgroundChecks = false
    health.stop()
  })
  lifecycle.onShutdown(
    'in-flight requests',
    () =>
      inFlight === 0
        ? undefined
        : new Promise<void>((resolve) => {
            logger.info('Waiting for in-flight requests', { count: inFlight })
            drained = resolve
          }),
    { timeoutMs: 15_000 },
  )

  return {
    config,
    logger,
    metrics,
    business,
    technical,
    prometheus,
    reporter,
    health,
    lifecycle,
    db: database.prisma,
    catalog,
    carts,
    payments,
    orders,
    beginRequest,
  }
}
