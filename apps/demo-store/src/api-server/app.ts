import { timingSafeEqual } from 'node:crypto'
import { errorHandler, healthRoutes, observe } from '@vivr/adapter-express'
import { getContext } from '@vivr/core/node'
import express, { type NextFunction, type Request, type Response } from 'express'
import type { OrderStatus } from '../generated/prisma/client'
import type { Services } from '../server/services.js'

const ORDER_STATUSES: readonly OrderStatus[] = [
  'pending',
  'paid',
  'payment_failed',
  'shipped',
  'cancelled',
  'refunded',
]
const isOrderStatus = (value: unknown): value is OrderStatus =>
  typeof value === 'string' && (ORDER_STATUSES as readonly string[]).includes(value)
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/**
 * The admin API answers a bearer token when ADMIN_TOKEN is set; without one it answers only requests from this
 * machine, so a demo never exposes orders to the network by accident.
 */
function requireAdmin(token: string | undefined) {
  const expected = token ? Buffer.from(`Bearer ${token}`) : undefined
  return (request: Request, response: Response, next: NextFunction) => {
    if (expected) {
      const given = Buffer.from(request.get('authorization') ?? '')
      if (given.length === expected.length && timingSafeEqual(given, expected)) return next()
      response.status(401).set('www-authenticate', 'Bearer').json({ error: 'Unauthorized' })
      return
    }
    if (LOOPBACK.has(request.socket.remoteAddress ?? '')) return next()
    response.status(403).json({ error: 'The admin API answers loopback only unless ADMIN_TOKEN is set' })
  }
}

/** Sends a Web Response (what the kit's handlers return) through Express. */
async function sendWebResponse(response: Response, web: globalThis.Response): Promise<void> {
  response.status(web.status)
  web.headers.forEach((value, name) => {
    response.setHeader(name, value)
  })
  response.send(Buffer.from(await web.arrayBuffer()))
}

/**
 * The store's back office beside the storefront: Stripe webhooks and the orders/admin API, with the kit's
 * health routes, request telemetry, Prometheus endpoint and error answer.
 */
