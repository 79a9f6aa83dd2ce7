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

    const calls = plain.calls.map((c) => `${c.kind} ${c.name} ${JSON.stringify(c.tags ?? {})}`)
    expect(calls).toEqual([
      `gauge ${METRIC.healthCheckStatus} {"check":"database"}`,
      `gauge ${METRIC.healthCheckLatency} {"check":"database"}`,
      `gauge ${METRIC.healthCheckStatus} {"check":"payment"}`,
      `gauge ${METRIC.healthCheckLatency} {"check":"payment"}`,
      `gauge ${METRIC.healthStatus} {}`,
    ])
    expect(plain.calls.map((c) => c.value).filter((_, i) => i % 2 === 0)).toEqual([1, 0, 0.5])
    expect(checks.map((c) => `${c.name}=${c.status}`)).toEqual([
      'health.database=ok',
      'health.payment=critical',
    ])
    expect(checks[1]?.message).toContain('declined')
    expect(checks[1]?.message).not.toContain('sk_live_51Habcdefghijklmnop')
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
