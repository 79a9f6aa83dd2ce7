// countNextRequests against the real @opentelemetry/api, with Next.js's side played in miniature: what
// base-server.js does per request (extract from the headers, a `BaseServer.handleRequest` span, its attributes set
// in a `finally`). The fixture app (next-app.integration.test.ts) proves it against a real `next start`.
import {
  type Context,
  context,
  defaultTextMapGetter,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'
import { OptionError } from '@vivr/core'
import { memoryLogger, memoryMetrics } from '@vivr/testkit'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { countNextRequests, registerObservability } from '../src/index.js'

interface Served {
  method?: string
  target: string
  headers?: Record<string, string>
  /** `next.route`, absent when no route matched (404). */
  route?: string
  status: number
  /** An app route handler (`route.ts`) ran inside the request. */
  routeHandler?: boolean
  /** The pass that only ran proxy.ts: its span ends with the BubbledError Next.js throws. */
  proxyPass?: boolean
}

/** What BaseServer.handleRequest (next/dist/server/base-server.js) does around one request. */
function serve({ method = 'GET', target, headers = {}, route, status, routeHandler, proxyPass }: Served) {
  const tracer = () => trace.getTracer('next.js', '16.4.6')
  const extracted = propagation.extract(context.active(), headers, defaultTextMapGetter)
  return context.with(extracted, () =>
    tracer().startActiveSpan(
      method,
      {
        attributes: {
          'next.span_type': 'BaseServer.handleRequest',
          'http.method': method,
          'http.target': target,
        },
      },
      async (span) => {
        if (routeHandler) {
          tracer().startActiveSpan(
            'executing api route (app) /api/x',
            { attributes: { 'next.span_type': 'AppRouteRouteHandlers.runHandler' } },
            (child) => child.end(),
          )
        }
        await new Promise((resolve) => setTimeout(resolve, 5))
        span.setAttributes({ 'http.status_code': status, 'next.rsc': headers.rsc === '1' })
        if (route) span.setAttributes({ 'next.route': route, 'http.route': route })
        if (proxyPass) span.setAttribute('next.bubble', true)
        span.end()
      },
    ),
  )
}

const STATE = Symbol.for('@vivr/adapter-next/request-spans')
function reset() {
  trace.disable()
  context.disable()
  propagation.disable()
  Reflect.deleteProperty(globalThis, STATE)
}
beforeEach(reset)
afterEach(reset)

const requests = (metrics: ReturnType<typeof memoryMetrics>) =>
  metrics.find('http.requests').map(({ tags }) => `${tags.method} ${tags.route} ${tags.status_code}`)

describe('countNextRequests, no tracer provider registered before', () => {
  it('registers its own and counts each request once, with core tags, a duration and errors.count for 5xx', async () => {
    const metrics = memoryMetrics()
    expect(await countNextRequests({ metrics })).toBe('registered')
    await serve({ target: '/products/7', route: '/products/[id]', status: 200 })
    await serve({ target: '/', route: '/', status: 200 })
    await serve({ method: 'POST', target: '/checkout', route: '/checkout', status: 303 })
    await serve({ target: '/broken', route: '/broken', status: 500 })
    await serve({ target: '/no-such-page', status: 404 })

    expect(requests(metrics)).toEqual([
      'GET /products/[id] 200',
      'GET / 200',
      'POST /checkout 303',
      'GET /broken 500',
      'GET unmatched 404',
    ])
    expect(metrics.find('http.requests')[0]?.tags).toEqual({
      method: 'GET',
      route: '/products/[id]',
      status_code: 200,
    })
    const durations = metrics.find('http.request.duration', 'timing')
    expect(durations).toHaveLength(5)
    expect(durations.every(({ value }) => value >= 4)).toBe(true)
    expect(metrics.find('errors.count').map(({ tags }) => tags)).toEqual([
      { method: 'GET', route: '/broken', status_code: 500 },
    ])
  })

  it('does not count router prefetches; counts an RSC navigation as a request for its page', async () => {
    const metrics = memoryMetrics()
    await countNextRequests({ metrics })
    const rsc = { rsc: '1', 'next-router-state-tree': '%5B%22%22%5D' }
    await serve({
      target: '/products/9?_rsc=a1',
      headers: { ...rsc, 'next-router-prefetch': '1' },
      route: '/products/[id]',
      status: 200,
    })
    await serve({
      target: '/products/9?_rsc=a2',
      headers: { ...rsc, 'next-router-prefetch': '2' },
      route: '/products/[id]',
      status: 200,
    })
    await serve({ target: '/products/9.segments/_tree.segment.rsc', route: '/products/[id]', status: 200 })
    await serve({ target: '/products/9?_rsc=a3', headers: rsc, route: '/products/[id]', status: 200 })
    await serve({
      target: '/products/9?_rsc=a4',
      headers: { ...rsc, 'next-router-prefetch': '0' },
      route: '/products/[id]',
      status: 200,
    })
    expect(requests(metrics)).toEqual(['GET /products/[id] 200', 'GET /products/[id] 200'])
  })

  it("skips proxy.ts's own pass, so a page behind a proxy counts once", async () => {
    const metrics = memoryMetrics()
    await countNextRequests({ metrics })
    await serve({ target: '/products/7', status: 200, proxyPass: true })
    await serve({ target: '/products/7', route: '/products/[id]', status: 200 })
    expect(requests(metrics)).toEqual(['GET /products/[id] 200'])
  })

  it('leaves route handlers to withObservability, unless routeHandlers is on', async () => {
    const metrics = memoryMetrics()
    await countNextRequests({ metrics })
    await serve({
      target: '/api/orders',
      route: '/api/orders',
      status: 201,
      routeHandler: true,
      method: 'POST',
    })
    await serve({ target: '/orders', route: '/orders', status: 200 })
    expect(requests(metrics)).toEqual(['GET /orders 200'])

    await countNextRequests({ metrics, routeHandlers: true })
    await serve({
      target: '/api/orders',
      route: '/api/orders',
      status: 201,
      routeHandler: true,
      method: 'POST',
    })
    expect(requests(metrics)).toEqual(['GET /orders 200', 'POST /api/orders 201'])
  })

  it('marks the request-rate meter once per counted request', async () => {
    const metrics = memoryMetrics()
    const requestRate = { mark: vi.fn() }
    await countNextRequests({ metrics, requestRate })
    await serve({ target: '/', route: '/', status: 200 })
    await serve({
      target: '/?_rsc=1',
      headers: { rsc: '1', 'next-router-prefetch': '1' },
      route: '/',
      status: 200,
    })
    expect(requestRate.mark).toHaveBeenCalledTimes(1)
  })

  it('gives Next.js what it relies on: the active span in context, a context manager, traced work unchanged', async () => {
    await countNextRequests({ metrics: memoryMetrics() })
    const tracer = trace.getTracer('next.js')
    const key = Symbol('route')
    const seen = await context.with(ROOT_CONTEXT.setValue(key, '/x'), () =>
      tracer.startActiveSpan('GET', async (span) => {
        await new Promise((resolve) => setTimeout(resolve, 1))
        return [trace.getSpan(context.active()) === span, context.active().getValue(key)]
      }),
    )
    expect(seen).toEqual([true, '/x'])
    expect(trace.getTracer('other').startSpan('x').isRecording()).toBe(false)
  })

  it('is set up once per process: a second call shares the first and takes its options', async () => {
    const first = memoryMetrics()
    const second = memoryMetrics()
    const counting = countNextRequests({ metrics: first })
    expect(countNextRequests({ metrics: second })).toBe(counting)
    await counting
    await serve({ target: '/', route: '/', status: 200 })
    expect([first.calls.length, requests(second)]).toEqual([0, ['GET / 200']])
  })

  it('checks its options', () => {
    // @ts-expect-error routeHandlers is a boolean
    expect(() => countNextRequests({ routeHandlers: 'yes' })).toThrow(OptionError)
    // @ts-expect-error countRequests is true or an object
    expect(() => registerObservability({ countRequests: 'all' })).toThrow(/Invalid option countRequests/)
    // @ts-expect-error
    expect(() => registerObservability({ countRequests: { routeHandlers: 1 } })).toThrow(
      /countRequests\.routeHandlers/,
    )
  })
})

describe('countNextRequests over a tracer provider registered before (Sentry.init, the OpenTelemetry SDK)', () => {
  /** A provider that keeps what it is given, as an SDK would export it, and has methods of its own. */
  function sdkLike() {
    const ended: string[] = []
    const tracer: Tracer = {
      startSpan: (name) => recordingSpan(name, ended),
      startActiveSpan(name: string, ...rest: unknown[]) {
        const fn = rest.at(-1) as (span: Span) => unknown
        const span = recordingSpan(name, ended)
        return context.with(trace.setSpan(context.active(), span), () => fn(span))
      },
    } as Tracer
    const provider = { getTracer: () => tracer, forceFlush: vi.fn(async () => {}) }
    return { provider: provider as TracerProvider & typeof provider, ended }
  }
  function recordingSpan(name: string, ended: string[]): Span {
    const span = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 })
    let final = name
    span.updateName = (next) => {
      final = next
      return span
    }
    span.end = () => void ended.push(final)
    return span
  }
  const headersSeen: unknown[] = []
  const theirPropagator: TextMapPropagator = {
    inject() {},
    extract(ctx: Context, carrier: unknown) {
      headersSeen.push(carrier)
      return ctx
    },
    fields: () => ['traceparent'],
  }

  it('wraps it: their spans still start and end, their methods still answer, and requests are counted', async () => {
    const { provider, ended } = sdkLike()
    trace.setGlobalTracerProvider(provider)
    propagation.setGlobalPropagator(theirPropagator)
    const metrics = memoryMetrics()
    expect(await countNextRequests({ metrics })).toBe('wrapped')

    await serve({ target: '/products/7', route: '/products/[id]', status: 200 })
    await serve({
      target: '/products/7?_rsc=1',
      headers: { rsc: '1', 'next-router-prefetch': '1' },
      route: '/products/[id]',
      status: 200,
    })
    expect(requests(metrics)).toEqual(['GET /products/[id] 200'])
    expect(ended).toEqual(['GET', 'GET'])
    expect(headersSeen).toHaveLength(2)

    const delegate = (
      trace.getTracerProvider() as unknown as { getDelegate(): typeof provider }
    ).getDelegate()
    await delegate.forceFlush()
    expect(provider.forceFlush).toHaveBeenCalledTimes(1)
    // Next.js tells a real provider from the no-op one by its constructor's name.
    expect(delegate.constructor).toBe(provider.constructor)
    expect(trace.getTracer('their-own')).toBe(provider.getTracer())
  })
})

describe('countNextRequests without @opentelemetry/api', () => {
  it('logs one warning, counts nothing and never throws', async () => {
    vi.resetModules()
    vi.doMock('@opentelemetry/api', () => {
      throw new Error("Cannot find module '@opentelemetry/api'")
    })
    try {
      const { countNextRequests: fresh } = await import('../src/request-spans.js')
      const logger = memoryLogger()
      expect(await fresh({ metrics: memoryMetrics(), logger })).toBe('off')
      expect(logger.lines.map((line) => [line.level, line.message, line.option])).toEqual([
        ['WARN', expect.stringContaining('install @opentelemetry/api'), 'countRequests'],
      ])
    } finally {
      vi.doUnmock('@opentelemetry/api')
    }
  })
})