export function createApiApp(services: Services): express.Express {
  const { config, logger, metrics, health, prometheus, reporter, payments, orders, db, carts } = services
  const app = express()
  app.disable('x-powered-by')

  app.use(observe({ logger, metrics, requestRate: health.requestRate }))
  app.use((_request, response, next) => {
    const done = services.beginRequest()
    response.on('close', done)
    next()
  })
  app.use(healthRoutes(health, { path: '/api/health' }))
  app.get('/api/metrics', async (request, response) => {
    await sendWebResponse(response, await prometheus.metricsHandler(new Request(`http://api${request.url}`)))
  })

  // Stripe signs the raw body: this route must see the bytes, before any JSON parser.
  app.post('/webhooks/stripe', express.raw({ type: '*/*', limit: '1mb' }), async (request, response) => {
    if (!payments.stripe || !config.stripe?.webhookSecret) {
      response.status(503).json({
        error: 'Stripe webhooks are not configured (set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET)',
      })
      return
    }
    let event: ReturnType<typeof payments.stripe.webhooks.constructEvent>
    try {
      event = payments.stripe.webhooks.constructEvent(
        request.body,
        request.get('stripe-signature') ?? '',
        config.stripe.webhookSecret,
      )
    } catch (error) {
      logger.warn('Stripe webhook rejected', {
        error: error instanceof Error ? error.message : String(error),
      })
      response.status(400).json({ error: 'Invalid Stripe signature' })
      return
    }
    if (event.type === 'payment_intent.succeeded' || event.type === 'payment_intent.payment_failed') {
      const intent = event.data.object
      const applied = await orders.applyPaymentEvent({
        type: event.type,
        paymentIntentId: intent.id,
        orderId: intent.metadata?.orderId,
      })
      response.json({ received: true, applied })
      return
    }
    logger.info('Stripe webhook ignored', { type: event.type })
    response.json({ received: true, applied: false })
  })

  const admin = express.Router()
  admin.use(requireAdmin(config.adminToken))
  admin.use(express.json({ limit: '100kb' }))
  admin.get('/orders', async (request, response) => {
    const status = request.query.status
    if (status !== undefined && !isOrderStatus(status)) throw new HttpError(400, `Unknown status: ${status}`)
    const limit = Math.min(100, Math.max(1, Number(request.query.limit) || 20))
    const list = await db.order.findMany({
      where: status ? { status } : {},
      orderBy: { createdAt: 'desc' },
      take: limit,
      include: { customer: { select: { email: true, name: true } }, items: true },
    })
    response.json({ orders: list })
  })
  admin.get('/orders/:id', async (request, response) => {
    if (!UUID.test(request.params.id)) throw new HttpError(404, 'Order not found')
    const order = await db.order.findUnique({
      where: { id: request.params.id },
      include: { customer: true, items: { include: { product: true } } },
    })
    if (!order) throw new HttpError(404, 'Order not found')
    response.json({ order })
  })
  admin.post('/orders/:id/ship', async (request, response) => {
    if (!UUID.test(request.params.id)) throw new HttpError(404, 'Order not found')
    const { count } = await db.order.updateMany({
      where: { id: request.params.id, status: 'paid' },
      data: { status: 'shipped' },
    })
    if (count === 0) throw new HttpError(409, 'Only a paid order can be shipped')
    logger.info('Order shipped', { orderId: request.params.id })
    response.json({ id: request.params.id, status: 'shipped' })
  })
  // What the storefront's timer does every few minutes, on demand: carts idle for `idleMs` count as abandoned.
  admin.post('/carts/sweep', async (request, response) => {
    if (carts.kind !== 'redis') {
      throw new HttpError(
        409,
        "Carts live in the storefront's memory (REDIS_URL not set): the storefront sweeps them",
      )
    }
    const idleMs = request.body?.idleMs ?? config.cartAbandonAfterMs
    if (typeof idleMs !== 'number' || !Number.isFinite(idleMs) || idleMs < 0) {
      throw new HttpError(400, 'idleMs must be a number of milliseconds')
    }
    response.json({ abandoned: await orders.sweepAbandonedCarts(idleMs) })
  })
  admin.get('/stats', async (_request, response) => {
    const [byStatus, revenue, customers, cartStats] = await Promise.all([
      db.order.groupBy({ by: ['status'], _count: { _all: true } }),
      db.order.aggregate({
        where: { status: { in: ['paid', 'shipped'] } },
        _sum: { totalCents: true },
        _avg: { totalCents: true },
      }),
      db.customer.count(),
      carts.stats().catch(() => undefined),
    ])
    response.json({
      orders: Object.fromEntries(byStatus.map((row) => [row.status, row._count._all])),
      revenueCents: revenue._sum.totalCents ?? 0,
      averageOrderCents: Math.round(revenue._avg.totalCents ?? 0),
      customers,
      carts: carts.kind === 'redis' ? cartStats : 'kept by the storefront (memory)',
    })
  })
  app.use('/api/admin', admin)

  app.get('/api/drills/error', () => {
    if (!config.drills) throw new HttpError(404, 'Not found')
    throw new Error('Drill: the order ledger is unreachable')
  })
  app.use((_request, _response, next) => next(new HttpError(404, 'Not found')))
  // A client's mistake is answered as such; only the rest is reported as an API error.
  app.use((error: unknown, _request: Request, response: Response, next: NextFunction) => {
    if (!(error instanceof HttpError) || error.status >= 500 || response.headersSent) return next(error)
    response.status(error.status).json({ error: error.message, requestId: getContext()?.requestId })
  })
  app.use(errorHandler({ reporter, logger, environment: config.environment }))
  return app
}
