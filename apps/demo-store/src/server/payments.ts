import Stripe from 'stripe'
import type { StripeConfig } from './config.js'

/** Stripe's test payment methods: the checkout form offers these instead of collecting card numbers. */
export const TEST_PAYMENT_METHODS = {
  pm_card_visa: 'Visa ending 4242 (succeeds)',
  pm_card_chargeDeclined: 'Card declined',
  pm_card_chargeDeclinedInsufficientFunds: 'Insufficient funds',
} as const

export type TestPaymentMethod = keyof typeof TEST_PAYMENT_METHODS

export const isTestPaymentMethod = (value: unknown): value is TestPaymentMethod =>
  typeof value === 'string' && Object.hasOwn(TEST_PAYMENT_METHODS, value)

export interface ChargeInput {
  orderId: string
  amountCents: number
  currency: string
  email: string
  paymentMethod: TestPaymentMethod
}

export type ChargeResult =
  | { status: 'succeeded'; paymentIntentId: string }
  | { status: 'failed'; paymentIntentId: string | undefined; reason: string; code: string }

export interface Payments {
  /** Why checkout is off, when it is. */
  readonly disabledReason: string | undefined
  /** The SDK client (for the payment health check and webhooks); undefined without a key. */
  readonly stripe: Stripe | undefined
  /** Declines resolve as `failed`; anything else Stripe or the network throws is rethrown. */
  charge(input: ChargeInput): Promise<ChargeResult>
}

export const STRIPE_NOT_CONFIGURED = 'Checkout is disabled: Stripe is not configured (set STRIPE_SECRET_KEY).'

export function createStripeClient(config: StripeConfig): Stripe {
  return new Stripe(config.secretKey, {
    ...(config.host && { host: config.host }),
    ...(config.port && { port: config.port }),
    ...(config.protocol && { protocol: config.protocol }),
    maxNetworkRetries: 1,
    timeout: 10_000,
    telemetry: false,
    appInfo: { name: 'vivr-demo-store' },
  })
}

/** Payment intents through the real `stripe` SDK; without a key, checkout says it is disabled. */
export function createPayments(config: StripeConfig | undefined): Payments {
  if (!config) {
    return {
      disabledReason: STRIPE_NOT_CONFIGURED,
      stripe: undefined,
      charge: async () => {
        throw new Error(STRIPE_NOT_CONFIGURED)
      },
    }
  }
  const stripe = createStripeClient(config)
  return {
    disabledReason: undefined,
    stripe,
    async charge(input) {
      try {
        const intent = await stripe.paymentIntents.create(
          {
            amount: input.amountCents,
            currency: input.currency,
            payment_method: input.paymentMethod,
            confirm: true,
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            receipt_email: input.email,
            metadata: { orderId: input.orderId },
          },
          // A retried checkout for the same order never charges twice.
          { idempotencyKey: `order-${input.orderId}` },
        )
        if (intent.status === 'succeeded') return { status: 'succeeded', paymentIntentId: intent.id }
        return {
          status: 'failed',
          paymentIntentId: intent.id,
          code: intent.status,
          reason:
            intent.status === 'requires_action'
              ? 'The card needs authentication, which the demo checkout does not support.'
              : `The payment did not complete (${intent.status}).`,
        }
      } catch (error) {
        if (error instanceof Stripe.errors.StripeCardError) {
          return {
            status: 'failed',
            paymentIntentId: error.payment_intent?.id,
            code: error.decline_code ?? error.code ?? 'card_error',
            reason: error.message,
          }
        }
        throw error
      }
    },
  }
}
