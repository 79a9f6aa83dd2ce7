/**
 * Runs once when the storefront's server starts (Node.js runtime only): Sentry first, so everything after is
 * covered, then the store's services — health checks start in the background and the lifecycle takes over
 * SIGTERM/SIGINT (the runner sets NEXT_MANUAL_SIG_HANDLE so Next.js leaves the signals to it).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs' || process.env.NEXT_PHASE === 'phase-production-build') return
  const Sentry = await import('@sentry/nextjs')
  const { sentryOptions } = await import('@vivr/sink-sentry')
  if (process.env.SENTRY_DSN) Sentry.init({ ...sentryOptions({ dsn: process.env.SENTRY_DSN }) })
  const { getServices } = await import('./server/runtime')
  const { logger, config } = getServices()
  logger.info('Storefront started', {
    cache: config.redis ? 'redis' : 'memory',
    payments: config.stripe ? 'stripe' : 'disabled',
    cloudwatch: config.cloudwatch ? config.cloudwatch.logGroupName : 'off',
    sentry: config.sentryDsn ? 'on' : 'off',
  })
}

export { captureRequestError as onRequestError } from '@sentry/nextjs'
