import { createHealth, publishHealth } from '@vivr/core'
import { prometheusMetrics } from '@vivr/sink-prometheus'
import { expect, it } from 'vitest'
import { scrape } from './exposition.js'

it("core's publishHealth: health_check_status{check} (1 ok, 0.5 degraded, 0 error), health_check_latency_seconds and health_status per run", async () => {
  const sink = prometheusMetrics()
  let cache: 'ok' | 'error' = 'ok'
  const health = createHealth({
    includeMetrics: false,
    checks: [
      { name: 'database', run: () => {} },
      { name: 'cache', run: () => ({ status: cache }) },
      {
        name: 'payment',
        critical: false,
        run: () => ({ status: 'degraded', message: 'Stripe not configured' }),
      },
      {
        name: 'search',
        critical: false,
        timeoutMs: 50,
        run: () => new Promise(() => {}),
      },
    ],
  })
  const unsubscribe = publishHealth(health, sink)
  await health.run()
  let scraped = await scrape(sink.metricsHandler)
  const status = (check: string) => scraped.find('health_check_status', { check })?.value
  expect([status('database'), status('cache'), status('payment'), status('search')]).toEqual([1, 1, 0.5, 0])
  // A non-critical check timing out degrades the whole; the overall gauge says so, with no labels.
  expect(scraped.find('health_status')?.value).toBe(0.5)
  expect(scraped.types.get('health_check_latency_seconds')).toBe('gauge')
  const searchLatency = scraped.find('health_check_latency_seconds', { check: 'search' })?.value ?? 0
  expect(searchLatency).toBeGreaterThanOrEqual(0.04)
  expect(searchLatency).toBeLessThan(1)

  cache = 'error'
  await health.run()
  scraped = await scrape(sink.metricsHandler)
  expect(status('cache')).toBe(0)

  unsubscribe()
  cache = 'ok'
  await health.run()
  scraped = await scrape(sink.metricsHandler)
  expect(status('cache')).toBe(0)
})

it("uses the sink's prefix, like every other metric", async () => {
  const sink = prometheusMetrics({ prefix: 'vivr' })
  const health = createHealth({ includeMetrics: false, checks: [{ name: 'database', run: () => {} }] })
  publishHealth(health, sink)
  await health.run()
  const scraped = await scrape(sink.metricsHandler)
  expect(scraped.find('vivr_health_check_status', { check: 'database' })?.value).toBe(1)
  expect(scraped.find('vivr_health_status')?.value).toBe(1)
})
