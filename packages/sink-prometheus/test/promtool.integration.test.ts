import { spawnSync } from 'node:child_process'
import { createHealth, createTechnicalMetrics, publishHealth } from '@vivr/core'
import { type PrometheusMetrics, prometheusMetrics } from '@vivr/sink-prometheus'
import { describe, expect, it } from 'vitest'

/** `promtool check metrics` (Debian's prometheus package): parses the exposition and lints names and types. */
function promtool(exposition: string) {
  const result = spawnSync('promtool', ['check', 'metrics'], {
    input: exposition,
    encoding: 'utf8',
    timeout: 10_000,
  })
  if (result.error) throw result.error
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() }
}

async function exposition(sink: PrometheusMetrics): Promise<string> {
  return (await sink.metricsHandler(new Request('http://127.0.0.1/metrics'))).text()
}

describe('the exposition passes promtool check metrics', () => {
  it('for every kind, odd names, awkward label values, folded labels and health gauges', async () => {
    const sink = prometheusMetrics({ maxTagSets: 5 })
    const technical = createTechnicalMetrics(sink)
    technical.apiResponseTime(180, { route: '/api/products' })
    technical.databaseQueryTime(12, { table: 'product' })
    technical.cacheHitRate(0.93)
    technical.errorRate(2, { type: 'api_error' })
    technical.pageLoadTime(1200)
    sink.increment('http.requests', 1, { endpoint: '/api/products', method: 'GET', status_code: 200 })
    sink.increment('database.slow_queries', 1, { model: 'Product' })
    sink.histogram('order.average_value', 99.9, { currency: 'EUR' })
    sink.histogram('weird name!|#@', 1, { 'tag with space': 'value:with|pipes,#', ünï: 'çødé ✓', le: '1' })
    sink.gauge('x.quotes', 1, { text: 'a "quoted" back\\slash\nnew line', empty: '', long: 'v'.repeat(5000) })
    sink.increment('http.requests', 1, { endpoint: '/api/products' })
    for (let i = 0; i < 20; i++) sink.increment('user.visits', 1, { user: `u${i}` })
    const health = createHealth({
      includeMetrics: false,
      checks: [
        { name: 'database', run: () => {} },
        { name: 'payment', run: () => ({ status: 'degraded', message: 'Stripe not configured' }) },
      ],
    })
    publishHealth(health, sink)
    await health.run()

    const text = await exposition(sink)
    expect(text).toContain('user_visits_total{user="other"} 15')
    expect(text).toContain('health_check_status{check="payment"} 0.5')
    expect(promtool(text)).toEqual({ status: 0, output: '' })
  })

  it('promtool does catch a broken exposition (the check can fail)', async () => {
    const sink = prometheusMetrics()
    sink.increment('orders.created')
    const broken = (await exposition(sink)).replace('orders_created_total 1', 'orders_created_total{ 1')
    expect(promtool(broken).status).not.toBe(0)
  })
})
