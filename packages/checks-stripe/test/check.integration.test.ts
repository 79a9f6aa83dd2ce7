import { createHealth, OptionError } from '@vivr/core'
import { startMuteTcpServer, startStripeServer } from '@vivr/testkit'
import { describeCheckContract } from '@vivr/testkit/contracts'
import Stripe from 'stripe'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { stripeCheck } from '../src/index.js'

const KEY = 'sk_test_51VivrCheckKey000000pqrs'
const server = await startStripeServer({ apiKeys: [KEY] })
afterAll(() => server.close())
afterEach(() => server.clearFaults())

/** The app's client as the guide builds it, pointed at the loopback server: SDK defaults otherwise. */
const appStripe = (key = KEY) => new Stripe(key, { ...server.clientOptions })
const never = () => new AbortController().signal

interface Dependency {
  stripe: Stripe
  close?: () => Promise<void>
}

describeCheckContract(
  'stripeCheck',
  ({ stripe }: Dependency, { timeoutMs }) => stripeCheck(stripe, { timeoutMs }),
  {
    healthy: (): Dependency => ({ stripe: appStripe() }),
    failing: (): Dependency => ({ stripe: appStripe('sk_test_51RevokedKey00000000zzzz') }),
    hanging: async (): Promise<Dependency> => {
      const mute = await startMuteTcpServer()
      return {
        stripe: new Stripe(KEY, { host: '127.0.0.1', port: mute.port, protocol: 'http' }),
        close: mute.close,
      }
    },
    secrets: [KEY, 'sk_test_51RevokedKey00000000zzzz', 'RevokedKey'],
    dispose: async ({ close }) => close?.(),
  },
)

