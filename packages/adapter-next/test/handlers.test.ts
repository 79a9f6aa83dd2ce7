// Route handlers and registration, called with real Request objects (no Next.js server).
import { createHealth, OptionError } from '@vivr/core'
import { getContext } from '@vivr/core/node'
import { memoryLogger, memoryMetrics, memoryReporter } from '@vivr/testkit'
import { describe, expect, it } from 'vitest'
import {
  createHealthRoute,
  createLiveRoute,
  createReadyRoute,
  getObservability,
  registerObservability,
  withObservability,
} from '../src/index.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const get = (path: string, headers: Record<string, string> = {}) =>
  new Request(`http://localhost${path}`, { headers })

describe('health routes', () => {
  const failing = async () => {
    throw new Error('connection refused')
  }

  it("answer core's body, headers and content negotiation", async () => {
    const health = createHealth({ environment: 'test', checks: [{ name: 'database', run: async () => {} }] })
    const response = await createHealthRoute(health).GET(get('/api/health'))
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate')
    expect(await response.json()).toMatchObject({ status: 'healthy', checks: { database: { status: 'ok' } } })
    const ietf = await createHealthRoute(health).GET(
      get('/api/health', { accept: 'application/health+json' }),
    )
    expect(ietf.headers.get('content-type')).toBe('application/health+json')
    expect((await ietf.json()).status).toBe('pass')
  })

  it('live runs no dependency check; ready runs the ready group and fails while shutting down', async () => {
    const health = createHealth({
      environment: 'test',
      checks: [
        { name: 'database', tags: ['ready'], run: async () => {} },
        { name: 'search', run: failing },
      ],
    })
    const live = await createLiveRoute(health).GET(get('/api/health/live'))
    expect([live.status, (await live.json()).checks]).toEqual([200, {}])
    const ready = await createReadyRoute(health).GET(get('/api/health/ready'))
    expect(ready.status).toBe(200)
    expect(Object.keys((await ready.json()).checks)).toEqual(['database'])
    expect((await createHealthRoute(health).GET(get('/api/health'))).status).toBe(503)
    health.setShuttingDown()
    expect((await createReadyRoute(health).GET(get('/api/health/ready'))).status).toBe(503)
    expect((await createLiveRoute(health).GET(get('/api/health/live'))).status).toBe(200)
  })
})

describe('withObservability with explicit sinks', () => {
  const setup = (environment: string) => {
    const logger = memoryLogger()
    const metrics = memoryMetrics()
    const reporter = memoryReporter()
    return { logger, metrics, reporter, options: { logger, metrics, reporter, environment } }
  }

  it('passes the route context through, runs in a request context and records the request', async () => {
    const { logger, metrics, options } = setup('development')
    const GET = withObservability(
      async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
        const { id } = await params
        logger.info('loading product', { id })
        return Response.json({
          id,
          requestId: getContext()?.requestId,
          accept: request.headers.get('accept'),
        })
      },
      { ...options, route: '/api/products/[id]' },
    )
    const response = await GET(
      get('/api/products/42', { 'x-request-id': 'req-42', accept: 'application/json' }),
      {
        params: Promise.resolve({ id: '42' }),
      },
    )
    expect(await response.json()).toEqual({ id: '42', requestId: 'req-42', accept: 'application/json' })
    expect(response.headers.get('x-request-id')).toBe('req-42')
    expect(logger.find({ message: 'loading product' })[0]?.requestId).toBe('req-42')
    expect(metrics.find('http.requests')[0]?.tags).toEqual({
      method: 'GET',
      route: '/api/products/[id]',
      status_code: 200,
    })
    expect(metrics.find('http.request.duration', 'timing')).toHaveLength(1)
  })

  it('answers a thrown error with { error, requestId } and reports it', async () => {
    const { metrics, reporter, options } = setup('development')
    const POST = withObservability(
      async () => {
        throw new Error('Payment provider timeout')
      },
      { ...options, route: '/api/orders' },
    )
    const response = await POST(new Request('http://localhost/api/orders', { method: 'POST' }))
    expect(response.status).toBe(500)
    const requestId = response.headers.get('x-request-id')
    expect(requestId).toMatch(UUID)
    expect(await response.json()).toEqual({ error: 'Payment provider timeout', requestId })
    expect(reporter.captured[0]?.eventId).toBe('event-1')
    expect(reporter.captured[0]?.context.tags).toEqual({ type: 'api_error', route: '/api/orders' })
    expect(metrics.total('errors.count', { route: '/api/orders' })).toBe(1)
  })

  it("keeps the message out of production answers and uses the error's status", async () => {
    const { options } = setup('production')
    const GET = withObservability(
      () => {
        throw Object.assign(new Error('no such order o-9'), { status: 404 })
      },
      { ...options, route: '/api/orders/[id]' },
    )
    const response = await GET(get('/api/orders/o-9', { 'x-request-id': 'req-404' }))
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ error: 'Internal Server Error', requestId: 'req-404' })
  })

  it('validates the route option', () => {
    expect(() => withObservability(async () => new Response(), { route: 'api/orders' })).toThrow(OptionError)
  })
})

