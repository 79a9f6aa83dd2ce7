import type { MetricKind, MetricSink, Tags } from '@vivr/core'
import { describe, expect, it } from 'vitest'

export interface SentMetric {
  kind: MetricKind
  name: string
  value: number
  tags: Tags
}

export interface MetricSinkHarness {
  sink: MetricSink
  /**
   * Asserts that the backend received these calls, in the sink's own naming (e.g. DogStatsD lines or a
   * Prometheus scrape). Called after `flush()`.
   */
  expectDelivered(sent: readonly SentMetric[]): Promise<void>
  /** Releases the backend (listener, registry...). */
  dispose?(): Promise<void> | void
}

const SAMPLE: SentMetric[] = [
  { kind: 'increment', name: 'orders.created', value: 3, tags: { route: '/checkout', status_code: 201 } },
  { kind: 'gauge', name: 'conversion.rate', value: 0.42, tags: {} },
  { kind: 'timing', name: 'http.request.duration', value: 12.5, tags: { method: 'GET', cached: true } },
  { kind: 'histogram', name: 'order.average_value', value: 99.9, tags: { currency: 'EUR' } },
]

function send(sink: MetricSink, m: SentMetric): void {
  if (m.kind === 'increment') sink.increment(m.name, m.value, m.tags)
  else sink[m.kind](m.name, m.value, m.tags)
}

const HOSTILE_CALL_MS = 1500

/**
 * The behaviour every MetricSink must show, against its real backend (or a loopback server speaking its protocol).
 * The hostile-input case needs `fast-check` (loaded when it runs).
 */
export function describeMetricSinkContract(
  name: string,
  create: () => Promise<MetricSinkHarness> | MetricSinkHarness,
) {
  async function withHarness(body: (h: MetricSinkHarness) => Promise<void>) {
    const harness = await create()
    try {
      await body(harness)
    } finally {
      await harness.sink.close?.()
      await harness.dispose?.()
    }
  }

  describe(`${name} satisfies the MetricSink contract`, () => {
    it('delivers every kind of metric with its tags', async () => {
      await withHarness(async (h) => {
        for (const m of SAMPLE) send(h.sink, m)
        await h.sink.flush?.()
        await h.expectDelivered(SAMPLE)
      })
    })

    it('increment defaults to 1 and tags are optional', async () => {
      await withHarness(async (h) => {
        h.sink.increment('customers.signups')
        await h.sink.flush?.()
        await h.expectDelivered([{ kind: 'increment', name: 'customers.signups', value: 1, tags: {} }])
      })
    })

    it('never throws on odd input', async () => {
      await withHarness(async (h) => {
        const odd: Array<() => void> = [
          () => h.sink.increment('', 1),
          () => h.sink.gauge('x.nan', Number.NaN),
          () => h.sink.gauge('x.inf', Number.POSITIVE_INFINITY),
          () => h.sink.timing('x.neg', -5),
          () =>
            h.sink.histogram('weird name!|#@', 1, { 'tag with space': 'value:with|pipes,#', ünï: 'çødé ✓' }),
          () => h.sink.increment('x.tags', 1, { empty: '', long: 'v'.repeat(5000) }),
        ]
        for (const call of odd) expect(call).not.toThrow()
        await expect(h.sink.flush?.()).resolves.toBeUndefined()
      })
    })

    it('survives hostile names, values and tags: no throw, no stall, and it still flushes', async () => {
      const [{ default: fc }, { hostileMetricCall }] = await Promise.all([
        import('fast-check'),
        import('./hostile.js'),
      ])
      await withHarness(async (h) => {
        fc.assert(
          fc.property(hostileMetricCall(), (call) => {
            const [metric, value, tags] = call.args()
            const method = h.sink[call.kind] as (name: unknown, value: unknown, tags: unknown) => void
            const started = performance.now()
            expect(() => method.call(h.sink, metric, value, tags), call.label).not.toThrow()
            // Generous, for a loaded machine: a quadratic path on a 10 MB input takes far longer.
            expect(performance.now() - started, call.label).toBeLessThan(HOSTILE_CALL_MS)
          }),
          { seed: 4_101, numRuns: 120 },
        )
        await expect(h.sink.flush?.()).resolves.toBeUndefined()
      })
    })

    it('close resolves, is idempotent, and later calls do not throw', async () => {
      await withHarness(async (h) => {
        h.sink.increment('before.close')
        await expect(h.sink.close?.()).resolves.toBeUndefined()
        await expect(h.sink.close?.()).resolves.toBeUndefined()
        expect(() => h.sink.increment('after.close')).not.toThrow()
        expect(() => h.sink.timing('after.close', 1)).not.toThrow()
      })
    })
  })
}
