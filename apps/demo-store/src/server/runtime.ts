import * as Sentry from '@sentry/nextjs'
import { loadConfig } from './config.js'
import { createServices, type Services } from './services.js'

// Next.js may evaluate a module once per route bundle: the storefront's services live on one global instead, so
// every route, page and instrumentation.ts share a single logger, pool, Redis client and lifecycle.
const KEY = Symbol.for('@vivr/demo-store/services')

/** The storefront process's services, built on first use. */
export function getServices(): Services {
  const holder = globalThis as { [KEY]?: Services }
  if (!holder[KEY]) {
    const config = loadConfig('vivr-web')
    holder[KEY] = createServices(config, { ...(config.sentryDsn && { sentry: Sentry }), sweepCarts: true })
  }
  return holder[KEY]
}
