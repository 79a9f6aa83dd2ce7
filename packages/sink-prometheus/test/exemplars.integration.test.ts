import { spawnSync } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { newSpanId, newTraceId } from '@vivr/core'
import { createHttpTelemetry, recordHttpRequest } from '@vivr/core/node'
import { prometheusMetrics } from '@vivr/sink-prometheus'
import { memoryLogger } from '@vivr/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type PrometheusProcess, startPrometheus, waitFor } from './prometheus-process.js'

// A small app built from the kit, scraped by the real Prometheus with exemplar storage on: the trace id of a
// request's log lines comes back from Prometheus's exemplar API, next to the bucket its duration fell in.

interface ExemplarsResult {
  status: string
  data: Array<{
    seriesLabels: Record<string, string>
    exemplars: Array<{ labels: Record<string, string>; value: string; timestamp: number }>
  }>
}

const logger = memoryLogger()
// The default trace: core's currentTrace, the request's trace while core's request telemetry runs it.
const metrics = prometheusMetrics()
const http = createHttpTelemetry({ logger, metrics })
const scrapes: Array<{ accept: string; contentType: string | null }> = []
let app: Server
let prometheus: PrometheusProcess | undefined
let prometheusUrl: string

beforeAll(async () => {
  app = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://app')
    if (url.pathname === '/metrics') {
      const answer = await metrics.metricsHandler(
        new Request(`http://app${url.pathname}`, { headers: { accept: request.headers.accept ?? '' } }),
      )
      scrapes.push({ accept: request.headers.accept ?? '', contentType: answer.headers.get('content-type') })
      response.writeHead(answer.status, Object.fromEntries(answer.headers))
      response.end(await answer.text())
      return
    }
    // /api/orders?delay=ms, on core's request telemetry as the kit's adapters use it: continues the caller's
    // traceparent, logs in the request's context, and counts itself (http.requests, http.request.duration).
    const observed = http.begin((name) => request.headers[name])
    observed.run(() => {
      setTimeout(
        () => {
          logger.info('Order created', { route: '/api/orders' })
          for (const [name, value] of observed.responseHeaders) response.setHeader(name, value)
          response.end('ok')
          observed.finish({ method: 'POST', route: '/api/orders', statusCode: 201 })
        },
        Number(url.searchParams.get('delay') ?? 0),
      )
    })
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', () => resolve()))
  const appPort = (app.address() as AddressInfo).port

  prometheus = await startPrometheus({
    job: 'store',
    targetPort: appPort,
    flags: ['--enable-feature=exemplar-storage'],
  })
  prometheusUrl = prometheus.url
})

afterAll(async () => {
  await prometheus?.stop()
  await new Promise<void>((resolve) => app?.close(() => resolve()))
})

it('an exemplar Prometheus stored for the duration histogram carries the trace id of the request’s log lines', async () => {
  const started = Date.now() / 1000 - 5
  const sent: Record<'fast' | 'slow', string> = { fast: newTraceId(), slow: newTraceId() }
  for (const [kind, traceId] of Object.entries(sent)) {
    const response = await fetch(
      `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/orders?delay=${kind === 'slow' ? 120 : 0}`,
      {
        method: 'POST',
        headers: { traceparent: `00-${traceId}-${newSpanId()}-01`, 'x-request-id': `req-${kind}` },
      },
    )
    expect(await response.text()).toBe('ok')
  }

  const query = encodeURIComponent('http_request_duration_seconds_bucket{job="store"}')
  const exemplars = await waitFor(
    'the slow request’s exemplar',
    async () => {
      const response = await fetch(
        `${prometheusUrl}/api/v1/query_exemplars?query=${query}&start=${started}&end=${Date.now() / 1000 + 5}`,
      )
      const body = (await response.json()) as ExemplarsResult
      expect(body.status).toBe('success')
      const all = body.data.flatMap((series) =>
        series.exemplars.map((exemplar) => ({ series: series.seriesLabels, ...exemplar })),
      )
      return all.some((e) => e.labels.trace_id === sent.slow) &&
        all.some((e) => e.labels.trace_id === sent.fast)
        ? all
        : undefined
    },
    20_000,
  ).catch((error) => {
    throw new Error(`${error.message}\n${prometheus?.logs() ?? ''}`)
  })

  const slow = exemplars.find((e) => e.labels.trace_id === sent.slow)!
  // The same trace id in the request's log lines (its own and the access log), the span id too: the exemplar
  // leads to the request's logs and trace.
  const slowLines = logger.lines.filter((line) => line.requestId === 'req-slow')
  expect(slowLines.map((line) => line.message)).toEqual(['Order created', 'request completed'])
  for (const line of slowLines)
    expect(line).toMatchObject({ trace_id: sent.slow, span_id: slow.labels.span_id })
  expect(slow.labels).toEqual({ trace_id: sent.slow, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) })
  expect(slow.series).toMatchObject({
    __name__: 'http_request_duration_seconds_bucket',
    job: 'store',
    method: 'POST',
    route: '/api/orders',
    status_code: '201',
    le: '0.25',
  })
  expect(Number(slow.value)).toBeGreaterThanOrEqual(0.12)
  expect(Number(slow.value)).toBeLessThanOrEqual(0.25)
  const fast = exemplars.find((e) => e.labels.trace_id === sent.fast)!
  expect(Number(fast.series.le)).toBeLessThan(0.12)
  expect(logger.lines.find((line) => line.requestId === 'req-fast')?.trace_id).toBe(sent.fast)

  // Prometheus asked for OpenMetrics and got it, with no scrape error.
  expect(scrapes.length).toBeGreaterThan(0)
  expect(scrapes.every((s) => s.accept.startsWith('application/openmetrics-text'))).toBe(true)
  expect(scrapes.every((s) => s.contentType?.startsWith('application/openmetrics-text; version=1.0.0'))).toBe(
    true,
  )
  const targets = (await (await fetch(`${prometheusUrl}/api/v1/targets`)).json()) as {
    data: { activeTargets: Array<{ health: string; lastError: string }> }
  }
  expect(targets.data.activeTargets).toEqual([expect.objectContaining({ health: 'up', lastError: '' })])
}, 40_000)

it('promtool check metrics (2.42) reads the text format only: it refuses the exemplars Prometheus reads above', async () => {
  const sink = prometheusMetrics({ trace: () => ({ traceId: newTraceId(), spanId: newSpanId() }) })
  recordHttpRequest(sink, { method: 'GET', route: '/api/products', statusCode: 200 }, 42)
  const text = async (accept: string) =>
    (await sink.metricsHandler(new Request('http://app/metrics', { headers: { accept } }))).text()
  const promtool = (input: string) =>
    spawnSync('promtool', ['check', 'metrics'], { input, encoding: 'utf8', timeout: 10_000 })
  expect(promtool(await text('text/plain')).status).toBe(0)
  const refused = promtool(await text('application/openmetrics-text'))
  expect(refused.status).not.toBe(0)
  expect(`${refused.stdout}${refused.stderr}`).toMatch(/parsing error/)
})
