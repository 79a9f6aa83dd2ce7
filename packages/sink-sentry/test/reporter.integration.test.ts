import * as Sentry from '@sentry/node'
import { type SentryServer, startSentryServer } from '@vivr/testkit'
import { describeErrorReporterContract } from '@vivr/testkit/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sentryOptions, sentryReporter } from '../src/index.js'

const randomToken = (length: number) =>
  Array.from(
    { length },
    (_, i) => 'abcdefghjkmnpqrstuvwxyz23456789'[(Math.random() * 31) | 0] ?? String(i),
  ).join('')

// One Sentry.init for this file (the SDK is global per process); every test marks its events.
let server: SentryServer

beforeAll(async () => {
  server = await startSentryServer()
  Sentry.init({ ...sentryOptions({ dsn: server.dsn, environment: 'test', release: '1.4.0' }) })
})
afterAll(async () => {
  await Sentry.close(2000)
  await server.close()
})

describeErrorReporterContract('sentryReporter(@sentry/node)', () => ({
  reporter: sentryReporter(Sentry),
  received: () =>
    server.events().map((event) => ({
      eventId: event.event_id,
      message: event.exception?.values?.map((v) => v.value ?? '').join(' ') || (event.message ?? ''),
      tags: event.tags ?? {},
      extra: event.extra ?? {},
      level: event.level,
    })),
}))

describe('sentryReporter over the real SDK', () => {
  it('sends the guide’s API error shape: tags, extra, level, environment and release', async () => {
    const reporter = sentryReporter(Sentry)
    const eventId = reporter.captureException(new Error('Database timeout on /api/orders'), {
      tags: { type: 'api_error', route: '/api/orders' },
      extra: { userId: 'u_42' },
      level: 'error',
    })
    expect(eventId).toMatch(/^[0-9a-f]{32}$/)
    expect(await reporter.flush()).toBe(true)
    const event = server.events().find((e) => e.event_id === eventId)
    expect(event).toMatchObject({
      level: 'error',
      environment: 'test',
      release: '1.4.0',
      tags: { type: 'api_error', route: '/api/orders' },
      extra: { userId: 'u_42' },
      exception: { values: [{ type: 'Error', value: 'Database timeout on /api/orders' }] },
    })
  })

  it('reports info level for non-database errors, as handleApiError asks', async () => {
    const reporter = sentryReporter(Sentry)
    const eventId = reporter.captureException(new Error('Coupon expired'), { level: 'info' })
    await reporter.flush()
    expect(server.events().find((e) => e.event_id === eventId)?.level).toBe('info')
  })

  it('delivers big envelopes the SDK gzips, attachments included', async () => {
    const reporter = sentryReporter(Sentry)
    const attachment = `line one\nline two ✓\n${'z'.repeat(60_000)}\n`
    let eventId: string | undefined
    Sentry.withScope((scope) => {
      scope.addAttachment({ filename: 'cart.txt', data: attachment })
      eventId = reporter.captureException(new Error('payment failed with attachment'))
    })
    await reporter.flush()
    const envelope = server.envelopes.find((e) => e.header.event_id === eventId)
    expect(envelope?.encoding).toBe('gzip')
    const item = envelope?.items.find((i) => i.header.type === 'attachment')
    expect(item?.header).toMatchObject({ filename: 'cart.txt', length: Buffer.byteLength(attachment) })
    expect(Buffer.isBuffer(item?.payload) && item.payload.toString('utf8')).toBe(attachment)
  })

  it('never lets a secret in contexts, user or tags reach the wire', async () => {
    const reporter = sentryReporter(Sentry)
    // Made at run time: the SDK sends the source lines around the throw, and literals there would be found.
    const secrets = {
      stripe: `sk_live_${randomToken(24)}`,
      bearer: randomToken(24),
      card: '4242 4242 4242',
      jwtSignature: randomToken(26),
      aws: randomToken(16).toUpperCase(),
      password: randomToken(12),
      /** Under sensitive names: redacted whatever it looks like. */
      named: randomToken(20),
    }
    let eventId: string | undefined
    Sentry.withScope((scope) => {
      scope.setContext('payment', {
        provider: 'stripe',
        note: `charged with ${secrets.stripe}`,
        apiKey: secrets.named,
        card: { number: '4242 4242 4242 4242' },
      })
      scope.setUser({
        id: 'u_42',
        email: 'bob@example.com',
        session_token: secrets.named,
        note: `Authorization: Bearer ${secrets.bearer}`,
      })
      scope.setTag('route', '/api/checkout')
      scope.setTag('debug', `jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.${secrets.jwtSignature}`)
      scope.setTag('aws', `key AKIA${secrets.aws}`)
      scope.setTag('login', `password=${secrets.password}`)
      eventId = reporter.captureException(new Error('payment failed'))
    })
    expect(await reporter.flush()).toBe(true)
    const envelope = server.envelopes.find((e) => e.header.event_id === eventId)
    const wire = JSON.stringify(envelope)
    for (const secret of Object.values(secrets)) expect(wire).not.toContain(secret)
    expect(wire).not.toContain(secrets.stripe.slice('sk_live_'.length))
    const event = server.events().find((e) => e.event_id === eventId) as Record<string, unknown> | undefined
    expect(event).toMatchObject({
      user: { id: 'u_42', email: 'bob@example.com', session_token: '[REDACTED]' },
      tags: { route: '/api/checkout' },
      contexts: { payment: { provider: 'stripe', apiKey: '[REDACTED]', note: 'charged with sk_live_***' } },
    })
  })

  it('never throws and returns false when the SDK misbehaves', async () => {
    const broken = sentryReporter({
      captureException: () => {
        throw new Error('sdk bug')
      },
      flush: () => Promise.reject(new Error('transport bug')),
    })
    expect(broken.captureException(new Error('x'))).toBeUndefined()
    await expect(broken.flush(100)).resolves.toBe(false)
    await expect(broken.close(100)).resolves.toBe(false)
  })

  it('registers close() with a lifecycle, bounded by the flush timeout', async () => {
    const calls: string[] = []
    const hooks: Array<{ hook: () => unknown; timeoutMs?: number }> = []
    sentryReporter(
      {
        captureException: () => 'id',
        flush: async (timeout) => {
          calls.push(`flush ${timeout}`)
          return true
        },
        close: async (timeout) => {
          calls.push(`close ${timeout}`)
          return true
        },
      },
      {
        flushTimeoutMs: 1500,
        lifecycle: { onShutdown: (_, hook, options) => hooks.push({ hook, ...options }) },
      },
    )
    expect(hooks).toHaveLength(1)
    expect(hooks[0]!.timeoutMs).toBeGreaterThan(1500)
    await expect(hooks[0]!.hook()).resolves.toBe(true)
    expect(calls).toEqual(['close 1500'])
  })
})

