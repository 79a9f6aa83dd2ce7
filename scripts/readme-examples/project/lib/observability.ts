// `@/lib/observability` in README examples: the app's logger, metric sink and error reporter.
import { type ErrorReporter, type MetricSink, noopMetrics, noopReporter } from '@vivr/core'
import { createLogger } from '@vivr/core/node'

export const logger = createLogger({ service: 'store' })
export const metrics: MetricSink = noopMetrics
export const reporter: ErrorReporter = noopReporter
