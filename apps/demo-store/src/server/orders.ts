import type { BusinessMetrics, Logger, TechnicalMetrics } from '@vivr/core'
import { withContext } from '@vivr/core/node'
import type { CartStore } from './cart.js'
import type { Catalog, Product } from './catalog.js'
import type { Database } from './db.js'
import type { Payments, TestPaymentMethod } from './payments.js'

export interface CheckoutInput {
  cartId: string
  email: string
  name: string
  paymentMethod: TestPaymentMethod
}

export type CheckoutResult =
  | { ok: true; orderId: string }
  | { ok: false; status: 400 | 402 | 503; message: string; orderId?: string }

export interface OrderDeps {
  db: Database
  carts: CartStore
  catalog: Catalog
  payments: Payments
  business: BusinessMetrics
  technical: TechnicalMetrics
  logger: Logger
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** Payment outcomes of this process, for the payments.failure_rate gauge. */
function createFailureRate() {
  let attempts = 0
  let failures = 0
  return (failed: boolean) => {
    attempts++
    if (failed) failures++
    return failures / attempts
  }
}

export interface Orders {
  checkout(input: CheckoutInput): Promise<CheckoutResult>
  /** A Stripe `payment_intent.*` event, already verified; true when it changed an order. */
  applyPaymentEvent(event: {
    type: string
    paymentIntentId: string
    orderId: string | undefined
  }): Promise<boolean>
  /** Counts carts left alone past `idleMs` as cart.abandoned, and refreshes conversion.rate. */
  sweepAbandonedCarts(idleMs: number): Promise<number>
}

export function createOrders(deps: OrderDeps): Orders {
  const { db, carts, catalog, payments, business, technical, logger } = deps
  const failureRate = createFailureRate()

  async function publishConversion() {
    const stats = await carts.stats()
    if (stats.started > 0) business.conversionRate(stats.converted / stats.started)
  }

  async function publishAverage(currency: string) {
    const average = await db.order.aggregate({
      where: { status: { in: ['paid', 'shipped'] }, currency },
      _avg: { totalCents: true },
    })
    if (average._avg.totalCents !== null) {
      business.averageOrderValue(average._avg.totalCents / 100, { currency })
    }
  }

  async function checkout(input: CheckoutInput): Promise<CheckoutResult> {
    if (payments.disabledReason) return { ok: false, status: 503, message: payments.disabledReason }
    const email = input.email.trim().toLowerCase()
    const name = input.name.trim()
    if (!EMAIL.test(email)) return { ok: false, status: 400, message: 'Please enter a valid email address.' }
    if (name === '') return { ok: false, status: 400, message: 'Please enter your name.' }

    const lines = await carts.get(input.cartId)
    if (lines.length === 0) return { ok: false, status: 400, message: 'Your cart is empty.' }
    const products = await catalog.byIds(lines.map((l) => l.productId))
    const items = lines.flatMap((line) => {
      const product = products.get(line.productId)
      return product ? [{ product, quantity: line.quantity }] : []
    })
    if (items.length === 0) return { ok: false, status: 400, message: 'Your cart is empty.' }
    const currency = items[0]!.product.currency
    const totalCents = items.reduce((sum, i) => sum + i.product.priceCents * i.quantity, 0)

    const existing = await db.customer.findUnique({ where: { email } })
    const customer = existing ?? (await db.customer.create({ data: { email, name } }))
    if (!existing) {
      business.customerSignups(1)
      logger.info('Customer signed up', { userId: String(customer.id) })
    }

    const order = await db.order.create({
      data: {
        customerId: customer.id,
        totalCents,
        currency,
        items: {
          create: items.map(({ product, quantity }: { product: Product; quantity: number }) => ({
            productId: product.id,
            quantity,
            unitPriceCents: product.priceCents,
          })),
        },
      },
    })

    return withContext({ orderId: order.id, userId: String(customer.id) }, async () => {
      logger.info('Checkout started', { amount: totalCents / 100, currency, items: items.length })
      const started = performance.now()
      const result = await payments.charge({
        orderId: order.id,
        amountCents: totalCents,
        currency,
        email,
        paymentMethod: input.paymentMethod,
      })
      technical.paymentFailureRate(failureRate(result.status === 'failed'))

      if (result.status === 'failed') {
        await db.order.update({
          where: { id: order.id },
          data: {
            status: 'payment_failed',
            paymentIntentId: result.paymentIntentId ?? null,
            failureReason: result.reason,
          },
        })
        logger.warn('Payment failed', { code: result.code, paymentIntentId: result.paymentIntentId })
        return { ok: false, status: 402, message: `Payment failed: ${result.reason}`, orderId: order.id }
      }

      await db.order.update({
        where: { id: order.id },
        data: { status: 'paid', paymentIntentId: result.paymentIntentId },
      })
      await carts.convert(input.cartId)
      const amount = totalCents / 100
      business.ordersCreated(1, { currency, payment_method: 'card' })
      business.revenueProcessed(amount, { currency })
      logger.info('Order created', {
        amount,
        currency,
        paymentIntentId: result.paymentIntentId,
        duration: Math.round(performance.now() - started),
      })
      await Promise.all([publishConversion(), publishAverage(currency)]).catch((error) =>
        logger.warn('KPI refresh failed', { error: error instanceof Error ? error.message : String(error) }),
      )
      return { ok: true, orderId: order.id }
    })
  }

  return {
    checkout,
    async applyPaymentEvent({ type, paymentIntentId, orderId }) {
      const order = await db.order.findFirst({
        where: orderId ? { OR: [{ paymentIntentId }, { id: orderId }] } : { paymentIntentId },
      })
      if (!order) {
        logger.warn('Payment event for an unknown order', { type, paymentIntentId })
        return false
      }
      return withContext({ orderId: order.id }, async () => {
        if (type === 'payment_intent.succeeded' && order.status !== 'paid' && order.status !== 'shipped') {
          await db.order.update({ where: { id: order.id }, data: { status: 'paid', paymentIntentId } })
          logger.info('Order paid (webhook)', { paymentIntentId })
          return true
        }
        if (type === 'payment_intent.payment_failed' && order.status === 'pending') {
          await db.order.update({
            where: { id: order.id },
            data: { status: 'payment_failed', paymentIntentId },
          })
          logger.warn('Payment failed (webhook)', { paymentIntentId })
          return true
        }
        logger.info('Payment event already applied', { type, status: order.status })
        return false
      })
    },
    async sweepAbandonedCarts(idleMs) {
      const abandoned = await carts.sweepAbandoned(idleMs)
      if (abandoned > 0) {
        business.cartAbandonment(abandoned)
        logger.info('Carts abandoned', { count: abandoned, idleMs })
        await publishConversion()
      }
      return abandoned
    },
  }
}