describe('the loopback envelope server', () => {
  it('refuses a wrong key or path and keeps nothing from it', async () => {
    const before = server.envelopes.length
    const envelope =
      '{"event_id":"0123456789abcdef0123456789abcdef"}\n{"type":"event"}\n{"message":"forged"}\n'
    const wrongKey = await fetch(`http://127.0.0.1:${server.port}/api/1/envelope/?sentry_key=other`, {
      method: 'POST',
      body: envelope,
    })
    const wrongPath = await fetch(`http://127.0.0.1:${server.port}/api/2/envelope/?sentry_key=public`, {
      method: 'POST',
      body: envelope,
    })
    expect([wrongKey.status, wrongPath.status]).toEqual([401, 404])
    expect(server.envelopes.length).toBe(before)
    expect(server.rejected.length).toBeGreaterThanOrEqual(2)
  })

  it('parses plain envelopes posted by hand, with the key in X-Sentry-Auth', async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/api/1/envelope/`, {
      method: 'POST',
      headers: { 'x-sentry-auth': 'Sentry sentry_version=7, sentry_key=public, sentry_client=manual/1.0' },
      body: '{"event_id":"fedcba9876543210fedcba9876543210"}\n{"type":"event"}\n{"message":"by hand","level":"warning"}\n',
    })
    expect(response.status).toBe(200)
    expect(server.events().find((e) => e.message === 'by hand')).toMatchObject({ level: 'warning' })
  })
})
