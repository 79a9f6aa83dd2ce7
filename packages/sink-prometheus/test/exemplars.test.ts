import {
  httpTags,
  isSpanId,
  isTraceId,
  METRIC,
  newSpanId,
  newTraceId,
  OptionError,
  type TraceIds,
} from '@vivr/core'
import { currentTrace, withTrace } from '@vivr/core/node'
import { prometheusMetrics } from '@vivr/sink-prometheus'
import { hostileValue, throwingProxy } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { parseExposition } from './exposition.js'
import { PROMETHEUS_ACCEPT, parseOpenMetrics } from './openmetrics-reader.js'

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8'
const ids = (): TraceIds => ({ traceId: newTraceId(), spanId: newSpanId() })
const orders = httpTags('POST', '/api/orders', 201)

/** A sink whose active trace the test sets, as a request would. */
function traced(options: Parameters<typeof prometheusMetrics>[0] = {}) {
  let active: TraceIds | undefined
  const sink = prometheusMetrics({ trace: () => active, ...options })
  const within = (trace: TraceIds | undefined, fn: () => void) => {
    active = trace
    try {
      fn()
    } finally {
      active = undefined
    }
  }
  const get = (accept?: string, method = 'GET') =>
    sink.metricsHandler(
      new Request('http://127.0.0.1/metrics', { method, headers: accept === undefined ? {} : { accept } }),
    )
  const openMetrics = async () => {
    const response = await get(PROMETHEUS_ACCEPT)
    expect(response.headers.get('content-type')).toBe(OPENMETRICS)
    return parseOpenMetrics(await response.text())
  }
  return { sink, within, get, openMetrics }
}

