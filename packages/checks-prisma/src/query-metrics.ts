import { type Logger, METRIC, type MetricSink, noopLogger, OptionError, TAG } from '@vivr/core'
import { booleanOption, durationOption, readEnv } from '@vivr/core/internal'

export interface QueryMetricsOptions {
  /** Receives `database.query.duration` (timing, ms) and `database.slow_queries` (counter). */
  metrics: MetricSink
  /** Receives a WARN per slow query and, with `logQueries`, a DEBUG per query. @default no logging */
  logger?: Logger
  /** A query that takes at least this long counts as slow, in milliseconds. @default 500 */
  slowQueryMs?: number
  /** Log every query at DEBUG. @default readEnv('LOG_QUERIES') === 'true' */
  logQueries?: boolean
}

/** What `$allOperations` receives from Prisma for a model operation. */
interface ModelOperation {
  model?: string
  operation: string
  args: unknown
  query: (args: unknown) => PromiseLike<unknown>
}

/** The query extension as Prisma's `$extends` takes it (a plain object, so no runtime import of Prisma). */
export interface QueryMetricsExtension {
  name: string
  query: { $allModels: { $allOperations(operation: ModelOperation): Promise<unknown> } }
}

/** Any Prisma client (6 or 7, already extended or not). */
export interface PrismaExtendable {
  $extends(extension: QueryMetricsExtension): object
}

function isSink(value: unknown): value is MetricSink {
  return (
    typeof value === 'object' &&
    value !== null &&
    'timing' in value &&
    typeof value.timing === 'function' &&
    'increment' in value &&
    typeof value.increment === 'function'
  )
}

function isLogger(value: unknown): value is Logger {
  return (
    typeof value === 'object' &&
    value !== null &&
    'warn' in value &&
    typeof value.warn === 'function' &&
    'debug' in value &&
    typeof value.debug === 'function'
  )
}

function queryMetricsExtension(options: QueryMetricsOptions): QueryMetricsExtension {
  if (!isSink(options?.metrics)) throw new OptionError('metrics', options?.metrics, 'a MetricSink')
  if (options.logger !== undefined && !isLogger(options.logger)) {
    throw new OptionError('logger', options.logger, 'a Logger')
  }
  const { metrics } = options
  const logger = options.logger ?? noopLogger
  const slowQueryMs = durationOption('slowQueryMs', options.slowQueryMs) ?? 500
  const logQueries = booleanOption('logQueries', options.logQueries) ?? readEnv('LOG_QUERIES') === 'true'

  function record(model: string, operation: string, startedAt: number, failed: boolean): void {
    const durationMs = performance.now() - startedAt
    const tags = { [TAG.model]: model, [TAG.operation]: operation }
    const duration = Math.round(durationMs)
    // Telemetry must never break the query it observes.
    try {
      metrics.timing(METRIC.databaseQueryDuration, durationMs, tags)
      if (durationMs >= slowQueryMs) {
        metrics.increment(METRIC.databaseSlowQueries, 1, tags)
        logger.warn('Slow database query', { model, operation, duration, thresholdMs: slowQueryMs })
      }
      if (logQueries) logger.debug('Database query', { model, operation, duration, failed })
    } catch {}
  }

  return {
    name: '@vivr/checks-prisma:query-metrics',
    query: {
      $allModels: {
        async $allOperations({ model = 'unknown', operation, args, query }) {
          const startedAt = performance.now()
          try {
            const result = await query(args)
            record(model, operation, startedAt, false)
            return result
          } catch (error) {
            record(model, operation, startedAt, true)
            throw error
          }
        },
      },
    },
  }
}

/**
 * Times every model operation of a Prisma client: `database.query.duration` tagged `{ model, operation }`,
 * `database.slow_queries` plus a WARN log for queries over `slowQueryMs`, and a DEBUG log per query when
 * `LOG_QUERIES=true`. Returns the extended client; the original is unchanged.
 */
export function withQueryMetrics<Client extends PrismaExtendable>(
  prisma: Client,
  options: QueryMetricsOptions,
): Omit<Client, '$on'> {
  if (typeof prisma?.$extends !== 'function') {
    throw new TypeError('withQueryMetrics(prisma): expected a Prisma client (an object with $extends)')
  }
  // A query-only extension leaves every model and method as it was; Prisma's own result type for `$extends` is
  // built by inference over its generics, which no structural signature can reproduce, hence this one cast.
  // Extended clients have no `$on` (Prisma sets it to undefined), which the type says too.
  return prisma.$extends(queryMetricsExtension(options)) as Omit<Client, '$on'>
}
