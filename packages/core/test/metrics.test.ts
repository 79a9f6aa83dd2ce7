import { memoryLogger, memoryMetrics } from '@vivr/testkit'
import { describe, expect, it } from 'vitest'
import {
  createBusinessMetrics,
  createTechnicalMetrics,
  limitCardinality,
  type MetricSink,
  multiMetrics,
  noopMetrics,
  type Tags,
} from '../src/index.js'

describe('multiMetrics', () => {
  it('fans every call out to every sink; a throwing sink does not stop the others', async () => {
    const a = memoryMetrics()
    const b = memoryMetrics()
    const broken: MetricSink = {
      ...noopMetrics,
      increment: () => {
        throw new Error('sink down')
      },
      flush: () => Promise.reject(new Error('flush failed')),
    }
    const sink = multiMetrics(a, broken, b)
    sink.increment('http.requests', 1, { method: 'GET' })
    sink.gauge('cache.hit_rate', 0.9)
    sink.timing('http.request.duration', 12)
    sink.histogram('order.value', 50)
    await expect(sink.flush?.()).resolves.toBeUndefined()
    await expect(sink.close?.()).resolves.toBeUndefined()
    for (const m of [a, b]) {
      expect(m.calls.map((c) => `${c.kind}:${c.name}`)).toEqual([
        'increment:http.requests',
        'gauge:cache.hit_rate',
        'timing:http.request.duration',
        'histogram:order.value',
      ])
    }
    expect(a.total('http.requests', { method: 'GET' })).toBe(1)
  })
})

describe('limitCardinality', () => {
  it('folds new tag sets beyond the limit into "other" and warns once', () => {
    const inner = memoryMetrics()
    const logger = memoryLogger()
    const sink = limitCardinality(inner, { maxTagSets: 3, logger })
    for (let i = 0; i < 10; i++) sink.increment('http.requests', 1, { route: `/users/${i}`, method: 'GET' })
    sink.increment('http.requests', 1, { route: '/users/1', method: 'GET' })
    sink.increment('other.metric', 1, { route: '/users/9' })
    const routes = inner.find('http.requests').map((c) => c.tags.route)
    expect(routes.slice(0, 3)).toEqual(['/users/0', '/users/1', '/users/2'])
    expect(routes.slice(3, 10)).toEqual(Array(7).fill('other'))
    expect(inner.find('http.requests')[4]?.tags.method).toBe('other')
    expect(routes[10]).toBe('/users/1')
    expect(inner.find('other.metric')[0]?.tags.route).toBe('/users/9')
    expect(logger.find({ level: 'WARN', message: 'cardinality' })).toHaveLength(1)
  })

  it('treats tag order as irrelevant and validates its option', () => {
    const inner = memoryMetrics()
    const sink = limitCardinality(inner, { maxTagSets: 1 })
    sink.gauge('g', 1, { a: 1, b: 2 })
    sink.gauge('g', 1, { b: 2, a: 1 })
    expect(inner.calls.map((c) => c.tags)).toEqual([
      { a: 1, b: 2 },
      { b: 2, a: 1 },
    ])
    expect(() => limitCardinality(inner, { maxTagSets: 0 })).toThrow(/maxTagSets/)
  })
})

describe('KPI helpers', () => {
  it("use the guide's metric names and kinds", () => {
    const m = memoryMetrics()
    const business = createBusinessMetrics(m)
    const technical = createTechnicalMetrics(m)
    business.ordersCreated(2)
    business.revenueProcessed(199.5)
    business.conversionRate(0.031)
    business.averageOrderValue(64)
    business.customerSignups(1)
    business.cartAbandonment(1)
    technical.apiResponseTime(120)
    technical.databaseQueryTime(4)
    technical.cacheHitRate(0.92)
    technical.errorRate(1)
    technical.paymentFailureRate(0.01)
    technical.pageLoadTime(900, { page: '/products' })
    expect(m.calls.map((c) => `${c.kind} ${c.name} ${c.value}`)).toEqual([
      'increment orders.created 2',
      'gauge revenue.processed 199.5',
      'gauge conversion.rate 0.031',
      'gauge order.average_value 64',
      'increment customers.signups 1',
      'increment cart.abandoned 1',
      'timing api.response_time 120',
      'timing database.query.duration 4',
      'gauge cache.hit_rate 0.92',
      'increment errors.count 1',
      'gauge payments.failure_rate 0.01',
      'timing page.load_time 900',
    ])
    expect(m.calls.at(-1)?.tags).toEqual({ page: '/products' })
  })
})

describe('limitCardinality: what is not a tag set', () => {
  it('drops the data point, as every sink does, instead of sending it untagged', () => {
    const sent: unknown[] = []
    const sink = limitCardinality({
      increment: (_name, _value, tags) => sent.push(tags),
      gauge: () => {},
      timing: () => {},
      histogram: () => {},
    })
    sink.increment('a', 1, Buffer.from('xy') as unknown as Tags)
    sink.increment('a', 1, ['x'] as unknown as Tags)
    sink.increment('a', 1, Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`t${i}`, 'v'])))
    sink.increment('a', 1, { route: '/x' })
    expect(sent).toEqual([{ route: '/x' }])
  })
})