describe('trace_id exemplars on histograms', () => {
  it('each bucket of the HTTP duration histogram keeps its last traced request, served as OpenMetrics', async () => {
    const { sink, within, openMetrics } = traced()
    const [fast, slow, slower] = [ids(), ids(), ids()]
    within(fast, () => sink.timing(METRIC.httpRequestDuration, 12, orders))
    within(slow, () => sink.timing(METRIC.httpRequestDuration, 180, orders))
    within(slower, () => sink.timing(METRIC.httpRequestDuration, 210, orders))
    sink.timing(METRIC.httpRequestDuration, 220, orders) // untraced: the bucket keeps its exemplar
    within(ids(), () => sink.timing(METRIC.httpRequestDuration, 60_000, orders)) // past every bound: +Inf

    const { samples, types } = await openMetrics()
    expect(types.get('http_request_duration_seconds')).toBe('histogram')
    const buckets = samples.filter((s) => s.name === 'http_request_duration_seconds_bucket')
    const exemplarOf = (le: string) => buckets.find((b) => b.labels.le === le)?.exemplar
    expect(exemplarOf('0.025')).toMatchObject({
      labels: { trace_id: fast.traceId, span_id: fast.spanId },
      value: 0.012,
    })
    expect(exemplarOf('0.25')).toMatchObject({ labels: { trace_id: slower.traceId }, value: 0.21 })
    expect(exemplarOf('+Inf')?.value).toBe(60)
    expect(buckets.filter((b) => b.exemplar).map((b) => b.labels.le)).toEqual(['0.025', '0.25', '+Inf'])
    for (const bucket of buckets)
      expect(bucket.labels).toMatchObject({ route: '/api/orders', status_code: '201' })
    const now = Date.now() / 1000
    expect(exemplarOf('0.25')?.timestamp).toBeGreaterThan(now - 60)
    expect(exemplarOf('0.25')?.timestamp).toBeLessThanOrEqual(now)
  })

  it('histograms carry them too; counters and gauges do not', async () => {
    const { sink, within, openMetrics } = traced()
    const trace = ids()
    within(trace, () => {
      sink.histogram('order.value', 42, { currency: 'EUR' })
      sink.increment(METRIC.httpRequests, 1, orders)
      sink.gauge(METRIC.cacheHitRate, 0.5)
    })
    const { samples } = await openMetrics()
    expect(samples.filter((s) => s.exemplar).map((s) => [s.name, s.exemplar?.labels.trace_id])).toEqual([
      ['order_value_bucket', trace.traceId],
    ])
  })

  it('the text format is unchanged: no exemplar, counters still end in _total after an OpenMetrics scrape', async () => {
    const { sink, within, get } = traced()
    within(ids(), () => {
      sink.increment(METRIC.httpRequests, 1, orders)
      sink.timing(METRIC.httpRequestDuration, 12, orders)
    })
    const before = await (await get()).text()
    await get(PROMETHEUS_ACCEPT)
    const after = await get()
    expect(after.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(await after.text()).toBe(before)
    expect(before).not.toContain('trace_id')
    expect(parseExposition(before).find('http_requests_total', { route: '/api/orders' })?.value).toBe(1)
  })

  it('by default the trace is core’s active one (currentTrace): a request’s, or withTrace’s', async () => {
    const sink = prometheusMetrics()
    let trace: TraceIds | undefined
    withTrace(() => {
      trace = currentTrace()
      sink.timing(METRIC.httpRequestDuration, 30, orders)
    })
    sink.timing(METRIC.httpRequestDuration, 3000, orders) // outside any trace: no exemplar
    const response = await sink.metricsHandler(
      new Request('http://x/metrics', { headers: { accept: PROMETHEUS_ACCEPT } }),
    )
    const { samples } = parseOpenMetrics(await response.text())
    expect(samples.filter((s) => s.exemplar).map((s) => [s.labels.le, s.exemplar?.labels])).toEqual([
      ['0.05', { trace_id: trace?.traceId, span_id: trace?.spanId }],
    ])
  })

  it('trace: false records none; a trace option that is not a function fails at construction', async () => {
    const sink = prometheusMetrics({ trace: false })
    sink.timing(METRIC.apiResponseTime, 12)
    const text = await (
      await sink.metricsHandler(new Request('http://x/metrics', { headers: { accept: PROMETHEUS_ACCEPT } }))
    ).text()
    expect(parseOpenMetrics(text).samples.some((s) => s.exemplar)).toBe(false)
    // @ts-expect-error: JavaScript callers can pass anything
    expect(() => prometheusMetrics({ trace: 'abc' })).toThrow(OptionError)
    // @ts-expect-error: JavaScript callers can pass anything
    expect(() => prometheusMetrics({ trace: true })).toThrow(/Invalid option trace/)
  })

  it('whatever the source returns or throws: the value is recorded, an exemplar only from valid ids', async () => {
    const sourceResult = fc.oneof(
      hostileValue().map((c) => () => c.make()),
      fc
        .record({
          traceId: fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-fA-F]{30,34}$/)),
          spanId: fc.string(),
        })
        .map((value) => () => value),
      fc.constant(() => ({ traceId: '0'.repeat(32), spanId: newSpanId() })),
      fc.constant(() => ({ traceId: newTraceId(), spanId: '0'.repeat(16) })),
      fc.constant(() => ({ traceId: `${newTraceId()}"} 1 # {x="`, spanId: newSpanId() })),
      fc.constant(() => throwingProxy()),
      fc.constant(() => {
        throw new Error('tracer broke')
      }),
      fc.constant(() => ids()),
    )
    await fc.assert(
      fc.asyncProperty(sourceResult, fc.double({ min: 0, max: 1e6, noNaN: true }), async (source, ms) => {
        const sink = prometheusMetrics({ trace: source as () => TraceIds | undefined })
        expect(() => sink.timing(METRIC.apiResponseTime, ms)).not.toThrow()
        const response = await sink.metricsHandler(
          new Request('http://x/metrics', { headers: { accept: PROMETHEUS_ACCEPT } }),
        )
        const { samples } = parseOpenMetrics(await response.text())
        expect(samples.find((s) => s.name === 'api_response_time_seconds_count')?.value).toBe(1)
        for (const { exemplar } of samples) {
          if (!exemplar) continue
          expect(isTraceId(exemplar.labels.trace_id)).toBe(true)
          if ('span_id' in exemplar.labels) expect(isSpanId(exemplar.labels.span_id)).toBe(true)
          expect(Object.keys(exemplar.labels).sort()).toEqual(
            'span_id' in exemplar.labels ? ['span_id', 'trace_id'] : ['trace_id'],
          )
        }
        expect(sink.stats().droppedInvalid).toBe(0)
      }),
      { seed: 1516, numRuns: 200 },
    )
  })
})

