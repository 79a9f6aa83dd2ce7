import * as Sentry from '@sentry/nextjs'
import { registerObservability } from '@vivr/adapter-next'
import { health } from './lib/health'

export const { register, onRequestError } = registerObservability({
  service: 'fixture-web',
  sentry: { sdk: Sentry },
  requestRate: health.requestRate,
  metrics: async () => {
    const { datadogMetrics } = await import('@vivr/sink-datadog')
    return datadogMetrics({ service: 'fixture-web', flushIntervalMs: 50 })
  },
})
