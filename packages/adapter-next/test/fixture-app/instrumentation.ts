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
    return datadogMetrics({
      service: 'fixture-web',
      flushIntervalMs: Number(process.env.DD_FLUSH_INTERVAL_MS ?? 50),
    })
  },
  // Drains under NEXT_MANUAL_SIG_HANDLE=true (test/drain.integration.test.ts); without it, a warning and Next's exit.
  shutdown: { health, drainDelayMs: Number(process.env.DRAIN_DELAY_MS ?? 5000) },
})