describe('metricsHandler speaks OpenMetrics to a scraper that asks for it', () => {
  it.each([
    ['Prometheus 2.x', PROMETHEUS_ACCEPT, true],
    ['OpenMetrics alone', 'application/openmetrics-text; version=1.0.0; charset=utf-8', true],
    ['OpenMetrics 0.0.1', 'application/openmetrics-text;version=0.0.1,text/plain;q=0.5,*/*;q=0.1', true],
    ['a tie', 'text/plain;version=0.0.4;q=1, application/openmetrics-text;q=1', true],
    ['upper case', 'APPLICATION/OpenMetrics-Text', true],
    ['no Accept', undefined, false],
    ['empty', '', false],
    ['*/*', '*/*', false],
    ['text/plain', 'text/plain', false],
    ['a browser', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', false],
    ['OpenMetrics at q=0', 'application/openmetrics-text;q=0', false],
    ['OpenMetrics below text', 'application/openmetrics-text;q=0.4,text/plain;q=0.5', false],
    ['a q that is no number', 'application/openmetrics-text;q=abc', false],
    ['another type', 'application/openmetrics-textual', false],
    ['OpenMetrics past 4,096 characters', `${'x'.repeat(10_000)},application/openmetrics-text`, false],
  ])('Accept: %s (%s) → OpenMetrics %s', async (_, accept, openMetrics) => {
    const { sink, get } = traced()
    sink.increment(METRIC.ordersCreated, 1)
    const response = await get(accept)
    expect(response.status).toBe(200)
    expect(response.headers.get('vary')).toBe('accept')
    const text = await response.text()
    if (openMetrics) {
      expect(response.headers.get('content-type')).toBe(OPENMETRICS)
      expect(parseOpenMetrics(text).samples).toEqual([
        expect.objectContaining({ name: 'orders_created_total', family: 'orders_created', value: 1 }),
      ])
    } else {
      expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
      expect(text).not.toContain('# EOF')
    }
  })

  it('HEAD answers the OpenMetrics headers with no body; a request whose headers throw gets the text format', async () => {
    const { sink, get } = traced()
    sink.increment(METRIC.ordersCreated, 1)
    const head = await get(PROMETHEUS_ACCEPT, 'HEAD')
    expect(head.headers.get('content-type')).toBe(OPENMETRICS)
    expect(await head.text()).toBe('')
    const hostile = Object.create(new Request('http://x/metrics'), {
      method: { value: 'GET' },
      headers: { get: () => throwingProxy() },
    }) as Request
    const response = await sink.metricsHandler(hostile)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  })

  it('renders your registry whole: your metrics, their exemplars, default labels, escaping, an empty family', async () => {
    const registry = new Registry()
    registry.setDefaultLabels({ service: 'store' })
    new Counter({ name: 'jobs_total', help: 'Jobs "run"\\done\nok', registers: [registry] }).inc(3)
    new Counter({ name: 'retries', help: 'no _total suffix', registers: [registry] }).inc()
    new Gauge({ name: 'queue_depth', help: 'depth', labelNames: ['queue'], registers: [registry] }).set(
      { queue: 'a "b"\nc\\d' },
      7,
    )
    new Histogram({ name: 'empty_seconds', help: 'never observed', registers: [registry] })
    const { sink, within, openMetrics } = traced({ registry })
    within(ids(), () => sink.timing(METRIC.httpRequestDuration, 40, orders))
    const { samples, types } = await openMetrics()
    expect(Object.fromEntries(types)).toMatchObject({
      jobs: 'counter',
      retries: 'counter',
      queue_depth: 'gauge',
      empty_seconds: 'histogram',
      http_request_duration_seconds: 'histogram',
    })
    expect(samples.find((s) => s.name === 'jobs_total')).toMatchObject({
      labels: { service: 'store' },
      value: 3,
    })
    expect(samples.find((s) => s.name === 'retries_total')?.value).toBe(1)
    expect(samples.find((s) => s.name === 'queue_depth')?.labels).toEqual({
      queue: 'a "b"\nc\\d',
      service: 'store',
    })
    expect(samples.some((s) => s.name === 'http_request_duration_seconds_bucket' && s.exemplar)).toBe(true)
    // prom-client's own rendering is untouched.
    expect(await registry.metrics()).toContain('jobs_total{service="store"} 3')
  })

  it('an exemplar prom-client holds is served as is; one over 128 characters or with odd values is left out', async () => {
    const registry = new Registry()
    const sink = prometheusMetrics({ registry })
    // A collector's own metric objects, as prom-client's OpenMetrics histograms would hand them over.
    registry.registerMetric(
      Object.assign(new Histogram({ name: 'own_seconds', help: 'h', buckets: [1], registers: [] }), {
        get: async () => ({
          name: 'own_seconds',
          help: 'h',
          type: 'histogram',
          aggregator: 'sum',
          values: [
            {
              labels: { le: 1 },
              value: 1,
              metricName: 'own_seconds_bucket',
              exemplar: { labelSet: { trace_id: 'abc' }, value: 0.5, timestamp: 1700000000.5 },
            },
            {
              labels: { le: '+Inf' },
              value: 2,
              metricName: 'own_seconds_bucket',
              exemplar: { labelSet: { trace_id: 'x'.repeat(121) }, value: 2, timestamp: 1700000001 },
            },
            {
              labels: {},
              value: 2.5,
              metricName: 'own_seconds_sum',
              exemplar: { labelSet: { trace_id: 'abc' }, value: 0.5 },
            },
            {
              labels: {},
              value: 2,
              metricName: 'own_seconds_count',
              exemplar: { labelSet: { n: 1 }, value: Number.NaN },
            },
          ],
        }),
      }),
    )
    const text = await (
      await sink.metricsHandler(new Request('http://x/metrics', { headers: { accept: PROMETHEUS_ACCEPT } }))
    ).text()
    expect(text).toContain('own_seconds_bucket{le="1"} 1 # {trace_id="abc"} 0.5 1700000000.5\n')
    expect(text).toContain('own_seconds_bucket{le="+Inf"} 2\n')
    expect(parseOpenMetrics(text).samples.filter((s) => s.exemplar)).toHaveLength(1)
  })
})
