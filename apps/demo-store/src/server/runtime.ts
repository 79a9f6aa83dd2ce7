import * as Sentry from '@sentry/nextjs'
import { perProcess } from '@vivr/adapter-next'
import { loadConfig } from './config.js'
import { createServices, type Services } from './services.js'

/**
 * The storefront process's services, built on first use. Next.js evaluates this module once per bundle (each
 * route, page and instrumentation.ts): `perProcess` makes them share one logger, pool, Redis client and lifecycle.
 */
export function getServices(): Services {
  return perProcess('demo-store/services', () => {
    const config = loadConfig('vivr-web')
    return createServices(config, { ...(config.sentryDsn && { sentry: Sentry }), sweepCarts: true })
  })
}
