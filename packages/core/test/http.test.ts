import { memoryLogger, memoryMetrics, memoryReporter } from '@vivr/testkit'
import { describe, expect, it } from 'vitest'
import {
  createHealth,
  createRequestRateMeter,
  createRouteMatcher,
  errorStatus,
  healthEndpoints,
  normalizePath,
  OptionError,
} from '../src/index.js'
import { createHttpTelemetry, getContext, observeFetch } from '../src/node.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('createHttpTelemetry', () => {
  it('records one request: count, duration and access log tagged by route template, errors.count for 5xx', () => {
    const metrics = memoryMetrics()
    const logger = memoryLogger()
    const requestRate = createRequestRateMeter()
    const http = createHttpTelemetry({ metrics, logger, requestRate })
    http.start('req-1')({ method: 'GET', route: '/products/:id', statusCode: 200, path: '/products/42' })
    http.start('req-2')({ method: 'POST', route: '/orders', statusCode: 503 })

    expect(metrics.find('http.requests').map((c) => c.tags)).toEqual([
      { method: 'GET', route: '/products/:id', status_code: 200 },
      { method: 'POST', route: '/orders', status_code: 503 },
    ])
    const durations = metrics.find('http.request.duration', 'timing')
    expect(durations).toHaveLength(2)
    expect(durations.every((c) => c.value >= 0 && c.value < 1000)).toBe(true)
    expect(metrics.find('errors.count').map((c) => c.tags.route)).toEqual(['/orders'])
    const lines = logger.find({ level: 'INFO', message: 'request completed' })
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({
      requestId: 'req-1',
      route: '/products/:id',
      path: '/products/42',
      statusCode: 200,
    })
    expect(typeof lines[0]?.duration).toBe('number')
    expect(requestRate.perSecond()).toBeGreaterThan(0)
  })

  it('echoes safe incoming request ids and replaces missing, unsafe or oversized ones with a UUID', () => {
    const http = createHttpTelemetry({ requestIdHeader: 'X-Correlation-Id' })
    expect(http.requestIdHeader).toBe('x-correlation-id')
    expect(http.requestId('abc-123.x:y')).toBe('abc-123.x:y')
    expect(http.requestId(undefined)).toMatch(UUID)
    expect(http.requestId('')).toMatch(UUID)
    expect(http.requestId('bad\r\nSet-Cookie: x=1')).toMatch(UUID)
    expect(http.requestId('<script>')).toMatch(UUID)
    expect(http.requestId('a'.repeat(129))).toMatch(UUID)
    // A secret sent as a request id would be echoed raw but logged masked: never taken as an id.
    expect(http.requestId('sk_live_51Habc123def456')).toMatch(UUID)
    expect(http.requestId('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl')).toMatch(UUID)
    expect(http.requestId('signup-42')).toBe('signup-42')
    expect(http.requestId(null)).not.toBe(http.requestId(null))
  })

  it('rejects a request id header that is not a header name', () => {
    expect(() => createHttpTelemetry({ requestIdHeader: 'x request id' })).toThrow(OptionError)
    expect(() => createHttpTelemetry({ requestIdHeader: 'x request id' })).toThrow(/requestIdHeader/)
  })
})

describe('errorStatus', () => {
  it("takes an error's own 4xx/5xx status, else 500", () => {
    expect(errorStatus(Object.assign(new Error('nope'), { status: 404 }))).toBe(404)
    expect(errorStatus(Object.assign(new Error('nope'), { statusCode: 502 }))).toBe(502)
    expect(errorStatus(Object.assign(new Error('weird'), { status: 200 }))).toBe(500)
    expect(errorStatus(Object.assign(new Error('weird'), { status: '404' }))).toBe(500)
    expect(errorStatus('a string')).toBe(500)
    expect(errorStatus(null)).toBe(500)
  })
})

describe('observeFetch', () => {
  const setup = (environment: string) => {
    const metrics = memoryMetrics()
    const logger = memoryLogger()
    const reporter = memoryReporter()
    return { metrics, logger, reporter, options: { metrics, logger, reporter, environment } }
  }

  it('runs the handler in a request context, echoes the request id and records the request', async () => {
    const { metrics, logger, options } = setup('development')
    const handler = observeFetch(
      async (request: Request, context: { params: Promise<{ id: string }> }) => {
        logger.info('loading product', { id: (await context.params).id })
        return Response.json({ requestId: getContext()?.requestId, method: request.method })
      },
      '/api/products/[id]',
      options,
    )
    const response = await handler(
      new Request('http://localhost/api/products/42', { headers: { 'x-request-id': 'abc-1' } }),
      { params: Promise.resolve({ id: '42' }) },
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('x-request-id')).toBe('abc-1')
    expect(await response.json()).toEqual({ requestId: 'abc-1', method: 'GET' })
    expect(logger.find({ message: 'loading product' })[0]).toMatchObject({ requestId: 'abc-1', id: '42' })
    expect(metrics.find('http.requests')[0]?.tags).toEqual({
      method: 'GET',
      route: '/api/products/[id]',
      status_code: 200,
    })
    expect(logger.find({ message: 'request completed' })[0]).toMatchObject({ path: '/api/products/42' })
  })

  it('answers a thrown error with { error, requestId }, reports it and counts a 5xx', async () => {
    const { metrics, logger, reporter, options } = setup('development')
    const handler = observeFetch(
      () => {
        throw new Error('Database connection refused for postgres://app:hunter2@db:5432/shop')
      },
      '/api/orders',
      options,
    )
    const response = await handler(new Request('http://localhost/api/orders', { method: 'POST' }))
    expect(response.status).toBe(500)
    const body = await response.json()
    // One request, one id: the body carries the request id of the header and the log lines; the event id is logged.
    expect(body.requestId).toBe(response.headers.get('x-request-id'))
    expect(body.error).toContain('Database connection refused')
    expect(body.error).not.toContain('hunter2')
    expect(response.headers.get('x-request-id')).toMatch(UUID)
    expect(reporter.captured[0]?.context).toMatchObject({
      tags: { type: 'api_error', route: '/api/orders' },
      level: 'error',
    })
    expect(reporter.captured[0]?.context.extra?.requestId).toBe(response.headers.get('x-request-id'))
    expect(metrics.total('errors.count', { route: '/api/orders', status_code: 500 })).toBe(1)
    expect(logger.find({ level: 'ERROR', message: 'API error' })[0]).toMatchObject({
      requestId: response.headers.get('x-request-id'),
      eventId: 'event-1',
    })
  })

  it("keeps the message out of production answers and uses the error's status", async () => {
    const { options } = setup('production')
    const notFound = observeFetch(
      () => {
        throw Object.assign(new Error('order o-9 of user u-1 not found'), { status: 404 })
      },
      '/api/orders/[id]',
      options,
    )
    const response = await notFound(
      new Request('http://localhost/api/orders/o-9', { headers: { 'x-request-id': 'req-404' } }),
    )
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ error: 'Internal Server Error', requestId: 'req-404' })
  })

  it('sets the request id on responses whose headers are immutable', async () => {
    const handler = observeFetch(() => Response.redirect('http://localhost/login', 302), '/account')
    const response = await handler(new Request('http://localhost/account'))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('http://localhost/login')
    expect(response.headers.get('x-request-id')).toMatch(UUID)
  })
})

