import * as Sentry from '@sentry/nextjs'
import { drainNextServer, registerObservability } from '@vivr/adapter-next'
import { sentryOptions } from '@vivr/sink-sentry'
import type { Services } from './server/services'

// The storefront's services (logger, metric sinks, health, lifecycle…) are built in register(), on the server
// only; the adapter's route wrappers and its request counting then use the same logger and metrics.
let services: Services | undefined

const observability = registerObservability({
  service: 'vivr-web',
  logger: () => services!.logger,
  metrics: () => services!.metrics,
  // sink-sentry's reporter over @sentry/nextjs when SENTRY_DSN is set (onRequestError then hands Next.js's
  // request errors to Sentry.captureRequestError), else a no-op.
  reporter: () => services!.reporter,
  requestRate: { mark: () => services?.health.requestRate.mark() },
  // Pages, server components, actions and not-found answers counted from Next.js's request spans, with the same
  // tags as the /api routes (which count themselves through withObservability); router prefetches are not.
  countRequests: true,
})

/**
 * Runs once when the storefront's server starts (Node.js runtime only): Sentry first, so everything after is
 * covered, then the store's services — health checks start in the background and the lifecycle takes over
 * SIGTERM/SIGINT (the runner sets NEXT_MANUAL_SIG_HANDLE so Next.js leaves the signals to it).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs' || process.env.NEXT_PHASE === 'phase-production-build') return
  // Sentry.init with the kit's shared options and beforeSend; without a DSN, no Sentry at all.
  if (process.env.SENTRY_DSN) Sentry.init(sentryOptions({ dsn: process.env.SENTRY_DSN }))
  const { getServices } = await import('./server/runtime')
  services = getServices()
  await observability.register()
  // Next.js's server closes first on SIGTERM, after the drain delay: in-flight pages finish, idle keep-alive
  // connections close, then the store's own hooks run and the logs flush.
  drainNextServer(services.lifecycle)
  const { logger, config } = services
  logger.info('Storefront started', {
    cache: config.redis ? 'redis' : 'memory',
    payments: config.stripe ? 'stripe' : 'disabled',
    cloudwatch: config.cloudwatch ? config.cloudwatch.logGroupName : 'off',
    sentry: config.sentryDsn ? 'on' : 'off',
  })
}

/** Errors in pages and server components (route handlers answer their own through withObservability). */
export const onRequestError = observability.onRequestError
