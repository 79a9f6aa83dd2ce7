import { METRIC, TAG } from '@vivr/core'
import { OTEL_HTTP_DURATION_BUCKETS, prometheusName } from '@vivr/sink-prometheus'
import { describe, expect, it } from 'vitest'
import { objectives } from '../slo/objectives.js'
import {
  BURN_RATE_ALERTS,
  defineSlos,
  errorBudgetOf,
  forSeconds,
  LATENCY_BUCKETS,
  PROMETHEUS,
  SLO_WINDOW_SECONDS,
  type SloSpec,
  SloSpecError,
  WINDOWS,
} from '../slo/spec.js'

const valid: SloSpec = {
  name: 'checkout-availability',
  description: 'Orders go through.',
  kind: 'availability',
  service: 'vivr-web',
  route: '/api/checkout',
  objective: 0.999,
  minRequests: 20,
}

describe('ops/slo/spec.ts: the typed SLO spec', () => {
  it("lists exactly the sink's default bucket bounds as latency thresholds", () => {
    expect([...LATENCY_BUCKETS]).toEqual([...OTEL_HTTP_DURATION_BUCKETS])
  })

  it('reads metric and label names from the kit vocabulary', () => {
    expect(PROMETHEUS.requests).toBe(prometheusName('increment', METRIC.httpRequests))
    expect(PROMETHEUS.requests).toBe('http_requests_total')
    expect(PROMETHEUS.durationBuckets).toBe('http_request_duration_seconds_bucket')
    expect(PROMETHEUS.statusCode).toBe(TAG.statusCode)
  })

  it("has the workbook's burn rates: each alert spends its share of a 30-day budget in its long window", () => {
    for (const alert of BURN_RATE_ALERTS) {
      expect(alert.factor * (WINDOWS[alert.longWindow] / SLO_WINDOW_SECONDS)).toBeCloseTo(
        alert.budgetSpent,
        3,
      )
      expect(WINDOWS[alert.shortWindow]).toBe(WINDOWS[alert.longWindow] / 12)
      expect(forSeconds(alert)).toBe(WINDOWS[alert.longWindow] / 30)
    }
    expect(BURN_RATE_ALERTS.map((a) => [a.severity, a.factor, a.longWindow, a.shortWindow])).toEqual([
      ['critical', 14.4, '1h', '5m'],
      ['critical', 6, '6h', '30m'],
      ['warning', 3, '1d', '2h'],
      ['warning', 1, '3d', '6h'],
    ])
  })

  it('derives the error budget without floating-point noise', () => {
    expect(errorBudgetOf(0.995)).toBe(0.005)
    expect(errorBudgetOf(0.9999)).toBe(0.0001)
    expect(errorBudgetOf(0.95)).toBe(0.05)
    expect(defineSlos([valid])[0]).toMatchObject({ window: '30d', errorBudget: 0.001 })
  })

  it("accepts the demo store's objectives", () => {
    expect(objectives.map((slo) => slo.name)).toEqual([
      'storefront-availability',
      'checkout-availability',
      'api-latency',
    ])
  })

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a name that is not kebab-case', { name: 'Checkout_SLO' }, /kebab-case/],
    ['no description', { description: ' ' }, /description/],
    ['a service with a quote', { service: 'web"' }, /service/],
    ['a raw path with a query', { route: '/api/checkout?x=1' }, /route/],
    ['an objective of 1', { objective: 1 }, /objective/],
    ['an objective too low for a 14.4× burn', { objective: 0.9 }, /100% errors/],
    ['an objective given as a percentage', { objective: 99.5 }, /objective/],
    ['a fractional minRequests', { minRequests: 2.5 }, /minRequests/],
    ['a zero minRequests', { minRequests: 0 }, /minRequests/],
    ['a 7-day window', { window: '7d' }, /30-day/],
  ])('rejects %s', (_, change, message) => {
    expect(() => defineSlos([{ ...valid, ...change } as SloSpec])).toThrow(SloSpecError)
    expect(() => defineSlos([{ ...valid, ...change } as SloSpec])).toThrow(message)
  })

  it('rejects a latency threshold that is not a bucket bound, at compile time and at run time', () => {
    const latency = { ...valid, kind: 'latency', thresholdSeconds: 0.5 } as const
    expect(defineSlos([latency])[0]).toMatchObject({ kind: 'latency', thresholdSeconds: 0.5 })
    // @ts-expect-error 0.3 s is no bucket bound: the compiler refuses it (tsc -p ops/tsconfig.json checks this line).
    const between: SloSpec = { ...latency, thresholdSeconds: 0.3 }
    expect(() => defineSlos([between])).toThrow(/0\.3 is not a bucket bound/)
    // Apps with their own buckets say so, and the check follows them.
    expect(() => defineSlos([between], { buckets: [0.1, 0.3, 1] })).not.toThrow()
  })

  it('rejects a kind it does not know, and an SLO defined twice', () => {
    // @ts-expect-error only 'availability' and 'latency' exist.
    const unknown: SloSpec = { ...valid, kind: 'throughput' }
    expect(() => defineSlos([unknown])).toThrow(/kind/)
    expect(() => defineSlos([valid, valid])).toThrow(/defined twice/)
  })
})
