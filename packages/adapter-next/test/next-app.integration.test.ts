import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inflateSync } from 'node:zlib'
import { type SentryServer, type StatsdListener, startSentryServer, startStatsdListener } from '@vivr/testkit'
import { launchChromium } from '@vivr/testkit/browser'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFixture, type RunningApp, startFixture } from './fixture.js'

const HEX_EVENT_ID = /^[0-9a-f]{32}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Stands in for Datadog's intake behind the browser SDKs' `proxy` option: records what arrives. */
async function startIntake() {
  const received: Array<{ forward: string; bytes: number }> = []
  const server: Server = createServer((request, response) => {
    let bytes = 0
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length
    })
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1')
      received.push({ forward: url.searchParams.get('ddforward') ?? '', bytes })
      response.writeHead(202, { 'access-control-allow-origin': '*' })
      response.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/intake`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A Sentry Replay recording item: `{"segment_id":n}\n` then the rrweb events, as JSON or zlib-compressed. */
function replayEvents(payload: unknown): string {
  const raw = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload))
  const body = raw.subarray(raw.indexOf(0x0a) + 1)
  return body[0] === 0x5b ? body.toString('utf8') : inflateSync(body).toString('utf8')
}

// Generous per-test bounds: this file runs beside the rest of the suite on a 2-core machine.
describe('a real Next.js 16 app using the adapter (next build + next start)', { timeout: 60_000 }, () => {
  let sentry: SentryServer
  let statsd: StatsdListener
  let intake: Awaited<ReturnType<typeof startIntake>>
  let app: RunningApp

  beforeAll(async () => {
    buildFixture()
    sentry = await startSentryServer()
    statsd = await startStatsdListener()
    intake = await startIntake()
    app = await startFixture({
      SENTRY_DSN: sentry.dsn,
      BROWSER_SENTRY_DSN: sentry.dsn,
      DATADOG_PROXY_URL: intake.url,
      DD_AGENT_HOST: '127.0.0.1',
      DD_AGENT_PORT: String(statsd.port),
    })
  }, 360_000)

  afterAll(async () => {
    await app?.stop()
    await Promise.all([sentry?.close(), statsd?.close(), intake?.close()])
  })

  const tags = (name: string) => statsd.metrics.filter((m) => m.name === name).map((m) => m.tags)

  it('serves the health routes: core bodies and headers, never cached by Next', async () => {
    const first = await fetch(`${app.base}/api/health`)
    expect(first.status).toBe(200)
    expect(first.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate')
    const body = await first.json()
    expect(body).toMatchObject({
      status: 'degraded',
      environment: 'production',
      checks: { database: { status: 'ok' }, payment: { status: 'error', message: 'Stripe not configured' } },
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    const second = await (await fetch(`${app.base}/api/health`)).json()
    expect(second.timestamp).not.toBe(body.timestamp)

    const ietf = await fetch(`${app.base}/api/health`, { headers: { accept: 'application/health+json' } })
    expect(ietf.headers.get('content-type')).toBe('application/health+json')
    expect((await ietf.json()).status).toBe('warn')
    const live = await fetch(`${app.base}/api/health/live`)
    expect([live.status, (await live.json()).checks]).toEqual([200, {}])
    const ready = await (await fetch(`${app.base}/api/health/ready`)).json()
    expect(Object.keys(ready.checks)).toEqual(['database'])
  })

  it('a wrapped route that throws answers { error, requestId } and its error reaches Sentry', async () => {
    const response = await fetch(`${app.base}/api/orders`, { method: 'POST' })
    expect(response.status).toBe(500)
    const body = await response.json()
    expect(body.error).toBe('Internal Server Error')
    // One request, one id: the body, the header, the Sentry event's extra and the log line; the event id is logged.
    const requestId = response.headers.get('x-request-id')
    expect(requestId).toMatch(UUID)
    expect(body.requestId).toBe(requestId)

    const [event] = await sentry
      .waitForEvents((events) => events.some((e) => e.extra?.requestId === requestId), 10_000)
      .then((events) => events.filter((e) => e.extra?.requestId === requestId))
    expect(event?.event_id).toMatch(HEX_EVENT_ID)
    expect(event?.tags).toMatchObject({ type: 'api_error', route: '/api/orders' })
    expect(event?.level).toBe('error')
    expect(event?.exception?.values?.[0]?.value).toContain('Database write failed')
    const logged = app.logs.find((line) => line.message === 'API error' && line.requestId === requestId)
    expect(logged).toMatchObject({ route: '/api/orders', eventId: event?.event_id })
    await statsd.waitFor(
      () =>
        tags('vivr.errors.count').some(
          (t) => t.includes('route:/api/orders') && t.includes('status_code:500'),
        ),
      { timeoutMs: 10_000 },
    )
  })

  it('a wrapped route runs in the request context and is measured by route template and status', async () => {
    const response = await fetch(`${app.base}/api/products/42`, { headers: { 'x-request-id': 'next-req-1' } })
    expect(await response.json()).toEqual({ id: '42', requestId: 'next-req-1' })
    expect(response.headers.get('x-request-id')).toBe('next-req-1')
    const seen = (name: string, wanted: string[]) =>
      tags(name).some((t) => wanted.every((tag) => t.includes(tag)))
    await statsd.waitFor(
      () =>
        seen('vivr.http.requests', ['method:GET', 'route:/api/products/[id]', 'status_code:200']) &&
        seen('vivr.http.request.duration', ['route:/api/products/[id]', 'status_code:200']),
      { timeoutMs: 10_000 },
    )
  })

  it('proxy.ts counts page requests by route pattern over UDP, and leaves /api to the wrapped routes', async () => {
    for (const path of ['/products/7', '/products/8', '/', '/no-such-page']) await fetch(`${app.base}${path}`)
    const byEndpoint = (endpoint: string) =>
      tags('vivr.http.requests').filter((t) => t.includes(`endpoint:${endpoint}`) && t.includes('method:GET'))
        .length
    await statsd.waitFor(() => byEndpoint('/products/[id]') >= 2 && byEndpoint('unmatched') >= 1, {
      timeoutMs: 10_000,
    })
    expect(byEndpoint('/')).toBe(1)
    expect(tags('vivr.http.requests').some((t) => t.some((tag) => tag.startsWith('endpoint:/api')))).toBe(
      false,
    )
    expect(tags('vivr.http.requests').some((t) => t.includes('endpoint:/products/7'))).toBe(false)
  })

  it('onRequestError reports errors Next.js caught outside wrapped routes, and logs them', async () => {
    expect((await fetch(`${app.base}/broken`)).status).toBe(500)
    const events = await sentry.waitForEvents(
      (all) =>
        all.some((e) => e.exception?.values?.[0]?.value?.includes('Database unavailable while rendering')),
      10_000,
    )
    expect(events.length).toBeGreaterThan(0)
    await expect
      .poll(() => app.logs.find((line) => line.message === 'request error' && line.route === '/broken'))
      .toMatchObject({ method: 'GET', path: '/broken' })
  })

  describe('the client entry in Chromium', () => {
    let browser: Browser

    beforeAll(async () => {
      browser = await launchChromium()
    }, 60_000)

    afterAll(async () => {
      await browser?.close()
    })

    it('initialises Sentry Replay and Datadog RUM + logs without errors, and masks text and inputs', {
      timeout: 120_000,
    }, async () => {
      const page = await browser.newPage()
      const problems: string[] = []
      page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`)
      })
      // The DSN server is another origin: forward envelopes to it for real and allow the answer through CORS.
      await page.route(`http://127.0.0.1:${sentry.port}/**`, async (route) => {
        const response = await route.fetch()
        await route.fulfill({
          response,
          headers: { ...response.headers(), 'access-control-allow-origin': '*' },
        })
      })
      await page.goto(`${app.base}/monitoring`)
      await page.waitForFunction(() => 'window' in globalThis && '__monitoring' in window)
      const state = await page.evaluate(() => {
        const { started, rum, logs, sentry: options } = Reflect.get(window, '__monitoring')
        return {
          started,
          rum,
          logs,
          sentry: {
            replaysSessionSampleRate: options.replaysSessionSampleRate,
            replaysOnErrorSampleRate: options.replaysOnErrorSampleRate,
            tracesSampleRate: options.tracesSampleRate,
            environment: options.environment,
            beforeSend: typeof options.beforeSend,
            integrations: options.integrations.map((integration: { name: string }) => integration.name),
          },
        }
      })
      expect(state.started).toEqual({ sentry: true, datadog: true })
      expect(state.rum).toMatchObject({
        defaultPrivacyLevel: 'mask-user-input',
        sessionSampleRate: 100,
        sessionReplaySampleRate: 100,
        trackUserInteractions: true,
        service: 'vivr-frontend',
        env: 'production',
      })
      expect(state.logs).toMatchObject({ forwardErrorsToLogs: true, sessionSampleRate: 100 })
      expect(state.sentry).toMatchObject({
        replaysSessionSampleRate: 1,
        replaysOnErrorSampleRate: 1,
        tracesSampleRate: 0.1,
        environment: 'production',
        beforeSend: 'function',
      })
      expect(state.sentry.integrations).toContain('Replay')

      await page.fill('#card-holder', 'hunter2 Alice')
      await page.evaluate(() => Reflect.get(window, '__monitoring').flushReplay())
      const recordings = () =>
        sentry.envelopes.flatMap((e) => e.items.filter((i) => i.header.type === 'replay_recording'))
      await expect.poll(() => recordings().length, { timeout: 30_000 }).toBeGreaterThan(0)
      const recorded = recordings()
        .map((item) => replayEvents(item.payload))
        .join('\n')
      expect(recorded).toContain('card-holder')
      expect(recorded).not.toContain('Alice')
      expect(recorded).not.toContain('hunter2')
      expect(recorded).toMatch(/\*{5,}/)

      await page.close({ runBeforeUnload: true })
      await expect
        .poll(() => intake.received.some((r) => r.forward.includes('/rum')), { timeout: 20_000 })
        .toBe(true)
      expect(problems).toEqual([])
    })
  })
})
