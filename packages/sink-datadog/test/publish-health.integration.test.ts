import { createHealth, publishHealth } from '@vivr/core'
import { datadogMetrics } from '@vivr/sink-datadog'
import { startStatsdListener } from '@vivr/testkit'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { GLOBAL_TAGS, pinDatadogEnv } from './env.js'

beforeEach(() => pinDatadogEnv())
afterEach(() => vi.unstubAllEnvs())

it("core's publishHealth: a service check, a latency gauge and a status gauge per check, and the overall status, on every run", async () => {
  const listener = await startStatsdListener()
  const sink = datadogMetrics({ host: '127.0.0.1', port: listener.port })
  try {
    const health = createHealth({
      includeMetrics: false,
      checks: [
        { name: 'database', run: () => {} },
        { name: 'cache', run: () => ({ status: 'degraded', message: 'slow: 180 ms' }) },
        {
          name: 'payment',
          critical: false,
          run: () => {
            throw new Error('Stripe rejected Bearer sk_live_51Habcdefghijklmnop')
          },
        },
      ],
    })
    const unsubscribe = publishHealth(health, sink)
    await health.run()
    await sink.flush()
    await listener.waitForLines(10)

    const tags = (check: string) => [...GLOBAL_TAGS, `check:${check}`]
    // In the order the checks finished (not the order they were declared in): sorted by name here.
    expect(
      listener.serviceChecks
        .map(({ name, status, tags, message }) => ({ name, status, tags, message }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual([
      { name: 'vivr.health.cache', status: 1, tags: tags('cache'), message: 'slow: 180 ms' },
      { name: 'vivr.health.database', status: 0, tags: tags('database'), message: undefined },
      { name: 'vivr.health.payment', status: 2, tags: tags('payment'), message: expect.any(String) },
    ])
    const payment = listener.serviceChecks.find((c) => c.name === 'vivr.health.payment')?.message ?? ''
    expect(payment).toContain('Stripe rejected')
    expect(payment).not.toContain('sk_live_51Habcdefghijklmnop')

    expect(listener.metrics.find((m) => m.name === 'vivr.health.status')?.value).toBe(0.5)
    const gauges = listener.metrics.filter((m) => m.name === 'vivr.health.check.status')
    expect(gauges.map((g) => [g.tags.at(-1), g.value, g.type]).sort()).toEqual([
      ['check:cache', 0.5, 'g'],
      ['check:database', 1, 'g'],
      ['check:payment', 0, 'g'],
    ])
    const latencies = listener.metrics.filter((m) => m.name === 'vivr.health.check.latency')
    expect(latencies.map((l) => l.tags.at(-1)).sort()).toEqual([
      'check:cache',
      'check:database',
      'check:payment',
    ])
    for (const latency of latencies) {
      expect(latency.type).toBe('g')
      expect(latency.value).toBeGreaterThanOrEqual(0)
    }

    unsubscribe()
    listener.clear()
    await health.run()
    await sink.flush()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(listener.lines).toEqual([])
  } finally {
    await sink.close()
    await listener.close()
  }
})

it('uses health.<name> without a prefix and keeps publishing when a run fails a check', async () => {
  const listener = await startStatsdListener()
  const sink = datadogMetrics({ host: '127.0.0.1', port: listener.port, prefix: '' })
  let up = true
  try {
    const health = createHealth({
      includeMetrics: false,
      checks: [{ name: 'cache', run: () => (up ? undefined : { status: 'error' }) }],
    })
    publishHealth(health, sink)
    await health.run()
    up = false
    await health.run()
    await sink.flush()
    // 2 service checks; the gauges of one interval are aggregated to their last values (3 gauges).
    await listener.waitForLines(5)
    expect(listener.metrics.find((m) => m.name === 'health.check.status')?.value).toBe(0)
    expect(listener.metrics.find((m) => m.name === 'health.status')?.value).toBe(0)
    expect(listener.serviceChecks.map((c) => `${c.name}=${c.status}`)).toEqual([
      'health.cache=0',
      'health.cache=2',
    ])
  } finally {
    await sink.close()
    await listener.close()
  }
})