describe('stripeCheck with the stripe SDK against the loopback Stripe', () => {
  it("is the guide's payment check: named payment, not critical, cached 60 s, ok", async () => {
    const check = stripeCheck(appStripe())
    expect(check).toMatchObject({
      name: 'payment',
      critical: false,
      cacheTtlMs: 60_000,
      errorCacheTtlMs: 5_000,
    })
    const before = server.requestCount()
    const report = await createHealth({ checks: [check] }).run()
    expect(report.checks.payment).toEqual({ status: 'ok', latency: expect.any(Number) })
    expect(server.requestCount() - before).toBe(1)
  })

  it('reports degraded "Stripe not configured" with latency 0 when there is no client', async () => {
    const secretKey: string | undefined = undefined // as when STRIPE_SECRET_KEY is unset
    const check = stripeCheck(secretKey ? appStripe(secretKey) : undefined)
    const report = await createHealth({ checks: [check] }).run()
    expect(report.checks.payment).toMatchObject({ status: 'degraded', message: 'Stripe not configured' })
    expect(report.checks.payment?.latency).toBeLessThanOrEqual(1)
    expect(report.status).toBe('degraded')
  })

  it('turns 1,000 probes into one Stripe request', async () => {
    const health = createHealth({ checks: [stripeCheck(appStripe())] })
    const before = server.requestCount()
    for (let burst = 0; burst < 10; burst++)
      await Promise.all(Array.from({ length: 100 }, () => health.run()))
    expect(server.requestCount() - before).toBe(1)
  })

  it('maps 401 to "Stripe authentication failed" without echoing the key', async () => {
    const wrongKey = 'sk_test_51WrongKey0000000000wxyz'
    const outcome = await stripeCheck(appStripe(wrongKey)).run({ signal: never() })
    expect(outcome).toEqual({ status: 'error', message: 'Stripe authentication failed' })
  })

  it('maps 403 (a restricted key without balance read) to "Stripe authentication failed"', async () => {
    server.inject('permission-denied')
    const outcome = await stripeCheck(appStripe()).run({ signal: never() })
    expect(outcome).toEqual({ status: 'error', message: 'Stripe authentication failed' })
  })

  it('maps 429 to degraded, with one request (no retry)', async () => {
    server.inject('rate-limited')
    const before = server.requestCount()
    const report = await createHealth({ checks: [stripeCheck(appStripe())] }).run()
    expect(report.checks.payment).toMatchObject({ status: 'degraded', message: 'Stripe rate limit reached' })
    expect(report.status).toBe('degraded')
    expect(server.requestCount() - before).toBe(1)
  })

  it('maps 500 to an error and does not retry it (the SDK default would send 3 requests)', async () => {
    server.inject('server-error')
    const before = server.requestCount()
    const report = await createHealth({ checks: [stripeCheck(appStripe())] }).run()
    expect(report.checks.payment).toMatchObject({ status: 'error', message: 'Stripe API error (HTTP 500)' })
    expect(server.requestCount() - before).toBe(1)
    // A Stripe outage degrades the service; it does not fail readiness...
    expect(report.status).toBe('degraded')
    // ...unless the app says it cannot take orders without Stripe.
    const strict = await createHealth({ checks: [stripeCheck(appStripe(), { critical: true })] }).run()
    expect(strict.status).toBe('unhealthy')
  })

  it("gives the request the check's own timeout", async () => {
    server.inject({ kind: 'slow', delayMs: 3000 })
    const started = performance.now()
    const outcome = await stripeCheck(appStripe(), { timeoutMs: 300 }).run({ signal: never() })
    expect(performance.now() - started).toBeLessThan(300 + 1000)
    expect(outcome).toEqual({
      status: 'error',
      message: 'Stripe unreachable: Request aborted due to timeout being reached (300ms)',
    })
  })

  it('reports a slow Stripe as an error within the deadline through the health runner', async () => {
    server.inject({ kind: 'slow', delayMs: 3000 })
    const started = performance.now()
    const report = await createHealth({ checks: [stripeCheck(appStripe(), { timeoutMs: 300 })] }).run()
    expect(performance.now() - started).toBeLessThan(300 + 1000)
    expect(report.checks.payment?.status).toBe('error')
    expect(report.checks.payment?.message).toMatch(/timed out after 300ms|timeout being reached \(300ms\)/)
  })

  it('maps a dropped connection to "Stripe unreachable"', async () => {
    server.inject('connection-reset')
    const outcome = await stripeCheck(appStripe()).run({ signal: never() })
    expect(outcome?.status).toBe('error')
    expect(outcome?.message).toMatch(/^Stripe unreachable: An error occurred with our connection to Stripe/)
  })

  it('maps Stripe being down (connection refused) to "Stripe unreachable", quickly', async () => {
    await server.stop()
    try {
      const started = performance.now()
      const outcome = await stripeCheck(appStripe()).run({ signal: never() })
      expect(performance.now() - started).toBeLessThan(2000)
      expect(outcome?.status).toBe('error')
      expect(outcome?.message).toMatch(/^Stripe unreachable/)
    } finally {
      await server.start()
    }
  })
})

describe('stripeCheck options', () => {
  it('takes a name, a timeout, criticality, a cache TTL and tags', () => {
    const check = stripeCheck(undefined, {
      name: 'stripe',
      timeoutMs: 800,
      critical: true,
      cacheTtlMs: 0,
      tags: ['deps'],
    })
    expect(check).toMatchObject({
      name: 'stripe',
      timeoutMs: 800,
      critical: true,
      cacheTtlMs: 0,
      tags: ['deps'],
    })
  })

  it('rejects bad options at construction, naming the option', () => {
    expect(() => stripeCheck(undefined, { timeoutMs: 0 })).toThrow(OptionError)
    expect(() => stripeCheck(undefined, { cacheTtlMs: -1 })).toThrow(/cacheTtlMs/)
    expect(() => stripeCheck(undefined, { name: '' })).toThrow(/Invalid option name/)
    expect(() => stripeCheck(undefined, { critical: 'no' as never })).toThrow(/critical/)
    expect(() => stripeCheck({} as never)).toThrow(/Stripe client/)
  })
})
