import { memoryMetrics } from '@vivr/testkit'
import { describe, expect, it } from 'vitest'
import {
  createHealth,
  METRIC,
  type MetricSink,
  multiMetrics,
  publishHealth,
  type ServiceCheckSink,
  type ServiceCheckStatus,
} from '../src/index.js'

function serviceCheckRecorder() {
  const checks: { name: string; status: ServiceCheckStatus; message?: string; tags?: unknown }[] = []
  const sink = {
    ...memoryMetrics(),
    serviceCheck: (
      name: string,
      status: ServiceCheckStatus,
      options?: { message?: string; tags?: unknown },
    ) => checks.push({ name, status, ...options }),
  } satisfies MetricSink & ServiceCheckSink
  return { sink, checks }
}

describe('publishHealth', () => {
  it('sends per-check status and latency, the overall status, and service checks where the sink takes them', async () => {
    const plain = memoryMetrics()
    const { sink: datadogLike, checks } = serviceCheckRecorder()
    const health = createHealth({
      includeMetrics: false,
      checks: [
        { name: 'database', run: () => {} },
        {
          name: 'payment',
          critical: false,
          run: () => {
            throw new Error('declined for Bearer sk_live_51Habcdefghijklmnop')
          },
        },
      ],
    })
    publishHealth(health, multiMetrics(plain, datadogLike))
    await health.run()

    const calls = plain.calls.map(
      (c) =>
        `${c.kind} ${c.name} ${JSON.stringify(c.tags ?? {})} ${c.name === METRIC.healthCheckLatency ? 'ms' : c.value}`,
    )
    // Each check's series as its result comes in (in the order the runs finish), the overall one with the report.
    expect(calls.slice(0, 4).sort()).toEqual([
      `gauge ${METRIC.healthCheckLatency} {"check":"database"} ms`,
      `gauge ${METRIC.healthCheckLatency} {"check":"payment"} ms`,
      `gauge ${METRIC.healthCheckStatus} {"check":"database"} 1`,
      `gauge ${METRIC.healthCheckStatus} {"check":"payment"} 0`,
    ])
    expect(calls[4]).toBe(`gauge ${METRIC.healthStatus} {} 0.5`)
    checks.sort((a, b) => a.name.localeCompare(b.name))
    expect(checks.map((c) => `${c.name}=${c.status}`)).toEqual([
      'health.database=ok',
      'health.payment=critical',
    ])
    expect(checks[1]?.message).toContain('declined')
    expect(checks[1]?.message).not.toContain('sk_live_51Habcdefghijklmnop')
  })

  it('publishes fresh results of any run (a readiness probe), never cached ones', async () => {
    const metrics = memoryMetrics()
    let runs = 0
    const health = createHealth({
      includeMetrics: false,
      checks: [
        { name: 'database', tags: ['ready'], cacheTtlMs: 60_000, run: () => void runs++ },
        { name: 'search', critical: false, run: () => {} },
      ],
    })
    publishHealth(health, metrics)
    await health.readinessHandler(new Request('http://x/ready'))
    await health.readinessHandler(new Request('http://x/ready'))
    expect(runs).toBe(1)
    expect(metrics.find(METRIC.healthCheckStatus).map((c) => c.tags)).toEqual([{ check: 'database' }])
    // No full report yet: no overall status.
    expect(metrics.find(METRIC.healthStatus)).toEqual([])
  })

  it('a sink that throws never reaches the health run, and unsubscribing stops the series', async () => {
    const throwing: MetricSink = {
      increment() {},
      timing() {},
      histogram() {},
      gauge() {
        throw new Error('backend down')
      },
    }
    const health = createHealth({ includeMetrics: false, checks: [{ name: 'database', run: () => {} }] })
    const stop = publishHealth(health, throwing)
    await expect(health.run()).resolves.toMatchObject({ status: 'healthy' })
    stop()
    const after = memoryMetrics()
    publishHealth(health, after)()
    await health.run()
    expect(after.calls).toEqual([])
  })
})
