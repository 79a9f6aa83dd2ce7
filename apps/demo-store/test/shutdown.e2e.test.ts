import { randomUUID } from 'node:crypto'
import {
  type CloudWatchLogsServer,
  type StripeServer,
  startCloudWatchLogsServer,
  startStripeServer,
} from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildStorefront,
  dropDatabase,
  eventually,
  freshDatabase,
  type LogLine,
  type StoreProcess,
  startWeb,
} from './support/processes.js'

const DATABASE = 'shutdown'
const LOG_GROUP = '/vivr/e2e/shutdown'

describe('graceful shutdown: SIGTERM while a checkout is in flight', () => {
  let stripe: StripeServer
  let cloudwatch: CloudWatchLogsServer
  let web: StoreProcess

  beforeAll(async () => {
    const [databaseUrl] = await Promise.all([freshDatabase(DATABASE), buildStorefront()])
    ;[stripe, cloudwatch] = await Promise.all([startStripeServer(), startCloudWatchLogsServer()])
    web = await startWeb({
      DATABASE_URL: databaseUrl,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `vivr-e2e-${randomUUID()}:`,
      STRIPE_SECRET_KEY: 'sk_test_e2eshutdown00000',
      STRIPE_API_BASE: stripe.apiBase,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cloudwatch.endpoint,
      CLOUDWATCH_LOG_GROUP: LOG_GROUP,
      SHUTDOWN_DRAIN_MS: '1500',
    })
  }, 900_000)

  afterAll(async () => {
    await web?.stop('SIGKILL')
    await Promise.all([stripe?.close(), cloudwatch?.close()])
    await dropDatabase(DATABASE)
  }, 60_000)

  it('finishes the checkout, answers readiness 503 while draining, flushes its logs and exits 0', async () => {
    // The first request after start can land before the store has warmed up (seen once in CI): retry a few
    // times, bounded, and say what the store answered if it never sets the cart cookie.
    let setCookie: string | null = null
    let answered = ''
    for (let attempt = 0; attempt < 5 && !setCookie; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 500))
      const added = await fetch(`${web.url}/api/cart`, {
        method: 'POST',
        body: new URLSearchParams({ productId: '7', quantity: '1', action: 'add' }),
        redirect: 'manual',
      })
      setCookie = added.headers.get('set-cookie')
      answered = `${added.status} ${(await added.text()).slice(0, 200)}`
    }
    expect(setCookie, `cart add never set a cookie; last answer: ${answered}`).toBeTruthy()
    const cookie = setCookie!.split(';')[0]!
    // Stripe answers slowly: the checkout is still waiting on it when SIGTERM arrives.
    stripe.delayPaymentIntents(3000)
    const checkout = fetch(`${web.url}/api/checkout`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({ email: 'linus@example.com', name: 'Linus', paymentMethod: 'pm_card_visa' }),
      redirect: 'manual',
    })
    await eventually(
      async () => stripe.paymentIntents.length,
      (n) => n === 1,
    )
    web.child.kill('SIGTERM')

    const readiness = await eventually(
      async () => (await fetch(`${web.url}/api/health/ready`)).status,
      (status) => status === 503,
      { timeoutMs: 1500, intervalMs: 50 },
    )
    expect(readiness).toBe(503)
    expect((await fetch(`${web.url}/api/health/live`)).status).toBe(200)

    const response = await checkout
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toMatch(/\/orders\/[0-9a-f-]{36}$/)

    const { code } = await web.exited
    expect(code).toBe(0)

    const messages = web.logs.map((line) => line.message)
    const order = messages.indexOf('Order created')
    expect(messages.indexOf('shutting down')).toBeGreaterThanOrEqual(0)
    expect(messages.indexOf('shutting down')).toBeLessThan(order)
    expect(order).toBeLessThan(messages.indexOf('shutdown complete'))

    // Flushed before exit: CloudWatch holds the order's line and the very last line of the process.
    const shipped = cloudwatch.groupEvents(LOG_GROUP).map((event) => JSON.parse(event.message) as LogLine)
    expect(shipped.map((line) => line.message)).toEqual(
      expect.arrayContaining(['Order created', 'shutdown complete']),
    )
  })
})
