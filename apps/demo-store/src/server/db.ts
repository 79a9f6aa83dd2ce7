import { PrismaPg } from '@prisma/adapter-pg'
import { withQueryMetrics } from '@vivr/checks-prisma'
import type { Logger, MetricSink } from '@vivr/core'
import { PrismaClient } from '../generated/prisma/client'

export interface DatabaseOptions {
  url: string
  metrics: MetricSink
  logger: Logger
  /** Queries at least this long are counted in database.slow_queries and logged. */
  slowQueryMs: number
  /** @default 10 */
  poolSize?: number
}

/**
 * The Prisma client over `pg` (PrismaPg), with the kit's query metrics and slow-query log. Connection failures
 * (database restarted, network cut) are logged and the pool reconnects on the next query: no restart needed.
 */
export function createDatabase(options: DatabaseOptions) {
  const { logger } = options
  const adapter = new PrismaPg(
    {
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
    },
    {
      onPoolError: (error) => logger.warn('Idle database connection failed', { error: error.message }),
      onConnectionError: (error) => logger.warn('Database connection failed', { error: error.message }),
    },
  )
  const client = new PrismaClient({ adapter })
  const prisma = withQueryMetrics(client, {
    metrics: options.metrics,
    logger,
    slowQueryMs: options.slowQueryMs,
  })
  return {
    prisma,
    /** The client without the metrics extension: the health check's SELECT 1 is not a business query. */
    client,
    close: () => client.$disconnect(),
  }
}

export type Database = ReturnType<typeof createDatabase>['prisma']
