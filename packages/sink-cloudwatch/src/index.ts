export type { ClientOptions } from './client.js'
export type { CloudWatchMetricsOptions } from './emf.js'
export { cloudwatchMetrics } from './emf.js'
export type { EnsureLogGroupOptions } from './ensure-log-group.js'
export { ensureLogGroup } from './ensure-log-group.js'
export { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_BYTES, truncateUtf8 } from './limits.js'
export type {
  CloudWatchLogsDestination,
  CloudWatchLogsOptions,
  CloudWatchLogsStats,
  DropInfo,
  DropReason,
  ShutdownRegistry,
} from './logs.js'
export { cloudwatchLogs } from './logs.js'
export { dailyStreamNamer } from './stream-name.js'
export { RETENTION_IN_DAYS } from './validate.js'
