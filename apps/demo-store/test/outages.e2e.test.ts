import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildStorefront,
  dropDatabase,
  eventually,
  freshDatabase,
  healthOf,
  type StoreProcess,
  startWeb,
} from './support/processes.js'
import { type OwnRedis, startOwnRedis, startTcpProxy, type TcpProxy } from './support/servers.js'

const DATABASE = 'outages'

/** Posts the add-to-cart form; returns where the store sends the visitor. */
async function addToCart(web: StoreProcess, cookie?: string): Promise<{ location: string; cookie?: string }> {
  const response = await fetch(`${web.url}/api/cart`, {
    method: 'POST',
    headers: cookie ? { cookie } : {},
    body: new URLSearchParams({ productId: '2', quantity: '1', action: 'add' }),
    redirect: 'manual',
  })
  expect(response.status).toBe(303)
  const setCookie = response.headers.get('set-cookie')?.split(';')[0]
  return { location: response.headers.get('location') ?? '', ...(setCookie && { cookie: setCookie }) }
}

describe('outage drills: Redis and PostgreSQL the test owns go away and come back, the store does not restart', () => {
  let redis: OwnRedis
  let database: TcpProxy
  let web: StoreProcess
  let cartCookie: string

  beforeAll(async () => {
    const [databaseUrl] = await Promise.all([freshDatabase(DATABASE), buildStorefront()])
    redis = await startOwnRedis()
    // The store reaches PostgreSQL through a proxy the test can cut: the shared server itself never stops.
    database = await startTcpProxy({ host: '127.0.0.1', port: 5432 })
    const url = new URL(databaseUrl)
    url.port = String(database.port)
    web = await startWeb({ DATABASE_URL: url.href, REDIS_URL: redis.url, HEALTH_INTERVAL_MS: '250' })
  }, 900_000)

  afterAll(async () => {
    await web?.stop()
    await Promise.all([redis?.close(), database?.close()])
    await dropDatabase(DATABASE)
  }, 60_000)

  it('starts with every check answering (payment degraded: Stripe not configured)', async () => {
    const health = await eventually(
      () => healthOf(web.url),
      (h) => h.checks.database?.status === 'ok' && h.checks.cache?.status === 'ok',
    )
    expect(health).toMatchObject({
      httpStatus: 200,
      status: 'degraded',
      checks: { payment: { status: 'degraded', message: 'Stripe not configured' } },
    })
    const { location, cookie } = await addToCart(web)
    expect(location).toBe('/cart')
    expect(cookie).toMatch(/^cart_id=/)
    cartCookie = cookie!
  })

  it('Redis down: health degraded with 200, readiness 200, pages still served, the cart says it is unavailable', async () => {
    await redis.stop()
    const health = await eventually(
      () => healthOf(web.url),
      (h) => h.checks.cache?.status === 'error',
    )
    expect(health.httpStatus).toBe(200)
    expect(health.status).toBe('degraded')
    expect(health.checks.database?.status).toBe('ok')
    expect((await fetch(`${web.url}/api/health/ready`)).status).toBe(200)

    // The catalog cache misses and the pages come from the database.
    const home = await fetch(web.url)
    expect(home.status).toBe(200)
    expect(await home.text()).toContain('Studio Headphones')
    expect((await fetch(`${web.url}/products/pocket-speaker`)).status).toBe(200)

    expect((await addToCart(web)).location).toBe('/cart?notice=unavailable')
    const cart = await fetch(`${web.url}/cart`, { headers: { cookie: cartCookie } })
    expect(cart.status).toBe(200)
    expect(await cart.text()).toContain('The cart is unavailable right now')
  })

  it('Redis back: the cache check and the cart recover without a restart', async () => {
    await redis.start()
    await eventually(
      () => healthOf(web.url),
      (h) => h.checks.cache?.status === 'ok',
      { timeoutMs: 20_000 },
    )
    expect((await addToCart(web, cartCookie)).location).toBe('/cart')
    // This Redis keeps nothing on disk: after its crash the cart starts over, and works.
    const cart = await fetch(`${web.url}/cart`, { headers: { cookie: cartCookie } })
    expect(await cart.text()).toContain('Cart (1)')
  })

  it('PostgreSQL down: unhealthy with 503, readiness 503, liveness still 200', async () => {
    await database.cut()
    const health = await eventually(
      () => healthOf(web.url),
      (h) => h.httpStatus === 503,
    )
    expect(health.status).toBe('unhealthy')
    expect(health.checks.database?.status).toBe('error')
    expect(health.checks.database?.message).not.toContain('postgresql://')
    expect((await fetch(`${web.url}/api/health/ready`)).status).toBe(503)
    expect((await fetch(`${web.url}/api/health/live`)).status).toBe(200)
  })

  it('PostgreSQL back: healthy again and serving pages without a restart', async () => {
    await database.restore()
    const health = await eventually(
      () => healthOf(web.url),
      (h) => h.httpStatus === 200 && h.checks.database?.status === 'ok',
      { timeoutMs: 20_000 },
    )
    expect(health.status).toBe('degraded') // only because Stripe is not configured
    const order = await fetch(`${web.url}/products/wool-rug`)
    expect(order.status).toBe(200)
    expect(web.child.exitCode).toBeNull()
  })
})
