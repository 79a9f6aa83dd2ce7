import { METRIC, newSpanId, newTraceId } from '@vivr/core'
import { createHttpTelemetry, createLogger } from '@vivr/core/node'
import { type CloudWatchLogsServer, extractEmfMetrics, startCloudWatchLogsServer } from '@vivr/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { cloudwatchLogs, cloudwatchMetrics } from '../src/index.js'
import { loopbackConfig } from './helpers.js'

let server: CloudWatchLogsServer

beforeAll(async () => {
  server = await startCloudWatchLogsServer()
})
afterAll(async () => {
  await server.close()
})

it('in one log group, a trace id finds the request’s log lines and the EMF record it is the exemplar of', async () => {
  const logGroupName = '/vivr/test/emf-trace'
  const destination = cloudwatchLogs({
    logGroupName,
    clientConfig: loopbackConfig(server),
    fallback: () => {},
  })
  // The kit's defaults: the logger and the EMF sink both read core's active trace.
  const logger = createLogger({ service: 'store', destinations: [destination] })
  const metrics = cloudwatchMetrics({ namespace: 'VIVR', dimensions: { service: 'store' }, destination })
  const http = createHttpTelemetry({ logger, metrics })

  // Three requests in one flush window, on core's request telemetry as the adapters use it; the second is slowest.
  const traces = [newTraceId(), newTraceId(), newTraceId()]
  for (const [i, traceId] of traces.entries()) {
    const headers: Record<string, string> = { traceparent: `00-${traceId}-${newSpanId()}-01` }
    const observed = http.begin((name) => headers[name])
    await observed.run(async () => {
      logger.info('Order created', { orderId: `ord_${i}` })
      await new Promise((resolve) => setTimeout(resolve, i === 1 ? 60 : 5))
    })
    observed.finish({ method: 'POST', route: '/api/orders', statusCode: 201 })
  }
  await metrics.flush?.()
  await destination.close()

  const messages = server.groupEvents(logGroupName).map((event) => event.message)
  const parsed = messages.map((message) => JSON.parse(message) as Record<string, unknown>)
  // Logs Insights: filter trace_id = "<the slow request's>"
  const found = parsed.filter((record) => record.trace_id === traces[1])
  expect(found.map((record) => record.message ?? 'EMF record')).toEqual([
    'Order created',
    'request completed',
    'EMF record',
  ])
  const record = found[2]!
  expect(record).toMatchObject({ route: '/api/orders', status_code: '201', 'http.requests': 3 })
  // The metrics CloudWatch extracts are unchanged: trace_id is no dimension.
  const { metrics: extracted, errors } = extractEmfMetrics([JSON.stringify(record)])
  expect(errors).toEqual([])
  expect(extracted.find((m) => m.name === METRIC.httpRequestDuration)?.values).toHaveLength(3)
  for (const metric of extracted) expect(metric.dimensions).not.toHaveProperty('trace_id')
  // The other requests' lines carry their own traces.
  for (const traceId of [traces[0], traces[2]]) {
    expect(parsed.filter((r) => r.trace_id === traceId).map((r) => r.message)).toEqual([
      'Order created',
      'request completed',
    ])
  }
})
