import { startStripeServer } from '@vivr/testkit'
import Stripe from 'stripe'
import { afterAll, afterEach, describe, expect, it } from 'vitest'

// The loopback Stripe API's PaymentIntents, seen through the real SDK: what a checkout gets back must be what it
// would get from Stripe in test mode (objects, error classes and fields, idempotent replays).
const KEY = 'sk_test_51VivrPaymentIntents00wxyz'
const server = await startStripeServer({ apiKeys: [KEY, 'sk_live_51VivrPaymentIntents0live'] })
const client = (key = KEY, config: Stripe.StripeConfig = {}) =>
  new Stripe(key, { ...server.clientOptions, maxNetworkRetries: 0, ...config })

afterEach(() => {
  server.clearFaults()
  server.delayPaymentIntents(0)
})
afterAll(() => server.close())

async function failure(call: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof Stripe.errors.StripeError)) throw new Error(`expected a StripeError, got ${error}`)
  return error
}

const checkout = (paymentMethod: string, extra: Partial<Stripe.PaymentIntentCreateParams> = {}) => ({
  amount: 2_998,
  currency: 'usd',
  payment_method: paymentMethod,
  confirm: true,
  automatic_payment_methods: { enabled: true, allow_redirects: 'never' as const },
  receipt_email: 'ada@example.com',
  metadata: { orderId: 'order-1' },
  ...extra,
})