// One process, one registration: these run in order and share it, as the bundles of one Next.js server do.
describe('registerObservability, then the defaults everything uses', () => {
  const logger = memoryLogger()
  const metrics = memoryMetrics()
  const reporter = memoryReporter()
  const GET = withObservability(async () => Response.json({ ok: true }), { route: '/api/ping' })

  it('before register(): handlers work and record nothing', async () => {
    expect(getObservability()).toBeUndefined()
    expect((await GET(get('/api/ping'))).status).toBe(200)
  })

  it('validates its options', () => {
    // @ts-expect-error the removed `sentry` option fails and says what to do instead
    expect(() => registerObservability({ sentry: { sdk: {} } })).toThrow(
      /Invalid option sentry.*sentryReporter/,
    )
    // @ts-expect-error the reporter is an instance or a factory
    expect(() => registerObservability({ reporter: 'sentry' })).toThrow(/Invalid option reporter/)
    // @ts-expect-error metrics must be a sink or a factory
    expect(() => registerObservability({ metrics: 'datadog' })).toThrow(/Invalid option metrics/)
    // @ts-expect-error shutdown is an object of options
    expect(() => registerObservability({ shutdown: true })).toThrow(/Invalid option shutdown/)
    expect(() => registerObservability({ shutdown: { drainDelayMs: -1 } })).toThrow(/shutdown\.drainDelayMs/)
    expect(() => registerObservability({ shutdown: { timeoutMs: 0 } })).toThrow(/shutdown\.timeoutMs/)
  })

  it('does nothing in the Edge runtime', async () => {
    const previous = process.env.NEXT_RUNTIME
    process.env.NEXT_RUNTIME = 'edge'
    try {
      await registerObservability({ logger, metrics: () => metrics, reporter }).register()
      expect(getObservability()).toBeUndefined()
    } finally {
      if (previous === undefined) delete process.env.NEXT_RUNTIME
      else process.env.NEXT_RUNTIME = previous
    }
  })

  it('register() builds the sinks once per process; withObservability then uses them', async () => {
    let built = 0
    const instrumentation = registerObservability({
      logger,
      reporter,
      metrics: async () => {
        built++
        return metrics
      },
    })
    await Promise.all([instrumentation.register(), instrumentation.register()])
    await registerObservability({ metrics: memoryMetrics() }).register()
    expect(built).toBe(1)
    expect(getObservability()?.metrics).toBe(metrics)

    // A request is counted when its response has been sent: here, when the body has been read.
    await (await GET(get('/api/ping', { 'x-request-id': 'ping-1' }))).text()
    expect(metrics.find('http.requests')[0]?.tags).toEqual({
      method: 'GET',
      route: '/api/ping',
      status_code: 200,
    })
    expect(logger.find({ message: 'request completed' })[0]?.requestId).toBe('ping-1')
  })

  it('onRequestError reports through the reporter and logs the error with the route', async () => {
    const { onRequestError } = registerObservability({ reporter })
    reporter.clear()
    onRequestError(
      new Error('Database unavailable while rendering'),
      { path: '/account/orders', method: 'GET', headers: { cookie: 'session=secret' } },
      { routerKind: 'App Router', routePath: '/account/orders', routeType: 'render' },
    )
    expect(reporter.captured).toHaveLength(1)
    expect(reporter.captured[0]?.context).toMatchObject({
      tags: { type: 'request_error', route: '/account/orders' },
      extra: { routeType: 'render' },
    })
    expect(logger.find({ level: 'ERROR', message: 'request error' })[0]).toMatchObject({
      route: '/account/orders',
      path: '/account/orders',
      method: 'GET',
    })
  })
  it('onRequestError logs the path without its query string', () => {
    const { onRequestError } = registerObservability({ reporter })
    logger.clear()
    onRequestError(
      new Error('reset failed'),
      { path: '/reset-password?token=rst_9f8e7d6c5b4a#step-2', method: 'POST', headers: {} },
      { routerKind: 'App Router', routePath: '/reset-password', routeType: 'action' },
    )
    onRequestError(
      new Error('search failed'),
      { path: '/search#q=private', method: 'GET', headers: {} },
      { routerKind: 'App Router', routePath: '/search', routeType: 'render' },
    )
    const lines = logger.find({ level: 'ERROR', message: 'request error' })
    expect(lines.map((line) => line.path)).toEqual(['/reset-password', '/search'])
    expect(JSON.stringify(logger.lines)).not.toMatch(/rst_9f8e7d6c5b4a|step-2|private/)
  })

  it('onRequestError never throws, whatever it is handed and whatever the sinks do', () => {
    const { onRequestError } = registerObservability({ reporter })
    const call = (...args: unknown[]) => Reflect.apply(onRequestError, undefined, args)
    expect(() => call(new Error('no request, no context'))).not.toThrow()
    expect(() => call(null, null, null)).not.toThrow()
    expect(() => call('thrown string', { path: 42 }, { routePath: {} })).not.toThrow()
    const current = getObservability()!
    const { captureException } = current.reporter
    const { error } = current.logger
    try {
      current.reporter.captureException = () => {
        throw new Error('reporter down')
      }
      current.logger.error = () => {
        throw new Error('logger down')
      }
      expect(() =>
        onRequestError(
          new Error('boom'),
          { path: '/x', method: 'GET', headers: {} },
          { routerKind: 'App Router', routePath: '/x', routeType: 'render' },
        ),
      ).not.toThrow()
    } finally {
      current.reporter.captureException = captureException
      current.logger.error = error
    }
  })
})
