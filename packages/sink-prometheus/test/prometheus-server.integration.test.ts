import { createServer, type Server } from 'node:http'
import { createTechnicalMetrics } from '@vivr/core'
import { type PrometheusMetrics, prometheusMetrics } from '@vivr/sink-prometheus'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type PrometheusProcess, startPrometheus, waitFor } from './prometheus-process.js'

/** Serves the sink's fetch-style handler over node:http, the way an adapter would. */
async function serveMetrics(sink: PrometheusMetrics): Promise<{ server: Server; port: number }> {
  const server = createServer(async (req, res) => {
    const response = await sink.metricsHandler(
      new Request(`http://127.0.0.1${req.url}`, { method: req.method }),
    )
    res.writeHead(response.status, Object.fromEntries(response.headers))
    res.end(await response.text())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return { server, port: address.port }
}

interface QueryResult {
  status: string
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> }
}

const sink = prometheusMetrics()
let metricsServer: Server
let prometheus: PrometheusProcess | undefined
let prometheusUrl: string

beforeAll(async () => {
  const target = await serveMetrics(sink)
  metricsServer = target.server
  prometheus = await startPrometheus({
    job: 'vivr',
    targetPort: target.port,
    extraGlobal: ['evaluation_interval: 1s'],
  })
  prometheusUrl = prometheus.url
})

afterAll(async () => {
  await prometheus?.stop()
  await new Promise<void>((resolve) => metricsServer?.close(() => resolve()))
})

async function query(expression: string) {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expression)}`)
  const body = (await response.json()) as QueryResult
  expect(body.status).toBe('success')
  return body.data.result
}

it('a real Prometheus scrapes the handler and answers the guide’s queries through its HTTP API', async () => {
  const technical = createTechnicalMetrics(sink)
  sink.increment('http.requests', 41, { endpoint: '/api/products', method: 'GET' })
  sink.increment('http.requests', 1, { endpoint: '/api/products', method: 'GET' })
  technical.apiResponseTime(180, { route: '/api/products' })
  technical.errorRate(3)

  // The guide's ServiceDown alert: up{job="vivr"} == 0
  const up = await waitFor('up{job="vivr"}', async () => (await query('up{job="vivr"}'))[0], 15_000)
  expect(up.value[1]).toBe('1')

  const requests = await waitFor(
    'http_requests_total',
    async () => (await query('http_requests_total{endpoint="/api/products"}'))[0],
    10_000,
  )
  expect(requests.metric).toMatchObject({ __name__: 'http_requests_total', job: 'vivr', method: 'GET' })
  expect(requests.value[1]).toBe('42')
  expect((await query('errors_total'))[0]?.value[1]).toBe('3')
  const p95 = await query('histogram_quantile(0.95, sum by (le) (api_response_time_seconds_bucket))')
  expect(Number(p95[0]?.value[1])).toBeGreaterThan(0.1)
  expect(Number(p95[0]?.value[1])).toBeLessThanOrEqual(0.25)
}, 30_000)