describe('startStripeServer: PaymentIntents through the stripe SDK', () => {
  it('creates and confirms with pm_card_visa: succeeded, retrievable, listed on the server', async () => {
    const before = server.paymentIntents.length
    const intent = await client().paymentIntents.create(checkout('pm_card_visa'))
    expect(intent).toMatchObject({
      object: 'payment_intent',
      amount: 2_998,
      amount_received: 2_998,
      currency: 'usd',
      status: 'succeeded',
      payment_method: 'pm_card_visa',
      receipt_email: 'ada@example.com',
      metadata: { orderId: 'order-1' },
      livemode: false,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      last_payment_error: null,
    })
    expect(intent.id).toMatch(/^pi_\w+$/)
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_\\w+$`))
    expect(intent.latest_charge).toMatch(/^ch_\w+$/)
    expect(intent.lastResponse.requestId).toMatch(/^req_/)

    const retrieved = await client().paymentIntents.retrieve(intent.id)
    expect(retrieved).toMatchObject({ id: intent.id, status: 'succeeded', amount: 2_998 })
    expect(server.paymentIntents.slice(before)).toEqual([expect.objectContaining({ id: intent.id })])
    expect(server.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: `/v1/payment_intents/${intent.id}`,
      status: 200,
    })
  })

  it('declines pm_card_chargeDeclined… with a 402 StripeCardError carrying the intent, as Stripe does', async () => {
    const error = await failure(client().paymentIntents.create(checkout('pm_card_chargeDeclined')))
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError)
    expect(error).toMatchObject({
      statusCode: 402,
      code: 'card_declined',
      decline_code: 'generic_decline',
      message: 'Your card was declined.',
      doc_url: 'https://stripe.com/docs/error-codes/card-declined',
    })
    const declined = error.payment_intent
    expect(declined).toMatchObject({
      status: 'requires_payment_method',
      payment_method: null,
      amount_received: 0,
      last_payment_error: { code: 'card_declined', payment_method: { id: 'pm_card_chargeDeclined' } },
    })
    expect((await client().paymentIntents.retrieve(declined!.id)).status).toBe('requires_payment_method')

    const poor = await failure(
      client().paymentIntents.create(checkout('pm_card_chargeDeclinedInsufficientFunds')),
    )
    expect(poor).toMatchObject({
      decline_code: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    })
    const expired = await failure(
      client().paymentIntents.create(checkout('pm_card_chargeDeclinedExpiredCard')),
    )
    expect(expired).toMatchObject({ code: 'expired_card', message: 'Your card has expired.' })
  })

  it('stops at requires_confirmation without confirm, requires_payment_method without one, requires_action for 3DS', async () => {
    const unconfirmed = await client().paymentIntents.create({
      amount: 500,
      currency: 'eur',
      payment_method: 'pm_card_visa',
    })
    expect(unconfirmed).toMatchObject({
      status: 'requires_confirmation',
      currency: 'eur',
      latest_charge: null,
    })
    const bare = await client().paymentIntents.create({ amount: 500, currency: 'usd' })
    expect(bare).toMatchObject({ status: 'requires_payment_method', payment_method: null })
    const threeDs = await client().paymentIntents.create(checkout('pm_card_authenticationRequired'))
    expect(threeDs).toMatchObject({ status: 'requires_action', next_action: { type: 'use_stripe_sdk' } })
  })

  it('refuses bad parameters with 400 StripeInvalidRequestError naming the param, creating nothing', async () => {
    const before = server.paymentIntents.length
    const small = await failure(client().paymentIntents.create(checkout('pm_card_visa', { amount: 49 })))
    expect(small).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(small).toMatchObject({
      statusCode: 400,
      code: 'amount_too_small',
      param: 'amount',
      message: 'Amount must be at least $0.50 usd',
    })
    const unknown = await failure(client().paymentIntents.create(checkout('pm_card_nope')))
    expect(unknown).toMatchObject({
      statusCode: 400,
      code: 'resource_missing',
      param: 'payment_method',
      message: "No such PaymentMethod: 'pm_card_nope'",
    })
    const missing = await failure(
      client().paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams),
    )
    expect(missing).toMatchObject({
      code: 'parameter_missing',
      param: 'amount',
      message: 'Missing required param: amount.',
    })
    const noMethod = await failure(
      client().paymentIntents.create({ amount: 500, currency: 'usd', confirm: true }),
    )
    expect(noMethod.message).toContain('missing a payment method')
    expect(server.paymentIntents.length).toBe(before)

    // Test payment methods do not exist in live mode.
    const live = await failure(
      client('sk_live_51VivrPaymentIntents0live').paymentIntents.create(checkout('pm_card_visa')),
    )
    expect(live.message).toBe(
      "No such PaymentMethod: 'pm_card_visa'; a similar object exists in test mode, but a live mode key was used to make this request.",
    )
  })

  it('answers an unknown intent with 404 resource_missing, and an unknown key with 401', async () => {
    const missing = await failure(client().paymentIntents.retrieve('pi_doesnotexist'))
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(missing).toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      message: "No such payment_intent: 'pi_doesnotexist'",
    })
    const denied = await failure(
      client('sk_test_51WrongKey000000abcd').paymentIntents.create(checkout('pm_card_visa')),
    )
    expect(denied).toBeInstanceOf(Stripe.errors.StripeAuthenticationError)
    expect(denied.message).toMatch(/^Invalid API Key provided: sk_test_\*+abcd$/)
  })

  it('honours idempotency keys: the same answer replayed (paid or declined), other parameters refused', async () => {
    const before = server.paymentIntents.length
    const first = await client().paymentIntents.create(checkout('pm_card_visa'), {
      idempotencyKey: 'order-42',
    })
    const again = await client().paymentIntents.create(checkout('pm_card_visa'), {
      idempotencyKey: 'order-42',
    })
    expect(again.id).toBe(first.id)
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true')
    const declined = await failure(
      client().paymentIntents.create(checkout('pm_card_chargeDeclined'), { idempotencyKey: 'order-43' }),
    )
    const replayed = await failure(
      client().paymentIntents.create(checkout('pm_card_chargeDeclined'), { idempotencyKey: 'order-43' }),
    )
    expect(replayed).toBeInstanceOf(Stripe.errors.StripeCardError)
    expect(replayed.payment_intent?.id).toBe(declined.payment_intent?.id)
    expect(server.paymentIntents.length).toBe(before + 2)

    const reused = await failure(
      client().paymentIntents.create(checkout('pm_card_visa', { amount: 9_999 }), {
        idempotencyKey: 'order-42',
      }),
    )
    expect(reused).toBeInstanceOf(Stripe.errors.StripeIdempotencyError)
    expect(reused.message).toContain("Try using a key other than 'order-42'")
    expect(server.paymentIntents.length).toBe(before + 2)
  })

  it('a 500 retried by the SDK (its own idempotency key) charges once; faults apply to PaymentIntents too', async () => {
    const before = server.paymentIntents.length
    server.inject('server-error', { times: 1 })
    const intent = await client(KEY, { maxNetworkRetries: 1 }).paymentIntents.create(checkout('pm_card_visa'))
    expect(intent.status).toBe('succeeded')
    expect(server.paymentIntents.length).toBe(before + 1)
    expect(server.requests.slice(-2).map((r) => r.status)).toEqual([500, 200])

    server.inject('rate-limited', { times: 1 })
    const limited = await failure(client().paymentIntents.create(checkout('pm_card_visa')))
    expect(limited).toBeInstanceOf(Stripe.errors.StripeRateLimitError)
    expect(server.paymentIntents.length).toBe(before + 1)
  })

  it('lists intents newest first (GET /v1/payment_intents)', async () => {
    const a = await client().paymentIntents.create({ amount: 700, currency: 'usd' })
    const b = await client().paymentIntents.create({ amount: 800, currency: 'usd' })
    const page = await client().paymentIntents.list({ limit: 2 })
    expect(page.object).toBe('list')
    expect(page.data.map((intent) => intent.id)).toEqual([b.id, a.id])
    expect(page.has_more).toBe(true)
  })

  it('delayPaymentIntents: the intent exists at once, its answer comes late, the balance still answers at once', async () => {
    server.delayPaymentIntents(400)
    const before = server.paymentIntents.length
    const started = Date.now()
    const pending = client().paymentIntents.create(checkout('pm_card_visa'))
    await expect.poll(() => server.paymentIntents.length, { interval: 10 }).toBe(before + 1)
    const balanceStarted = Date.now()
    await client().balance.retrieve()
    expect(Date.now() - balanceStarted).toBeLessThan(300)
    expect(server.requests.findLast((r) => r.path === '/v1/payment_intents')?.status).toBe(0)
    const intent = await pending
    expect(Date.now() - started).toBeGreaterThanOrEqual(390)
    expect(intent.id).toBe(server.paymentIntents.at(-1)?.id)

    // An SDK timeout shorter than the delay: StripeConnectionError, as against a slow Stripe.
    server.delayPaymentIntents(1_000)
    const timedOut = await failure(
      client(KEY, { timeout: 200 }).paymentIntents.create(checkout('pm_card_visa')),
    )
    expect(timedOut).toBeInstanceOf(Stripe.errors.StripeConnectionError)
    expect(() => server.delayPaymentIntents(-1)).toThrow(RangeError)
  })
})
