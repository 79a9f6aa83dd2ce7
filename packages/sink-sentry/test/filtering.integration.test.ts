import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as Sentry from '@sentry/node'
import { type SentryServer, startSentryServer } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sentryOptions, sentryReporter } from '../src/index.js'

// A production init with the shared beforeSend, the one Sentry.init of this file.
let server: SentryServer
let app: Server
let appUrl: string
const reporter = sentryReporter(Sentry)

beforeAll(async () => {
  server = await startSentryServer()
  Sentry.init({
    ...sentryOptions({
      dsn: server.dsn,
      environment: 'production',
      beforeSend: { redactHeaders: ['authorization', 'cookie', 'x-internal-key'] },
    }),
  })
  // A plain Node server: Sentry's HTTP integration attaches each request's data to errors captured inside it.
  app = createServer((request, response) => {
    const marker = new URL(request.url ?? '/', 'http://x').searchParams.get('marker')
    reporter.captureException(new Error(`Database write failed ${marker}`), {
      tags: { route: '/api/orders' },
    })
    response.end('ok')
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', () => resolve()))
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => app.close(resolve))
  await Sentry.close(2000)
  await server.close()
})

const token = () => Math.random().toString(36).slice(2, 10)
const withMarker = (marker: string) => server.events().filter((e) => JSON.stringify(e).includes(marker))

/** Sends a critical sentinel after `send` and waits for it, so anything `send` produced has arrived too. */
async function afterSentinel(send: () => void): Promise<void> {
  send()
  const sentinel = token()
  reporter.captureException(new Error(`payment sentinel ${sentinel}`))
  await reporter.flush()
  await server.waitForEvents((events) => events.some((e) => JSON.stringify(e).includes(sentinel)))
}

describe('beforeSend rules, end to end through @sentry/node', () => {
  it('never delivers ignored network errors or non-critical production errors', async () => {
    const marker = token()
    await afterSentinel(() => {
      reporter.captureException(new TypeError(`Network request failed ${marker}`))
      reporter.captureException(new Error(`Cannot read properties of undefined ${marker}`))
    })
    expect(withMarker(marker)).toEqual([])
  })

  it('delivers critical errors, and non-error levels, with their tags and level', async () => {
    const marker = token()
    reporter.captureException(new Error(`Auth provider unreachable ${marker}`), {
      tags: { type: 'api_error', route: '/api/login' },
    })
    reporter.captureException(new Error(`Coupon expired ${marker}`), {
      level: 'info',
      tags: { route: '/api/cart' },
    })
    await reporter.flush()
    const events = await server.waitForEvents(() => withMarker(marker).length === 2)
    const mine = events.filter((e) => JSON.stringify(e).includes(marker))
    expect(mine.map((e) => [e.level, e.tags?.route]).sort()).toEqual([
      ['error', '/api/login'],
      ['info', '/api/cart'],
    ])
  })

  it('never delivers redacted request headers or cookies, and masks other secret headers', async () => {
    const marker = token()
    const response = await fetch(`${appUrl}/api/orders?marker=${marker}&token=querysecret1`, {
      headers: {
        authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature',
        cookie: 'session=cookiesecret1; cart=3',
        'x-internal-key': 'internalsecret1',
        'x-request-id': `req-${marker}`,
      },
    })
    expect(response.status).toBe(200)
    await reporter.flush()
    const [event] = await server
      .waitForEvents(() => withMarker(marker).length === 1)
      .then(() => withMarker(marker))
    expect(event!.request?.headers?.['x-request-id']).toBe(`req-${marker}`)
    const headerNames = Object.keys(event!.request?.headers ?? {}).map((h) => h.toLowerCase())
    expect(headerNames).not.toContain('authorization')
    expect(headerNames).not.toContain('cookie')
    expect(headerNames).not.toContain('x-internal-key')
    expect(event!.request?.cookies).toBeUndefined()
    const raw = JSON.stringify(event)
    for (const secret of ['eyJhbGciOiJIUzI1NiJ9', 'cookiesecret1', 'internalsecret1', 'querysecret1']) {
      expect(raw).not.toContain(secret)
    }
  })

  it('masks secrets in extra and breadcrumbs before they leave the process', async () => {
    const marker = token()
    Sentry.addBreadcrumb({ message: `connecting to postgres://app:hunter2@db:5432/shop ${marker}` })
    reporter.captureException(new Error(`Database unreachable ${marker}`), {
      extra: {
        connection: 'postgres://app:hunter2@db:5432/shop',
        stripeKey: 'sk_live_51Hsecret',
        userId: 'u_7',
      },
    })
    await reporter.flush()
    await server.waitForEvents(() => withMarker(marker).length === 1)
    const [event] = withMarker(marker)
    const raw = JSON.stringify(event)
    expect(raw).not.toContain('hunter2')
    expect(raw).not.toContain('sk_live_51Hsecret')
    expect(event!.extra).toMatchObject({ connection: 'postgres://***@db:5432/shop', userId: 'u_7' })
    expect(event!.breadcrumbs?.some((b) => b.message?.includes('postgres://***@db'))).toBe(true)
  })
})
