import * as Sentry from '@sentry/nextjs'
import { registerObservability } from '@vivr/adapter-next'
import { sentryOptions, sentryReporter } from '@vivr/sink-sentry'
import { health } from './lib/health'

export const { register, onRequestError } = registerObservability({
  service: 'fixture-web',
  reporter: () => {
    Sentry.init(sentryOptions({ dsn: process.env.SENTRY_DSN }))
    return sentryReporter(Sentry)
  },
  requestRate: health.requestRate,
  // Every page, RSC and not-found request counted from Next.js's request spans (the /api routes count themselves).
  countRequests: true,
  metrics: async () => {
    const { datadogMetrics } = await import('@vivr/sink-datadog')
    return datadogMetrics({ service: 'fixture-web', flushIntervalMs: 50 })
  },
})
