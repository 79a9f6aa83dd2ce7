import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { inflateSync } from 'node:zlib'
import {
  type CloudWatchLogsServer,
  labelSchemasBySample,
  type SentryServer,
  type StatsdListener,
  type StripeServer,
  startCloudWatchLogsServer,
  startSentryServer,
  startStatsdListener,
  startStripeServer,
} from '@vivr/testkit'
import { launchChromium } from '@vivr/testkit/browser'
import type { Browser } from 'playwright-core'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildStorefront,
  dropDatabase,
  eventually,
  freshDatabase,
  healthOf,
  type LogLine,
  type StoreProcess,
  startApi,
  startWeb,
} from './support/processes.js'

const DATABASE = 'storefront'
const ARTIFACTS = join(import.meta.dirname, '../../../test-artifacts/demo-store')
const LOG_GROUP = '/vivr/e2e/app'
const WEBHOOK_SECRET = 'whsec_e2e_storefront'
const ADMIN_TOKEN = 'e2e-admin-token'
const VERSION = '9.9.9-e2e'

/** Session Replay recordings received so far: a JSON header line, then the (deflated) rrweb events. */
function recordingsOf(sentry: SentryServer): string[] {
  return sentry.envelopes.flatMap((envelope) =>
    envelope.items.flatMap((item) => {
      if (item.header.type !== 'replay_recording' || !Buffer.isBuffer(item.payload)) return []
      const body = item.payload.subarray(item.payload.indexOf(0x0a) + 1)
      try {
        return [inflateSync(body).toString('utf8')]
      } catch {
        return [body.toString('utf8')]
      }
    }),
  )
}

