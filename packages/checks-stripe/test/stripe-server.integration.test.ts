import { startStripeServer } from '@vivr/testkit'
import Stripe from 'stripe'
import { afterAll, afterEach, describe, expect, it } from 'vitest'

// The loopback server from @vivr/testkit, seen through the real SDK: each fault must reach the app as the same
// error class, status and fields production Stripe would produce.
const KEY = 'sk_test_51VivrLoopbackKey0000abcd'
const server = await startStripeServer({ apiKeys: [KEY] })
const client = (key = KEY, config: Stripe.StripeConfig = {}) =>
  new Stripe(key, { ...server.clientOptions, maxNetworkRetries: 0, ...config })

afterEach(() => server.clearFaults())
afterAll(() => server.close())

async function failure(call: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof Stripe.errors.StripeError)) throw new Error(`expected a StripeError, got ${error}`)
  return error
}

describe('startStripeServer through the stripe SDK', () => {
  it("answers GET /v1/balance with Stripe's Balance object and headers", async () => {
    const balance = await client().balance.retrieve()
    expect(balance).toMatchObject({
      object: 'balance',
      livemode: false,
      available: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
      pending: [{ amount: 0, currency: 'usd' }],
      connect_reserved: [{ amount: 0, currency: 'usd' }],
    })
    expect(balance.lastResponse.requestId).toMatch(/^req_/)
    expect(balance.lastResponse.statusCode).toBe(200)
    const last = server.requests.at(-1)
    expect(last).toMatchObject({ method: 'GET', path: '/v1/balance', status: 200 })
    expect(last?.apiKey).toMatch(/^sk_test_\*+abcd$/)
    expect(last?.stripeVersion).toMatch(/^\d{4}-\d{2}-\d{2}/)
  })

  it('rejects an unknown key with 401 → StripeAuthenticationError, the key masked as Stripe masks it', async () => {
    const error = await failure(client('sk_test_51WrongKey000000wxyz').balance.retrieve())
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError)
    expect(error.type).toBe('StripeAuthenticationError')
    expect(error.statusCode).toBe(401)
    expect(error.message).toMatch(/^Invalid API Key provided: sk_test_\*+wxyz$/)
    expect(error.requestId).toMatch(/^req_/)
  })

  it('serves 403 → StripePermissionError', async () => {
    server.inject('permission-denied', { times: 1 })
    const error = await failure(client().balance.retrieve())
    expect(error).toBeInstanceOf(Stripe.errors.StripePermissionError)
    expect(error.statusCode).toBe(403)
    expect(error.message).toContain("'rak_balance_read' permission")
  })

  it("serves 429 → StripeRateLimitError with code 'rate_limit'", async () => {
    server.inject('rate-limited', { times: 1 })
    const error = await failure(client().balance.retrieve())
    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError)
    expect(error).toMatchObject({ statusCode: 429, code: 'rate_limit', rawType: 'invalid_request_error' })
  })

  it('serves 500 → StripeAPIError, which the SDK retries by default', async () => {
    server.inject('server-error')
    const noRetries = await failure(client().balance.retrieve())
    expect(noRetries).toBeInstanceOf(Stripe.errors.StripeAPIError)
    expect(noRetries).toMatchObject({
      statusCode: 500,
      rawType: 'api_error',
      message: 'An unknown error occurred',
    })

    const before = server.requestCount()
    const withDefaults = new Stripe(KEY, { ...server.clientOptions })
    await failure(withDefaults.balance.retrieve())
    expect(server.requestCount() - before).toBe(3) // the first try and the SDK's default 2 retries
  })

  it('drops the connection → StripeConnectionError (after the one retry the SDK makes for closed sockets)', async () => {
    server.inject('connection-reset')
    const before = server.requestCount()
    const error = await failure(client().balance.retrieve())
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError)
    expect(server.requestCount() - before).toBe(2)
  })

  it('answers late → a client timeout is StripeConnectionError', async () => {
    server.inject({ kind: 'slow', delayMs: 2000 }, { times: 1 })
    const started = performance.now()
    const error = await failure(client(KEY, { timeout: 200 }).balance.retrieve())
    expect(performance.now() - started).toBeLessThan(1500)
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError)
    expect(error.message).toBe('Request aborted due to timeout being reached (200ms)')
  })

  it('serves a fault only as many times as asked', async () => {
    server.inject('rate-limited', { times: 1 })
    await failure(client().balance.retrieve())
    await expect(client().balance.retrieve()).resolves.toMatchObject({ object: 'balance' })
  })

  it("answers an unknown path with Stripe's 404 body → StripeInvalidRequestError", async () => {
    const error = await failure(client().customers.retrieve('cus_nope'))
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(error.statusCode).toBe(404)
    expect(error.message).toContain('Unrecognized request URL (GET: /v1/customers/cus_nope)')
  })

  it('goes down and comes back on the same port', async () => {
    await server.stop()
    const error = await failure(client().balance.retrieve())
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError)
    await server.start()
    await expect(client().balance.retrieve()).resolves.toMatchObject({ object: 'balance' })
  })
})
