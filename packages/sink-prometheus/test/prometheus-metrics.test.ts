import { createTechnicalMetrics, OptionError } from '@vivr/core'
import {
  OTEL_HTTP_DURATION_BUCKETS,
  type PrometheusMetricsOptions,
  prometheusMetrics,
  prometheusName,
} from '@vivr/sink-prometheus'
import { memoryLogger } from '@vivr/testkit'
import { describeMetricSinkContract, type SentMetric } from '@vivr/testkit/contracts'
import { Counter, Gauge, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { scrape } from './exposition.js'

const labelsOf = (tags: SentMetric['tags']) =>
  Object.fromEntries(Object.entries(tags).map(([key, value]) => [key, String(value)]))

describeMetricSinkContract('prometheusMetrics', () => {
  const sink = prometheusMetrics()
  return {
    sink,
    async expectDelivered(sent) {
      const scraped = await scrape(sink.metricsHandler)
      for (const m of sent) {
        const name = sink.nameOf(m.kind, m.name)!
        const labels = labelsOf(m.tags)
        if (m.kind === 'increment' || m.kind === 'gauge') {
          expect(scraped.find(name, labels)?.value, name).toBe(m.value)
          expect(scraped.types.get(name)).toBe(m.kind === 'increment' ? 'counter' : 'gauge')
        } else {
          const value = m.kind === 'timing' ? m.value / 1000 : m.value
          expect(scraped.find(`${name}_sum`, labels)?.value, name).toBeCloseTo(value, 10)
          expect(scraped.find(`${name}_count`, labels)?.value).toBe(1)
          expect(scraped.types.get(name)).toBe('histogram')
        }
      }
    },
  }
})

describe('Prometheus names', () => {
  it.each([
    ['increment', 'http.requests', 'http_requests_total'],
    ['increment', 'errors.count', 'errors_total'],
    ['increment', 'orders.created', 'orders_created_total'],
    ['increment', 'requests_total', 'requests_total'],
    ['increment', 'database.slow_queries', 'slow_queries_total'],
    ['increment', 'slow_queries', 'slow_queries_total'],
    ['timing', 'http.request.duration', 'http_request_duration_seconds'],
    ['timing', 'api.response_time', 'api_response_time_seconds'],
    ['timing', 'database.query_time', 'database_query_time_seconds'],
    ['gauge', 'health.check.latency', 'health_check_latency_seconds'],
    ['gauge', 'health.check.status', 'health_check_status'],
    ['timing', 'database.query.duration', 'database_query_duration_seconds'],
    ['timing', 'render.latency_ms', 'render_latency_seconds'],
    ['gauge', 'cache.hit_rate', 'cache_hit_rate'],
    ['histogram', 'order.average_value', 'order_average_value'],
    ['gauge', '5xx.rate', '_5xx_rate'],
    ['gauge', 'weird name!|#@', 'weird_name'],
    ['gauge', 'checkout-page.views', 'checkout_page_views'],
  ] as const)('%s %s → %s', (kind, name, expected) => {
    expect(prometheusName(kind, name)).toBe(expected)
  })

  it('applies the prefix and lets names be overridden or the vocabulary renames be turned off', () => {
    expect(prometheusName('increment', 'http.requests', { prefix: 'vivr' })).toBe('vivr_http_requests_total')
    expect(prometheusName('increment', 'database.slow_queries', { names: {} })).toBe(
      'database_slow_queries_total',
    )
    expect(prometheusName('timing', 'checkout', { names: { checkout: 'checkout_step' } })).toBe(
      'checkout_step_seconds',
    )
    expect(prometheusName('gauge', '')).toBeUndefined()
    expect(prometheusName('increment', '...')).toBeUndefined()
  })

  it("produces every name the guide's dashboard and alert rules query", async () => {
    const sink = prometheusMetrics()
    const technical = createTechnicalMetrics(sink)
    technical.apiResponseTime(180)
    technical.databaseQueryTime(12)
    technical.errorRate(1)
    sink.increment('http.requests', 1, { endpoint: '/api/products', method: 'GET' })
    sink.increment('database.slow_queries', 1, { model: 'Product' })
    const scraped = await scrape(sink.metricsHandler)
    // rate(http_requests_total[1m]), rate(errors_total[5m]) > 0.05, slow_queries_total > 0,
    // histogram_quantile(0.95, database_query_duration_seconds), histogram_quantile(0.95, api_response_time_seconds)
    expect(scraped.types.get('http_requests_total')).toBe('counter')
    expect(scraped.types.get('errors_total')).toBe('counter')
    expect(scraped.types.get('slow_queries_total')).toBe('counter')
    expect(scraped.types.get('database_query_duration_seconds')).toBe('histogram')
    expect(scraped.types.get('api_response_time_seconds')).toBe('histogram')
    expect(scraped.find('api_response_time_seconds_bucket', { le: '0.25' })?.value).toBe(1)
  })
})

describe('prometheusMetrics', () => {
  it('sums increments, keeps the last gauge and observes timings in seconds in the OpenTelemetry buckets', async () => {
    const sink = prometheusMetrics()
    sink.increment('orders.created', 2, { channel: 'web' })
    sink.increment('orders.created', 3, { channel: 'web' })
    sink.gauge('conversion.rate', 0.1)
    sink.gauge('conversion.rate', 0.42)
    for (const ms of [3, 40, 40, 900, 20_000])
      sink.timing('http.request.duration', ms, { route: '/api/orders' })
    const scraped = await scrape(sink.metricsHandler)
    expect(scraped.find('orders_created_total', { channel: 'web' })?.value).toBe(5)
    expect(scraped.find('conversion_rate')?.value).toBe(0.42)
    const buckets = scraped.all('http_request_duration_seconds_bucket', { route: '/api/orders' })
    expect(buckets.map((b) => b.labels.le)).toEqual([...OTEL_HTTP_DURATION_BUCKETS.map(String), '+Inf'])
    const at = (le: string) => buckets.find((b) => b.labels.le === le)?.value
    expect([at('0.005'), at('0.025'), at('0.05'), at('1'), at('10'), at('+Inf')]).toEqual([1, 1, 3, 4, 4, 5])
    expect(scraped.find('http_request_duration_seconds_sum')?.value).toBeCloseTo(20.983, 10)
    expect(scraped.find('http_request_duration_seconds_count')?.value).toBe(5)
  })

  it('takes custom buckets, globally and per metric', async () => {
    const sink = prometheusMetrics({
      buckets: [0.1, 1],
      bucketsByName: { 'order.average_value': [10, 100, 1000] },
    })
    sink.timing('api.response_time', 50)
    sink.histogram('order.average_value', 99.9)
    const scraped = await scrape(sink.metricsHandler)
    expect(scraped.all('api_response_time_seconds_bucket').map((b) => b.labels.le)).toEqual([
      '0.1',
      '1',
      '+Inf',
    ])
    expect(scraped.all('order_average_value_bucket').map((b) => [b.labels.le, b.value])).toEqual([
      ['10', 0],
      ['100', 1],
      ['1000', 1],
      ['+Inf', 1],
    ])
  })

  it('turns tags into sanitized labels; tag order does not split a series', async () => {
    const sink = prometheusMetrics()
    sink.increment('http.requests', 1, {
      endpoint: '/api/products',
      method: 'GET',
      'status.code': 200,
      cached: true,
    })
    sink.increment('http.requests', 1, {
      cached: true,
      'status.code': 200,
      method: 'GET',
      endpoint: '/api/products',
    })
    sink.histogram('basket.size', 3, { le: 'x', __name__: 'y', '1st': 'z' })
    const scraped = await scrape(sink.metricsHandler)
    expect(scraped.all('http_requests_total')).toEqual([
      {
        name: 'http_requests_total',
        labels: { endpoint: '/api/products', method: 'GET', status_code: '200', cached: 'true' },
        value: 2,
      },
    ])
    expect(scraped.find('basket_size_count')?.labels).toEqual({ le_: 'x', _name__: 'y', _1st: 'z' })
  })

  it('takes a metric later used with other tag keys without throwing (prom-client alone throws)', async () => {
    const raw = new Counter<string>({ name: 'raw_total', help: 'h', labelNames: ['route'], registers: [] })
    expect(() => raw.inc({ route: '/a', method: 'GET' })).toThrow(/not included in initial labelset/)

    const sink = prometheusMetrics()
    sink.increment('http.requests', 1, { route: '/a' })
    expect(() => sink.increment('http.requests', 1, { route: '/a', method: 'GET' })).not.toThrow()
    sink.increment('http.requests')
    const scraped = await scrape(sink.metricsHandler)
    expect(scraped.all('http_requests_total').map((s) => [s.labels, s.value])).toEqual([
      [{ route: '/a' }, 1],
      [{ route: '/a', method: 'GET' }, 1],
      [{}, 1],
    ])
  })

  it('folds label values into "other" past maxTagSets, with one warning per metric', async () => {
    const logger = memoryLogger()
    const sink = prometheusMetrics({ maxTagSets: 3, logger })
    for (let i = 0; i < 10; i++) sink.increment('http.requests', 1, { route: `/users/${i}` })
    sink.increment('http.requests', 5, { route: '/users/0' })
    const scraped = await scrape(sink.metricsHandler)
    expect(scraped.all('http_requests_total').map((s) => [s.labels.route, s.value])).toEqual([
      ['/users/0', 6],
      ['/users/1', 1],
      ['/users/2', 1],
      ['other', 7],
    ])
    expect(logger.find({ level: 'WARN', message: 'label-set limit' })).toEqual([
      expect.objectContaining({ metric: 'http_requests_total', maxTagSets: 3 }),
    ])
    expect(sink.stats()).toMatchObject({ series: 4, foldedLabelSets: 7 })
  })

  it('drops and counts values a Prometheus metric cannot take, never throwing', async () => {
    const sink = prometheusMetrics()
    sink.increment('errors.count', -1)
    sink.gauge('x.nan', Number.NaN)
    sink.timing('x.neg', -5)
    sink.histogram('x.inf', Number.POSITIVE_INFINITY)
    sink.increment('')
    sink.gauge('x.ok', -3)
    expect(sink.stats()).toMatchObject({ droppedInvalid: 5, metrics: 1 })
    expect((await scrape(sink.metricsHandler)).find('x_ok')?.value).toBe(-3)
  })

  it('drops a call whose name is taken by another type, here or in your registry, warning once', async () => {
    const registry = new Registry()
    const yours = new Counter({ name: 'checkout_total', help: 'yours', registers: [registry] })
    yours.inc(7)
    const logger = memoryLogger()
    const sink = prometheusMetrics({ registry, logger })
    sink.gauge('queue.depth', 3)
    sink.histogram('queue.depth', 1)
    sink.histogram('queue.depth', 2)
    sink.increment('checkout')
    sink.histogram('latency', 1)
    sink.gauge('latency.count', 1)
    const scraped = await scrape(sink.metricsHandler)
    expect(scraped.find('queue_depth')?.value).toBe(3)
    expect(scraped.find('checkout_total')?.value).toBe(7)
    expect(scraped.types.get('latency_count')).toBeUndefined()
    expect(sink.stats().droppedConflict).toBe(4)
    expect(logger.find({ level: 'WARN' })).toHaveLength(3)
  })

  it('serves your registry: your metrics beside ours, resetMetrics clears ours too', async () => {
    const registry = new Registry()
    new Gauge({ name: 'app_info', help: 'build', labelNames: ['version'], registers: [registry] }).set(
      { version: '1.4.0' },
      1,
    )
    const sink = prometheusMetrics({ registry, prefix: 'vivr' })
    sink.increment('orders.created')
    let scraped = await scrape(sink.metricsHandler)
    expect(scraped.find('app_info')?.labels).toEqual({ version: '1.4.0' })
    expect(scraped.find('vivr_orders_created_total')?.value).toBe(1)
    registry.resetMetrics()
    scraped = await scrape(sink.metricsHandler)
    expect(scraped.all('vivr_orders_created_total')).toEqual([])
    sink.increment('orders.created')
    expect((await scrape(sink.metricsHandler)).find('vivr_orders_created_total')?.value).toBe(1)
  })

  it('answers GET and HEAD in the text format, 405 otherwise, and 500 when a collector fails', async () => {
    const registry = new Registry()
    const sink = prometheusMetrics({ registry })
    sink.increment('orders.created')
    const get = await sink.metricsHandler(new Request('http://127.0.0.1/metrics'))
    expect(get.status).toBe(200)
    expect(get.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(await get.text()).toContain('orders_created_total 1')
    const head = await sink.metricsHandler(new Request('http://127.0.0.1/metrics', { method: 'HEAD' }))
    expect([head.status, await head.text()]).toEqual([200, ''])
    const post = await sink.metricsHandler(new Request('http://127.0.0.1/metrics', { method: 'POST' }))
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD'])

    new Gauge({
      name: 'broken',
      help: 'a collector that throws',
      registers: [registry],
      collect() {
        throw new Error('pool stats failed for postgres://app:hunter2@db/shop')
      },
    })
    const failed = await sink.metricsHandler(new Request('http://127.0.0.1/metrics'))
    expect(failed.status).toBe(500)
    const body = await failed.text()
    expect(body).toContain('pool stats failed')
    expect(body).not.toContain('hunter2')
  })

  it('follows an OpenMetrics registry: its content type, counters with _total, # EOF', async () => {
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>()
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
    const sink = prometheusMetrics({ registry })
    sink.increment('orders.created', 2)
    sink.timing('api.response_time', 100)
    const response = await sink.metricsHandler(new Request('http://127.0.0.1/metrics'))
    expect(response.headers.get('content-type')).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    )
    const text = await response.text()
    expect(text).toContain('# TYPE orders_created counter\norders_created_total 2')
    expect(text).toContain('api_response_time_seconds_count 1')
    expect(text.endsWith('# EOF\n')).toBe(true)
  })

  it('collects the default Node.js metrics on request, once per registry', async () => {
    const registry = new Registry()
    const logger = memoryLogger()
    prometheusMetrics({ registry, defaultMetrics: true })
    const second = prometheusMetrics({ registry, defaultMetrics: true, logger })
    const scraped = await scrape(second.metricsHandler)
    expect(scraped.types.get('process_cpu_user_seconds_total')).toBe('counter')
    expect(scraped.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge')
    expect(logger.find({ level: 'WARN', message: 'default metrics' })).toHaveLength(1)
    expect((await scrape(prometheusMetrics().metricsHandler)).samples).toEqual([])
  })

  it('after close, drops and counts calls but still serves what it had', async () => {
    const sink = prometheusMetrics()
    sink.increment('orders.created')
    await sink.close()
    sink.increment('orders.created')
    sink.timing('x', 1)
    expect(sink.stats().droppedAfterClose).toBe(2)
    expect((await scrape(sink.metricsHandler)).find('orders_created_total')?.value).toBe(1)
  })

  it.each([
    ['registry', {}, /Invalid option registry: expected a prom-client Registry/],
    ['prefix', '..', /Invalid option prefix/],
    ['buckets', [], /Invalid option buckets: expected a non-empty array/],
    ['buckets', [1, 0.5], /Invalid option buckets/],
    ['bucketsByName', { x: [Number.NaN] }, /Invalid option bucketsByName.x/],
    ['maxTagSets', 0, /Invalid option maxTagSets: expected a positive integer, got 0/],
    [
      'maxLabelSets',
      5,
      /Invalid option maxLabelSets: expected maxTagSets instead \(maxLabelSets was renamed\), got 5/,
    ],
    ['defaultMetrics', 'yes', /Invalid option defaultMetrics/],
    ['names', { x: 3 }, /Invalid option names.x/],
    ['help', 'text', /Invalid option help/],
    ['logger', {}, /Invalid option logger/],
  ])('rejects %s = %j at construction, naming the option', (option, value, message) => {
    const options = { [option]: value } as PrometheusMetricsOptions
    expect(() => prometheusMetrics(options)).toThrow(OptionError)
    expect(() => prometheusMetrics(options)).toThrow(message)
  })
})
