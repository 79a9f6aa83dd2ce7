import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createBusinessMetrics,
  createHealth,
  defineCheck,
  healthEndpoints,
  type MetricSink,
  publishHealth,
} from '@vivr/core'
import { observeFetch, runtimeMetrics } from '@vivr/core/node'
import { prometheusMetrics } from '@vivr/sink-prometheus'

/**
 * A small real app for the ops tests, standing in for the demo store until its /api/metrics can be scraped
 * (set DEMO_METRICS_URL to scrape that instead). It is wired like the demo: @vivr/core's health runner and
 * observeFetch (the request telemetry every adapter uses), @vivr/sink-prometheus's sink with default process
 * metrics, its metricsHandler on /api/metrics, publishHealth for the check gauges and runtimeMetrics for the
 * event loop, GC and heap (every 100 ms here, so a test need not wait 10 s for the first values).
 */
export interface MetricsApp {
  readonly baseUrl: string
  readonly metricsUrl: string
  /**
   * Sends the traffic that makes every metric appear (pages, an order, a failure, a slow query, a health run) and
   * waits for a runtime-metrics collection.
   */
  exercise(): Promise<void>
  close(): Promise<void>
}

type Handler = (request: Request) => Promise<Response>

/** The database metrics @vivr/checks-prisma's withQueryMetrics records, with its names and tags. */
function recordQuery(
  metrics: MetricSink,
  model: string,
  operation: string,
  durationMs: number,
  slowQueryMs = 500,
) {
  const tags = { model, operation }
  metrics.timing('database.query.duration', durationMs, tags)
  if (durationMs >= slowQueryMs) metrics.increment('database.slow_queries', 1, tags)
}

const RUNTIME_INTERVAL_MS = 100
const RUNTIME_LAST_SERIES = 'runtime_active_handles'

export async function startMetricsApp(): Promise<MetricsApp> {
  const metrics = prometheusMetrics({ defaultMetrics: true })
  const business = createBusinessMetrics(metrics)
  const health = createHealth({
    checks: [
      defineCheck({ name: 'database', tags: ['ready'], run: () => ({ status: 'ok' }) }),
      defineCheck({ name: 'redis', tags: ['ready'], run: () => ({ status: 'ok' }) }),
      defineCheck({ name: 'stripe', critical: false, run: () => ({ status: 'degraded', message: 'slow' }) }),
    ],
  })
  const unpublish = publishHealth(health, metrics)
  const runtime = runtimeMetrics({ metrics, intervalMs: RUNTIME_INTERVAL_MS })
  const endpoints = healthEndpoints(health)
  const telemetry = { metrics }

  const routes: Record<string, Handler> = {
    'GET /api/products': observeFetch(
      async () => {
        recordQuery(metrics, 'Product', 'findMany', 12)
        return Response.json([{ id: 1, name: 'Lamp' }])
      },
      '/api/products',
      telemetry,
    ),
    'GET /api/search': observeFetch(
      async () => {
        recordQuery(metrics, 'Product', 'findMany', 740)
        return Response.json([])
      },
      '/api/search',
      telemetry,
    ),
    'POST /api/orders': observeFetch(
      async () => {
        recordQuery(metrics, 'Order', 'create', 25)
        business.ordersCreated(1)
        business.revenueProcessed(129.9)
        return Response.json({ id: 'ord_1' }, { status: 201 })
      },
      '/api/orders',
      telemetry,
    ),
    'GET /api/fail': observeFetch(
      async () => {
        throw new Error('payment provider unreachable')
      },
      '/api/fail',
      telemetry,
    ),
    'GET /api/health': endpoints.health,
    'GET /api/health/live': endpoints.live,
    'GET /api/health/ready': endpoints.ready,
    'GET /api/metrics': (request) => metrics.metricsHandler(request),
  }

  const server = createServer((req, res) => {
    void serve(req, res)
  })
  async function serve(req: IncomingMessage, res: ServerResponse) {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const handler = routes[`${req.method} ${url.pathname}`]
      const headers = new Headers()
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers.set(name, value)
      }
      const response = handler
        ? await handler(new Request(url, { method: req.method, headers }))
        : new Response('not found\n', { status: 404 })
      res.writeHead(response.status, Object.fromEntries(response.headers))
      res.end(Buffer.from(await response.arrayBuffer()))
    } catch (error) {
      res.writeHead(500).end(String(error))
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const baseUrl = `http://127.0.0.1:${port}`

  return {
    baseUrl,
    metricsUrl: `${baseUrl}/api/metrics`,
    async exercise() {
      const calls: [string, string][] = [
        ['GET', '/api/products'],
        ['GET', '/api/products'],
        ['GET', '/api/search'],
        ['POST', '/api/orders'],
        ['GET', '/api/fail'],
        ['GET', '/api/health'],
        ['GET', '/api/health/ready'],
      ]
      for (const [method, path] of calls) {
        const response = await fetch(`${baseUrl}${path}`, { method })
        await response.arrayBuffer()
      }
      // The last of runtimeMetrics' values in a collection: once it is registered, so are the others.
      const deadline = Date.now() + 5000
      while (!metrics.registry.getSingleMetric(RUNTIME_LAST_SERIES)) {
        if (Date.now() > deadline) throw new Error('runtimeMetrics collected nothing in 5 s')
        await new Promise((resolve) => setTimeout(resolve, RUNTIME_INTERVAL_MS / 2))
      }
    },
    async close() {
      runtime.stop()
      unpublish()
      await metrics.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