describe('healthEndpoints', () => {
  const failing = async () => {
    throw new Error('down')
  }
  const ok = async () => {}

  it('ready runs the ready-tagged checks only, once per probe; live runs no dependency check', async () => {
    let cacheRuns = 0
    let databaseRuns = 0
    const health = createHealth({
      environment: 'test',
      checks: [
        {
          name: 'database',
          tags: ['ready'],
          run: () => {
            databaseRuns++
          },
        },
        {
          name: 'cache',
          run: async () => {
            cacheRuns++
            throw new Error('down')
          },
        },
      ],
    })
    const endpoints = healthEndpoints(health)
    const ready = await endpoints.ready(new Request('http://localhost/health/ready'))
    expect(ready.status).toBe(200)
    expect(Object.keys((await ready.json()).checks)).toEqual(['database'])
    expect(databaseRuns).toBe(1)
    const live = await endpoints.live(new Request('http://localhost/health/live'))
    expect([live.status, (await live.json()).checks]).toEqual([200, {}])
    expect(cacheRuns).toBe(0)
    expect((await endpoints.health(new Request('http://localhost/health'))).status).toBe(503)
    expect(cacheRuns).toBe(1)
  })

  it('without ready-tagged checks, readiness fails only for a critical check', async () => {
    const criticalDown = healthEndpoints(
      createHealth({ environment: 'test', checks: [{ name: 'database', run: failing }] }),
    )
    expect((await criticalDown.ready(new Request('http://localhost/health/ready'))).status).toBe(503)
    const optionalDown = healthEndpoints(
      createHealth({
        environment: 'test',
        checks: [
          { name: 'database', run: ok },
          { name: 'payment', critical: false, run: failing },
        ],
      }),
    )
    const response = await optionalDown.ready(new Request('http://localhost/health/ready'))
    expect(response.status).toBe(200)
    expect((await response.json()).status).toBe('degraded')
  })

  it('readiness answers 503 while shutting down, liveness stays 200', async () => {
    const health = createHealth({ environment: 'test', checks: [{ name: 'database', run: ok }] })
    const endpoints = healthEndpoints(health)
    health.setShuttingDown()
    expect((await endpoints.ready(new Request('http://localhost/health/ready'))).status).toBe(503)
    expect((await endpoints.live(new Request('http://localhost/health/live'))).status).toBe(200)
  })
})

describe('createRouteMatcher', () => {
  it('maps paths to the most specific pattern, Next.js or Express syntax', () => {
    const match = createRouteMatcher([
      '/products/[id]',
      '/products/new',
      '/docs/[...slug]',
      '/shop/[[...filters]]',
      '/users/:userId/orders/:orderId',
      '/',
    ])
    expect(match('/products/42')).toBe('/products/[id]')
    expect(match('/products/new')).toBe('/products/new')
    expect(match('/products/42/reviews')).toBeUndefined()
    expect(match('/docs/a/b/c')).toBe('/docs/[...slug]')
    expect(match('/docs')).toBeUndefined()
    expect(match('/shop')).toBe('/shop/[[...filters]]')
    expect(match('/shop/red/xl')).toBe('/shop/[[...filters]]')
    expect(match('/users/u1/orders/o9')).toBe('/users/:userId/orders/:orderId')
    expect(match('/')).toBe('/')
    expect(match('/wp-admin.php')).toBeUndefined()
  })

  it('rejects patterns that are not paths', () => {
    expect(() => createRouteMatcher(['products/[id]'])).toThrow(/routes/)
  })
})

describe('normalizePath', () => {
  it('replaces ids with a placeholder and keeps words', () => {
    expect(normalizePath('/orders/812')).toBe('/orders/[id]')
    expect(normalizePath('/users/3f2b8c1e-9a4d-4e6b-8f0a-1c2d3e4f5a6b/cart')).toBe('/users/[id]/cart')
    expect(normalizePath('/sessions/0123456789abcdef0123')).toBe('/sessions/[id]')
    expect(normalizePath('/products/blue-shirt?ref=mail')).toBe('/products/blue-shirt')
    expect(normalizePath('/orders/812', ':id')).toBe('/orders/:id')
    expect(normalizePath('')).toBe('/')
  })
})