describe('demo store end to end: real Chromium, PostgreSQL, Redis; loopback Stripe, DogStatsD, CloudWatch, Sentry', () => {
  let statsd: StatsdListener
  let cloudwatch: CloudWatchLogsServer
  let sentry: SentryServer
  let stripe: StripeServer
  let web: StoreProcess
  let api: StoreProcess
  let browser: Browser
  let orderId: string
  const replayRecordings = () => recordingsOf(sentry)

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    const [databaseUrl] = await Promise.all([freshDatabase(DATABASE), buildStorefront()])
    ;[statsd, cloudwatch, sentry, stripe] = await Promise.all([
      startStatsdListener(),
      startCloudWatchLogsServer(),
      startSentryServer(),
      startStripeServer(),
    ])
    const env = {
      DATABASE_URL: databaseUrl,
      APP_VERSION: VERSION,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `vivr-e2e-${randomUUID()}:`,
      STRIPE_SECRET_KEY: 'sk_test_e2estorefront0000',
      STRIPE_API_BASE: stripe.apiBase,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      DD_AGENT_HOST: '127.0.0.1',
      DD_AGENT_PORT: String(statsd.port),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cloudwatch.endpoint,
      CLOUDWATCH_LOG_GROUP: LOG_GROUP,
      SENTRY_DSN: sentry.dsn,
      NEXT_PUBLIC_SENTRY_DSN: sentry.dsn,
      ADMIN_TOKEN,
      // Datadog RUM starts in production builds when both ids are set (its intake is unreachable here: harmless).
      NEXT_PUBLIC_DATADOG_APP_ID: 'e2e-rum-application',
      NEXT_PUBLIC_DATADOG_CLIENT_TOKEN: 'pube2eclienttoken0000',
    }
    ;[web, api, browser] = await Promise.all([startWeb(env), startApi(env), launchChromium()])
  }, 900_000)

  afterAll(async () => {
    await browser?.close()
    await Promise.all([web?.stop(), api?.stop()])
    await Promise.all([statsd?.close(), cloudwatch?.close(), sentry?.close(), stripe?.close()])
    await dropDatabase(DATABASE)
  }, 60_000)

  it('browse → add to cart → checkout → order confirmed, in Chromium', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(web.url)
    await expect.poll(() => page.getByTestId('product-card').count()).toBe(36)
    await page.screenshot({ path: join(ARTIFACTS, '01-products.png'), fullPage: true })

    await page.getByRole('link', { name: /Studio Headphones/ }).click()
    await page.waitForURL('**/products/studio-headphones')
    await page.getByLabel('Qty').fill('2')
    await page.screenshot({ path: join(ARTIFACTS, '02-product.png') })
    await page.getByRole('button', { name: 'Add to cart' }).click()

    await page.waitForURL('**/cart')
    await expect.poll(() => page.getByTestId('cart-lines').textContent()).toContain('Studio Headphones')
    expect(await page.getByTestId('cart-total').textContent()).toBe('$298.00')
    expect(await page.getByTestId('cart-link').textContent()).toBe('Cart (2)')
    await page.screenshot({ path: join(ARTIFACTS, '03-cart.png') })

    await page.getByRole('link', { name: 'Checkout' }).click()
    await page.waitForURL('**/checkout')
    await page.getByLabel('Email').fill('ada@example.com')
    await page.getByLabel('Name').fill('Ada Lovelace')
    await page.getByLabel(/Card/).selectOption('pm_card_visa')
    await page.screenshot({ path: join(ARTIFACTS, '04-checkout.png') })
    await page.getByRole('button', { name: /Pay \$298\.00/ }).click()

    await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/)
    await expect.poll(() => page.getByTestId('order-confirmed').isVisible()).toBe(true)
    expect(await page.getByTestId('order-status').textContent()).toBe('paid')
    orderId = (await page.getByTestId('order-id').textContent()) ?? ''
    await page.screenshot({ path: join(ARTIFACTS, '05-confirmation.png'), fullPage: true })
    expect(await page.getByTestId('cart-link').textContent()).toBe('Cart')

    // The charge went through the real stripe SDK to the loopback Stripe API.
    expect(stripe.paymentIntents).toHaveLength(1)
    expect(stripe.paymentIntents[0]).toMatchObject({
      amount: 29_800,
      currency: 'usd',
      status: 'succeeded',
      payment_method: 'pm_card_visa',
      metadata: { orderId },
    })

    // Every dependency configured and up: healthy, in JSON and on the HTML status page. (A payment check that
    // missed its deadline while the machine was busy starting everything is cached for up to a minute.)
    const health = await eventually(
      () => healthOf(web.url),
      (h) => h.status === 'healthy',
      { timeoutMs: 70_000, intervalMs: 500 },
    )
    expect(health).toMatchObject({
      httpStatus: 200,
      status: 'healthy',
      checks: { database: { status: 'ok' }, cache: { status: 'ok' }, payment: { status: 'ok' } },
    })
    await page.goto(`${web.url}/api/health`)
    expect(await page.locator('#overall').getAttribute('data-status')).toBe('healthy')
    await page.screenshot({ path: join(ARTIFACTS, '06-status-page.png'), fullPage: true })
    await page.close()
  }, 180_000)

  it('starts Datadog RUM in the browser with the guide settings, inputs masked', async () => {
    const page = await browser.newPage()
    await page.goto(`${web.url}/products/hammock`)
    await expect
      .poll(
        () =>
          page.evaluate(() => {
            const global = globalThis as {
              DD_RUM?: { getInitConfiguration(): Record<string, unknown> | undefined }
            }
            return global.DD_RUM?.getInitConfiguration() ?? null
          }),
        { timeout: 15_000 },
      )
      .toMatchObject({
        applicationId: 'e2e-rum-application',
        service: 'vivr-frontend',
        env: 'production',
        version: VERSION,
        defaultPrivacyLevel: 'mask-user-input',
        trackUserInteractions: true,
      })
    await page.close()
  }, 60_000)

  it('reports a browser error to Sentry from the page, with its Session Replay', async () => {
    const page = await browser.newPage()
    await page.goto(`${web.url}/products/pocket-speaker`)
    // The browser SDK starts in an effect once the page has hydrated.
    await expect
      .poll(() => page.evaluate(() => Reflect.has(globalThis, '__SENTRY__')), { timeout: 15_000 })
      .toBe(true)
    await page.evaluate(() => {
      setTimeout(() => {
        throw new Error('Client drill: the add-to-cart button broke')
      })
    })
    const events = await sentry.waitForEvents(
      (all) => all.some((e) => e.exception?.values?.some((v) => v.value?.includes('Client drill'))),
      15_000,
    )
    const event = events.find((e) => e.exception?.values?.some((v) => v.value?.includes('Client drill')))!
    expect(event.request?.url).toBe(`${web.url}/products/pocket-speaker`)
    expect(event.environment).toBe('production')
    // replaysOnErrorSampleRate 1.0: the error's replay is sent too, with every text masked.
    await expect.poll(() => replayRecordings().length, { timeout: 20_000 }).toBeGreaterThan(0)
    const recording = replayRecordings().join('\n')
    expect(recording).toContain('"type":2') // rrweb's full snapshot of the page
    expect(recording).not.toContain('Pocket Speaker')
    expect(recording).not.toContain('Add to cart')
    expect(recording).toContain('****** *******') // "Pocket Speaker", masked
    await page.close()
  }, 60_000)

  it('the admin API lists the order, behind its bearer token', async () => {
    const unauthorized = await fetch(`${api.url}/api/admin/orders`)
    expect(unauthorized.status).toBe(401)
    const response = await fetch(`${api.url}/api/admin/orders?status=paid`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expect(response.status).toBe(200)
    const { orders } = (await response.json()) as { orders: Array<{ id: string; totalCents: number }> }
    expect(orders).toEqual([expect.objectContaining({ id: orderId, totalCents: 29_800 })])
  })

  it('sends the business KPIs and technical metrics to DogStatsD with the right tags', async () => {
    // A second cart left alone, then swept by the API: one abandoned cart.
    const added = await fetch(`${web.url}/api/cart`, {
      method: 'POST',
      body: new URLSearchParams({ productId: '3', quantity: '1', action: 'add' }),
      redirect: 'manual',
    })
    expect(added.status).toBe(303)
    const swept = await fetch(`${api.url}/api/admin/carts/sweep`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ idleMs: 0 }),
    })
    expect(await swept.json()).toEqual({ abandoned: 1 })

    // The latest line of each metric (counters also send a 0 at startup).
    const metric = (name: string, service = 'vivr-web') =>
      statsd.metrics.findLast((m) => m.name === `vivr.${name}` && m.tags.includes(`service:${service}`))
    const kpis = [
      'orders.created',
      'revenue.processed',
      'order.average_value',
      'conversion.rate',
      'customers.signups',
    ]
    await statsd.waitFor(
      () =>
        kpis.every((name) => metric(name)) &&
        metric('orders.created')?.value === 1 &&
        metric('cart.abandoned', 'vivr-api') !== undefined &&
        metric('conversion.rate', 'vivr-api') !== undefined,
      {
        timeoutMs: 10_000,
      },
    )
    const common = ['env:production', `version:${VERSION}`, 'service:vivr-web']
    expect(metric('orders.created')).toMatchObject({ type: 'c', value: 1 })
    expect(metric('orders.created')?.tags).toEqual(
      expect.arrayContaining([...common, 'currency:usd', 'payment_method:card']),
    )
    expect(metric('revenue.processed')).toMatchObject({ type: 'g', value: 298 })
    expect(metric('revenue.processed')?.tags).toEqual(expect.arrayContaining([...common, 'currency:usd']))
    expect(metric('order.average_value')).toMatchObject({ type: 'g', value: 298 })
    expect(metric('conversion.rate')).toMatchObject({ type: 'g', value: 1 })
    expect(metric('customers.signups')).toMatchObject({ type: 'c', value: 1 })
    expect(metric('cart.abandoned', 'vivr-api')).toMatchObject({ type: 'c', value: 1 })
    // After the abandoned cart: one of two carts converted.
    expect(metric('conversion.rate', 'vivr-api')).toMatchObject({ type: 'g', value: 0.5 })

    const checkoutRequests = statsd.metrics.find(
      (m) => m.name === 'vivr.http.requests' && m.tags.includes('route:/api/checkout'),
    )
    expect(checkoutRequests?.tags).toEqual(expect.arrayContaining(['method:POST', 'status_code:303']))
    // Pages are counted from Next.js's request spans (countRequests), by route template, with the API's tags.
    const productPages = statsd.metrics.find(
      (m) => m.name === 'vivr.http.requests' && m.tags.includes('route:/products/[slug]'),
    )
    expect(productPages?.tags).toEqual(
      expect.arrayContaining(['method:GET', 'status_code:200', 'service:vivr-web']),
    )
    expect(statsd.metrics.some((m) => m.tags.includes('route:/products/studio-headphones'))).toBe(false)
    expect(statsd.metrics.some((m) => m.name === 'vivr.api.response_time' && m.type === 'ms')).toBe(true)
    expect(
      statsd.metrics.find((m) => m.name === 'vivr.database.query.duration' && m.tags.includes('model:Order'))
        ?.type,
    ).toBe('ms')
    expect(statsd.metrics.some((m) => m.name === 'vivr.payments.failure_rate' && m.value === 0)).toBe(true)
    expect(statsd.metrics.some((m) => m.name === 'vivr.cache.hit_rate')).toBe(true)
    expect(statsd.serviceChecks.some((c) => c.name === 'vivr.health.database' && c.status === 0)).toBe(true)
  })

  it("ships the order's log lines, with requestId and orderId, to CloudWatch Logs", async () => {
    const lines = () => cloudwatch.groupEvents(LOG_GROUP).map((event) => JSON.parse(event.message) as LogLine)
    const orderLines = await eventually(
      async () => lines().filter((line) => line.orderId === orderId),
      (found) =>
        found.some((l) => l.message === 'Order created') &&
        found.some((l) => l.message === 'Checkout started'),
    )
    const created = orderLines.find((l) => l.message === 'Order created')!
    expect(created).toMatchObject({ level: 'INFO', service: 'vivr-web', amount: 298, currency: 'usd' })
    expect(created.requestId).toMatch(/^[\w-]{8,}$/)
    // Every line of that request carries its id, the access log line included.
    const access = lines().find((l) => l.requestId === created.requestId && l.message === 'request completed')
    expect(access).toMatchObject({ route: '/api/checkout', statusCode: 303, method: 'POST' })
    expect(orderLines.every((l) => l.requestId === created.requestId)).toBe(true)
  })

  it('exposes the same metrics to Prometheus at /api/metrics', async () => {
    const text = await (await fetch(`${web.url}/api/metrics`)).text()
    expect(text).toMatch(/^orders_created_total\{[^}]*currency="usd"[^}]*\} 1$/m)
    expect(text).toMatch(/^revenue_processed\{[^}]*\} 298$/m)
    expect(text).toMatch(/^customers_signups_total\{[^}]*\} 1$/m)
    expect(text).toMatch(
      /^http_requests_total\{[^}]*route="\/api\/checkout"[^}]*status_code="303"[^}]*\} 1$/m,
    )
    expect(text).toMatch(/^database_query_duration_seconds_count\{[^}]*model="Order"/m)
    expect(text).toMatch(/^health_check_status\{check="database"[^}]*\} 1$/m)
    // One label schema per metric: pages and API routes counted with the same tags.
    const mixed = [...labelSchemasBySample(text)].filter(([, schemas]) => schemas.size > 1)
    expect(mixed.map(([sample, schemas]) => `${sample}: {${[...schemas].join('} {')}}`)).toEqual([])
  })

  it('answers a thrown error with { error, requestId } and sends one Sentry event without credentials', async () => {
    const response = await fetch(`${web.url}/api/drills/error`, {
      headers: {
        authorization: 'Bearer sk_live_e2esecretvalue1234',
        cookie: 'session=e2e-session-secret',
        'x-client-note': 'kept',
      },
    })
    expect(response.status).toBe(500)
    const body = (await response.json()) as { error: string; requestId: string }
    // One request, one id: the body's requestId is the x-request-id header, which the Sentry event carries too.
    expect(body).toEqual({ error: 'Internal Server Error', requestId: response.headers.get('x-request-id') })

    await sentry.waitForEvents((events) => events.some((e) => e.extra?.requestId === body.requestId), 10_000)
    // Nothing else follows for that error (Next.js's own onRequestError must not report it a second time).
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const reports = sentry
      .events()
      .filter((e) => e.exception?.values?.some((v) => v.value?.includes('Drill: the payment ledger')))
    expect(reports).toHaveLength(1)
    const [event] = reports
    expect(event!.tags).toMatchObject({ type: 'api_error', route: '/api/drills/error' })
    const headers = Object.fromEntries(
      Object.entries(event!.request?.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
    )
    // The request's headers travel with the event, minus the two that carry credentials.
    expect(headers).toMatchObject({ 'x-client-note': 'kept' })
    expect(headers).not.toHaveProperty('authorization')
    expect(headers).not.toHaveProperty('cookie')
    expect(event!.extra).toMatchObject({ requestId: response.headers.get('x-request-id') })
    const serialized = JSON.stringify(event)
    expect(serialized).not.toContain('e2esecretvalue')
    expect(serialized).not.toContain('e2e-session-secret')
  })

  it('a declined card fails the payment with Stripe’s reason; a signed webhook settles it later', async () => {
    const added = await fetch(`${web.url}/api/cart`, {
      method: 'POST',
      body: new URLSearchParams({ productId: '5', quantity: '1', action: 'add' }),
      redirect: 'manual',
    })
    const cookie = added.headers.get('set-cookie')!.split(';')[0]!
    const checkout = await fetch(`${web.url}/api/checkout`, {
      method: 'POST',
      headers: { cookie },
      body: new URLSearchParams({
        email: 'grace@example.com',
        name: 'Grace Hopper',
        paymentMethod: 'pm_card_chargeDeclined',
      }),
      redirect: 'manual',
    })
    expect(checkout.status).toBe(303)
    expect(decodeURIComponent(checkout.headers.get('location')!)).toContain(
      'Payment failed: Your card was declined.',
    )
    const declined = stripe.paymentIntents.at(-1)!
    expect(declined.status).toBe('requires_payment_method')
    await statsd.waitFor(
      () => statsd.metrics.some((m) => m.name === 'vivr.payments.failure_rate' && m.value === 0.5),
      { timeoutMs: 10_000 },
    )

    // Stripe later reports the intent paid (say, the customer retried in a hosted page): the API settles the order.
    const event = JSON.stringify({
      id: 'evt_e2e_1',
      object: 'event',
      type: 'payment_intent.succeeded',
      data: { object: { ...declined, status: 'succeeded' } },
    })
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: event, secret: WEBHOOK_SECRET })
    const forged = await fetch(`${api.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=forged' },
      body: event,
    })
    expect(forged.status).toBe(400)
    const delivered = await fetch(`${api.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: event,
    })
    expect(await delivered.json()).toEqual({ received: true, applied: true })
    const order = await fetch(`${api.url}/api/admin/orders/${declined.metadata.orderId}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expect(((await order.json()) as { order: { status: string } }).order.status).toBe('paid')
    // Delivered twice (Stripe retries): applied once.
    const again = await fetch(`${api.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: event,
    })
    expect(await again.json()).toEqual({ received: true, applied: false })
  })
})
