import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTechnicalMetrics } from '@vivr/core'
import { type PrometheusMetrics, prometheusMetrics } from '@vivr/sink-prometheus'
import { afterAll, beforeAll, expect, it } from 'vitest'

async function freePort(): Promise<number> {
  const server = createTcpServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return address.port
}

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

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`${what} not seen within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`)
}

const sink = prometheusMetrics()
let metricsServer: Server
let prometheus: ChildProcess | undefined
let prometheusUrl: string
let dir: string
let logs = ''

beforeAll(async () => {
  const target = await serveMetrics(sink)
  metricsServer = target.server
  dir = mkdtempSync(join(tmpdir(), 'vivr-prometheus-'))
  const config = join(dir, 'prometheus.yml')
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: vivr',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${target.port}']`,
      '',
    ].join('\n'),
  )
  const port = await freePort()
  prometheusUrl = `http://127.0.0.1:${port}`
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.console.templates=${dir}`,
      `--web.console.libraries=${dir}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  prometheus.stdout?.on('data', (chunk) => (logs += chunk))
  prometheus.stderr?.on('data', (chunk) => (logs += chunk))
  await waitFor(
    'Prometheus ready',
    async () => ((await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined),
    15_000,
  ).catch((error) => {
    throw new Error(`${error.message}\n${logs}`)
  })
})

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus?.once('exit', resolve))
    prometheus.kill('SIGTERM')
    const timer = setTimeout(() => prometheus?.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  await new Promise<void>((resolve) => metricsServer?.close(() => resolve()))
  if (dir) rmSync(dir, { recursive: true, force: true })
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
