import * as Sentry from '@sentry/nextjs'
import { type SentryServer, startSentryServer } from '@vivr/testkit'
import { unreadableThrows } from '@vivr/testkit/hostile'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sentryReporter } from '../src/index.js'

// The real @sentry/nextjs (its own file: the SDK is global per process), over a loopback Sentry.
let server: SentryServer

beforeAll(async () => {
  server = await startSentryServer()
  Sentry.init({ dsn: server.dsn })
})
afterAll(async () => {
  await Sentry.close(2000)
  await server.close()
})

describe('captureRequestError over the real @sentry/nextjs', () => {
  it('an error the SDK cannot read is sent, and flush() still answers true', async () => {
    const unreadable = unreadableThrows()
    const reporter = sentryReporter(Sentry)
    const request = { path: '/api/orders', method: 'GET', headers: {} }
    const context = { routerKind: 'App Router', routePath: '/api/orders', routeType: 'route' }
    for (const [name, thrown] of Object.entries(unreadable)) {
      server.clear()
      expect(() => reporter.captureRequestError?.(thrown, request, context), name).not.toThrow()
      expect(await reporter.flush(3000), name).toBe(true)
      expect(server.events(), name).toHaveLength(1)
    }
  })
})
