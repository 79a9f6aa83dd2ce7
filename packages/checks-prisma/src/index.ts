export type { PrismaCheckOptions, PrismaQueryable } from './check.js'
export { prismaCheck } from './check.js'
export type { PrismaExtendable, QueryMetricsExtension, QueryMetricsOptions } from './query-metrics.js'
export { withQueryMetrics } from './query-metrics.js'
