import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createHealth, createRequestRateMeter, type Health } from '@vivr/core'
import { memoryLogger, memoryMetrics, memoryReporter } from '@vivr/testkit'
import { describeHttpAdapterContract } from '@vivr/testkit/contracts'
import type express from 'express'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { errorHandler, healthRoutes, observe, serve } from '../src/index.js'
import { expressContractHarness } from './express-contract.js'

type Express = typeof express
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export interface SuiteOptions {
  /** The Express module under test. */
  express: Express
  /** Routers for healthRoutes come from this module too (Express 4), or from the adapter's default (Express 5). */
  ownRouter: boolean
  /** How the shutdown fixture imports the same module. */
  moduleName: 'express' | 'express4'
}

/** The adapter's behaviour over real HTTP, run once per Express major. */
export function describeExpressAdapter(name: string, { express, ownRouter, moduleName }: SuiteOptions): void {
  describe(`${name}: a real app on a loopback port`, () => {
    const logger = memoryLogger()
    const metrics = memoryMetrics()
    const reporter = memoryReporter()
    const requestRate = createRequestRateMeter()
    let databaseUp = true
    let health: Health
    let server: Server
    let base = ''
    const router = () => (ownRouter ? { router: express.Router() } : {})

    beforeAll(async () => {
      health = createHealth({
        environment: 'test',
        requestRate,
        checks: [
          {
            name: 'database',
            tags: ['ready'],
            run: async () => {
              if (!databaseUp) throw new Error('connection refused')
            },
          },
          {
            name: 'payment',
            critical: false,
            run: async () => {
              throw new Error('Stripe not configured')
            },
          },
        ],
      })
      const app = express()
      app.use(observe({ logger, metrics, requestRate }))
      app.use(healthRoutes(health, router()))
      app.use(healthRoutes(health, { path: '/internal/status', ...router() }))
      app.get('/products/:id', async (req, res) => {
        await sleep(5)
        logger.info('product viewed', { productId: req.params.id })
        res.json({ id: req.params.id })
      })
      app.get('/products/:id/fail', (req, _res, next) => {
        Promise.reject(new Error(`Database timeout loading ${req.params.id}`)).catch(next)
      })
      app.get('/missing-order', (_req, _res, next) => {
        next(Object.assign(new Error('order not found'), { status: 404 }))
      })
      app.get('/prod-fail', (_req, _res, next) => next(new Error('secret internals at db-7.internal')))
      app.get('/slow', async (_req, res) => {
        await sleep(400)
        if (!res.writableEnded) res.send('late')
      })
      const api = express.Router()
      api.get('/orders/:orderId', (req, res) => {
        res.status(201).json({ orderId: req.params.orderId })
      })
      api.get('/orders/:orderId/fail', (_req, _res, next) => next(new Error('payment declined')))
      api.get('/orders/:orderId/pass', (_req, _res, next) => next())
      api.get('/orders/:orderId/stream-fail', (_req, res, next) => {
        res.write('partial')
        setTimeout(() => next(new Error('stream broke')), 5)
      })
      const v2 = express.Router()
      v2.get('/items/:itemId', (req, res) => {
        res.json({ itemId: req.params.itemId })
      })
      v2.get('/items/:itemId/fail', (_req, _res, next) => next(new Error('item store down')))
      api.use('/v2', v2)
      app.use('/api', api)
      app.use('/prod-fail', errorHandler({ reporter, logger, environment: 'production' }))
      app.use(errorHandler({ reporter, logger, environment: 'development' }))
      server = await serve(app, { port: 0, host: '127.0.0.1' })
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })

    afterAll(async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    })

    beforeEach(() => {
      logger.clear()
      metrics.clear()
      reporter.clear()
      databaseUp = true
    })

    /** The request's metrics arrive when its response closes, just after the client has the body. */
    const settled = () => sleep(20)

    describe('healthRoutes', () => {
      it("answers core's body, headers and status on /health", async () => {
        const response = await fetch(`${base}/health`)
        expect(response.status).toBe(200)
        expect(response.headers.get('content-type')).toBe('application/json')
        expect(response.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate')
        const body = await response.json()
        expect(body).toMatchObject({ status: 'degraded', environment: 'test' })
        expect(Object.keys(body.checks).sort()).toEqual(['database', 'payment'])
        expect(body.checks.payment).toMatchObject({ status: 'error', message: 'Stripe not configured' })
        expect(typeof body.metrics.requestsPerSecond).toBe('number')
      })

      it('negotiates application/health+json and HTML like the core handler', async () => {
        const ietf = await fetch(`${base}/health`, { headers: { accept: 'application/health+json' } })
        expect(ietf.headers.get('content-type')).toBe('application/health+json')
        expect(await ietf.json()).toMatchObject({
          status: 'warn',
          checks: { 'database:responseTime': [{ status: 'pass' }] },
        })
        const html = await fetch(`${base}/health`, { headers: { accept: 'text/html' } })
        expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8')
        expect(await html.text()).toContain('database')
      })

      it('live runs no dependency check; ready runs the ready-tagged ones; 503 when a critical one fails', async () => {
        databaseUp = false
        const live = await fetch(`${base}/health/live`)
        expect([live.status, (await live.json()).checks]).toEqual([200, {}])
        const ready = await fetch(`${base}/health/ready`)
        expect(ready.status).toBe(503)
        const body = await ready.json()
        expect(Object.keys(body.checks)).toEqual(['database'])
        expect((await fetch(`${base}/health`)).status).toBe(503)
        databaseUp = true
        expect((await fetch(`${base}/health/ready`)).status).toBe(200)
      })

      it('mounts under another path and tags health requests by their template', async () => {
        expect((await fetch(`${base}/internal/status/live`)).status).toBe(200)
        expect((await fetch(`${base}/health/live`)).status).toBe(200)
        await settled()
        const routes = metrics.find('http.requests').map((c) => c.tags.route)
        expect(routes).toEqual(['/internal/status/live', '/health/live'])
      })

      it('validates its path option', () => {
        expect(() => healthRoutes(health, { path: 'health' })).toThrow(/Invalid option path/)
        expect(() => healthRoutes(health, { path: '/health/' })).toThrow(/Invalid option path/)
      })
    })

    describe('observe', () => {
      it('tags requests by route template, never the raw path; unmatched → unmatched', async () => {
        await fetch(`${base}/products/42`)
        await fetch(`${base}/products/43`)
        await fetch(`${base}/api/orders/o-9`)
        await fetch(`${base}/no/such/page/123`)
        await settled()
        expect(metrics.find('http.requests').map((c) => c.tags)).toEqual([
          { method: 'GET', route: '/products/:id', status_code: 200 },
          { method: 'GET', route: '/products/:id', status_code: 200 },
          { method: 'GET', route: '/api/orders/:orderId', status_code: 201 },
          { method: 'GET', route: 'unmatched', status_code: 404 },
        ])
        const durations = metrics.find('http.request.duration', 'timing')
        expect(durations).toHaveLength(4)
        expect(durations[0]!.value).toBeGreaterThanOrEqual(4)
        expect(durations[0]!.value).toBeLessThan(2000)
        expect(metrics.find('errors.count')).toEqual([])
      })

      it('takes the incoming request id, echoes it, and puts it on every log line of the request', async () => {
        const response = await fetch(`${base}/products/7`, { headers: { 'x-request-id': 'trace-abc-123' } })
        expect(response.headers.get('x-request-id')).toBe('trace-abc-123')
        await settled()
        expect(logger.find({ message: 'product viewed' })[0]).toMatchObject({
          requestId: 'trace-abc-123',
          productId: '7',
        })
        const access = logger.find({ level: 'INFO', message: 'request completed' })
        expect(access).toHaveLength(1)
        expect(access[0]).toMatchObject({
          requestId: 'trace-abc-123',
          method: 'GET',
          route: '/products/:id',
          path: '/products/7',
          statusCode: 200,
        })
        expect(access[0]!.duration).toBeGreaterThan(0)
      })

      it('makes a request id when none (or an unsafe one) comes in; concurrent requests keep their own', async () => {
        const unsafe = await fetch(`${base}/products/1`, {
          headers: { 'x-request-id': '<script>alert(1)</script>' },
        })
        expect(unsafe.headers.get('x-request-id')).toMatch(UUID)
        const responses = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            fetch(`${base}/products/${i}`, { headers: { 'x-request-id': `r-${i}` } }),
          ),
        )
        expect(responses.map((r) => r.headers.get('x-request-id'))).toEqual(responses.map((_, i) => `r-${i}`))
        await settled()
        for (const line of logger.find({ message: 'product viewed' })) {
          if (line.requestId !== unsafe.headers.get('x-request-id'))
            expect(line.requestId).toBe(`r-${line.productId}`)
        }
      })

      it('feeds the request-rate meter that /health reports', async () => {
        const before = requestRate.perSecond()
        await Promise.all(Array.from({ length: 30 }, () => fetch(`${base}/products/1`)))
        expect(requestRate.perSecond()).toBeGreaterThan(before)
      })

      it('counts a request whose client went away as 499', async () => {
        const controller = new AbortController()
        const aborted = fetch(`${base}/slow`, { signal: controller.signal }).catch((error: unknown) => error)
        await sleep(100)
        controller.abort()
        expect(await aborted).toBeInstanceOf(Error)
        await sleep(450)
        expect(metrics.find('http.requests').map((c) => c.tags)).toContainEqual({
          method: 'GET',
          route: '/slow',
          status_code: 499,
        })
      })
    })

    describe('errorHandler', () => {
      it('development: answers { error, requestId } with the message, reports and logs with the route template', async () => {
        const response = await fetch(`${base}/products/9/fail`, { headers: { 'x-request-id': 'req-err-1' } })
        expect(response.status).toBe(500)
        // One request, one id: the body's requestId is the header's; the reporter's event id is in the log line.
        expect(await response.json()).toEqual({ error: 'Database timeout loading 9', requestId: 'req-err-1' })
        expect(response.headers.get('x-request-id')).toBe('req-err-1')
        expect(reporter.captured).toHaveLength(1)
        expect(reporter.captured[0]!.context).toMatchObject({
          tags: { type: 'api_error', route: '/products/:id/fail' },
          extra: { requestId: 'req-err-1' },
          level: 'error',
        })
        await settled()
        expect(logger.find({ level: 'ERROR', message: 'API error' })[0]).toMatchObject({
          requestId: 'req-err-1',
          eventId: reporter.captured[0]!.eventId,
        })
        expect(metrics.total('errors.count', { route: '/products/:id/fail', status_code: 500 })).toBe(1)
      })

      it('keeps the mount path in the route of an error raised in a sub-router and handled by the app', async () => {
        expect((await fetch(`${base}/api/orders/o-1/fail?debug=1`)).status).toBe(500)
        expect((await fetch(`${base}/api/v2/items/i-7/fail/`)).status).toBe(500)
        expect((await fetch(`${base}/api/v2/items/i-7`)).status).toBe(200)
        await settled()
        expect(reporter.captured.map((c) => c.context.tags?.route)).toEqual([
          '/api/orders/:orderId/fail',
          '/api/v2/items/:itemId/fail',
        ])
        expect(metrics.find('http.requests').map((c) => c.tags.route)).toEqual([
          '/api/orders/:orderId/fail',
          '/api/v2/items/:itemId/fail',
          '/api/v2/items/:itemId',
        ])
      })

      it('counts a sub-router route that hands the request on as a 404 of its full template', async () => {
        const response = await fetch(`${base}/api/orders/o-2/pass?x=1`)
        expect(response.status).toBe(404)
        await settled()
        expect(metrics.find('http.requests').map((c) => c.tags)).toEqual([
          { method: 'GET', route: '/api/orders/:orderId/pass', status_code: 404 },
        ])
        expect(logger.find({ message: 'request completed' })[0]).toMatchObject({
          path: '/api/orders/o-2/pass',
        })
      })

      it("uses the error's own status", async () => {
        const response = await fetch(`${base}/missing-order`)
        expect(response.status).toBe(404)
        expect(await response.json()).toMatchObject({ error: 'order not found' })
        await settled()
        expect(metrics.find('errors.count')).toEqual([])
      })

      it('production: never leaks the message', async () => {
        const response = await fetch(`${base}/prod-fail`)
        expect(response.status).toBe(500)
        const text = await response.text()
        expect(text).not.toContain('db-7')
        expect(JSON.parse(text)).toEqual({
          error: 'Internal Server Error',
          requestId: response.headers.get('x-request-id'),
        })
        expect(reporter.captured[0]!.context.extra).toMatchObject({
          requestId: response.headers.get('x-request-id'),
        })
        expect(reporter.captured[0]!.error).toBeInstanceOf(Error)
      })

      it('reports and logs an error raised after the headers were sent, then lets Express cut the response', async () => {
        const response = await fetch(`${base}/api/orders/o-3/stream-fail`, {
          headers: { 'x-request-id': 'late-1' },
        })
        expect(response.status).toBe(200)
        await expect(response.text()).rejects.toThrow()
        expect(reporter.captured.map((c) => [c.context.tags?.route, (c.error as Error).message])).toEqual([
          ['/api/orders/:orderId/stream-fail', 'stream broke'],
        ])
        await settled()
        expect(logger.find({ level: 'ERROR', message: 'API error' })[0]).toMatchObject({
          requestId: 'late-1',
        })
        expect(metrics.find('http.requests').map((c) => c.tags)).toEqual([
          { method: 'GET', route: '/api/orders/:orderId/stream-fail', status_code: 500 },
        ])
      })

      it('names the route of a mounted sub-app, and of observe() used as route middleware, on every request', async () => {
        const counted = memoryMetrics()
        const shop = express()
        shop.get('/items/:sku', (_req, res) => {
          res.json({ ok: true })
        })
        shop.get('/gone/:sku', (_req, _res, next) => next())
        const app = express()
        // Route middleware first: on the very first request `req.route` is assigned before observe() runs.
        app.get('/direct/:id', observe({ metrics: counted }), (_req, res) => {
          res.json({ ok: true })
        })
        app.use(observe({ metrics: counted }))
        app.use('/shop', shop)
        const server = await serve(app, { port: 0, host: '127.0.0.1' })
        try {
          const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
          for (const path of ['/direct/1', '/shop/items/a', '/direct/2', '/shop/gone/b', '/shop/items/c']) {
            await (await fetch(`${base}${path}`)).arrayBuffer()
          }
          await settled()
          expect(counted.find('http.requests').map((c) => `${c.tags?.route} ${c.tags?.status_code}`)).toEqual(
            [
              '/direct/:id 200',
              '/shop/items/:sku 200',
              '/direct/:id 200',
              '/shop/gone/:sku 404',
              '/shop/items/:sku 200',
            ],
          )
        } finally {
          server.closeAllConnections()
          await new Promise((resolve) => server.close(resolve))
        }
      })

      it('works without a reporter: logs the error and answers { error, requestId }', async () => {
        const quiet = memoryLogger()
        const app = express()
        app.use(observe({ logger: quiet }))
        app.get('/boom/:id', (_req, _res, next) => next(new Error('no reporter here')))
        app.use(errorHandler({ logger: quiet }))
        const server = await serve(app, { port: 0, host: '127.0.0.1' })
        try {
          const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/boom/1`)
          expect(response.status).toBe(500)
          expect(await response.json()).toEqual({ error: 'no reporter here', requestId: expect.any(String) })
          expect(quiet.find({ level: 'ERROR', message: 'API error' })[0]).toMatchObject({
            error: { message: 'no reporter here' },
          })
        } finally {
          server.closeAllConnections()
          await new Promise((resolve) => server.close(resolve))
        }
      })

      it('validates its options', () => {
        // @ts-expect-error the logger is required
        expect(() => errorHandler({ reporter })).toThrow(/Invalid option logger/)
        // @ts-expect-error a reporter must be an ErrorReporter
        expect(() => errorHandler({ logger, reporter: {} })).toThrow(/Invalid option reporter/)
        // @ts-expect-error the options are required
        expect(() => errorHandler()).toThrow(/Invalid option logger/)
      })
    })

    describe('serve', () => {
      it('validates its options', async () => {
        const app = express()
        await expect(serve(app, { port: -1 })).rejects.toThrow(/Invalid option port/)
        await expect(serve(app, { port: 0, keepAliveTimeoutMs: Number.NaN })).rejects.toThrow(
          /keepAliveTimeoutMs/,
        )
      })
    })
  })

  describeHttpAdapterContract(`${name}: observe() and errorHandler()`, expressContractHarness(express))

  describe(`${name}: SIGTERM in a child process`, () => {
    it('finishes in-flight requests, answers readiness 503 while draining, closes idle sockets, exits 0', async () => {
      const app = await startFixture(moduleName)
      // An idle keep-alive connection: the server must close it, or close() would wait for its timeout.
      expect((await fetch(`${app.base}/health/live`)).status).toBe(200)
      expect((await fetch(`${app.base}/health/ready`)).status).toBe(200)
      const inFlight = Array.from({ length: 5 }, () =>
        fetch(`${app.base}/slow`).then(async (response) => [response.status, await response.text()]),
      )
      await sleep(200)
      app.child.kill('SIGTERM')
      await sleep(150)
      const ready = await fetch(`${app.base}/health/ready`)
      expect(ready.status).toBe(503)
      expect(await ready.json()).toMatchObject({ status: 'unhealthy', message: 'shutting down' })
      expect((await fetch(`${app.base}/health/live`)).status).toBe(200)

      expect(await Promise.all(inFlight)).toEqual(Array(5).fill([200, 'done']))
      const [code] = await app.exited
      expect(code).toBe(0)
      const messages = app.lines.map((line) => line.message)
      expect(messages).toContain('shutdown complete')
      expect(messages).not.toContain('shutdown hook timed out; skipped')
      const slow = app.lines.filter((line) => line.message === 'request completed' && line.route === '/slow')
      expect(slow.map((line) => line.statusCode)).toEqual(Array(5).fill(200))
    })
  })
}

async function startFixture(moduleName: string) {
  const child = spawn(process.execPath, ['--conditions=@vivr/source', '--import', 'tsx', FIXTURE], {
    env: { ...process.env, EXPRESS_MODULE: moduleName, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  const lines: Array<Record<string, unknown>> = []
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = ''
    child.once('exit', (code) => reject(new Error(`fixture exited early with ${code}`)))
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      const parts = buffered.split('\n')
      buffered = parts.pop() ?? ''
      for (const part of parts) {
        const line = JSON.parse(part) as Record<string, unknown>
        if (typeof line.port === 'number') resolve(line.port)
        else lines.push(line)
      }
    })
  })
  return { child, lines, exited, base: `http://127.0.0.1:${port}` }
}

const FIXTURE = join(import.meta.dirname, 'fixtures', 'server.ts')
const children: ChildProcess[] = []
afterAll(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})
