import * as Sentry from '@sentry/node'
import { serve } from '@vivr/adapter-express'
import { sentryOptions } from '@vivr/sink-sentry'
import { loadConfig } from '../server/config.js'
import { createServices } from '../server/services.js'
import { createApiApp } from './app.js'

/** The API process: `npm run start:api` (or `npm run demo`, which starts it beside the storefront). */
async function main() {
  const config = loadConfig('vivr-api')
  if (config.sentryDsn) Sentry.init({ ...sentryOptions({ dsn: config.sentryDsn }) })
  const services = createServices(config, config.sentryDsn ? { sentry: Sentry } : {})
  const app = createApiApp(services)
  try {
    await serve(app, { port: config.apiPort, lifecycle: services.lifecycle })
  } catch (error) {
    const code = error instanceof Error ? Reflect.get(error, 'code') : undefined
    const reason =
      code === 'EADDRINUSE' ? `port ${config.apiPort} is in use (set API_PORT to use another)` : error
    services.logger.error('API could not start', error, { port: config.apiPort })
    console.error(`api: ${reason instanceof Error ? reason.message : reason}`)
    await services.logger.flush()
    process.exit(1)
  }
  services.logger.info('API listening', {
    url: config.apiUrl,
    cache: config.redis ? 'redis' : 'memory',
    payments: config.stripe ? 'stripe' : 'disabled',
  })
}

await main()
