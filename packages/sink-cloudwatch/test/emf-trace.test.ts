import { httpTags, isTraceId, METRIC, newSpanId, newTraceId, OptionError, type TraceIds } from '@vivr/core'
import { currentTrace, withTrace } from '@vivr/core/node'
import { extractEmfMetrics, parseEmf } from '@vivr/testkit'
import { hostileValue } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cloudwatchMetrics } from '../src/index.js'
import { manualClock } from './manual-clock.js'

/** A sink over a memory destination whose active trace the test sets, as a request would. */
function traced(options: { flushIntervalMs?: number } = {}) {
  const lines: string[] = []
  let active: TraceIds | undefined
  const clock = manualClock()
  const sink = cloudwatchMetrics({
    destination: { write: (line) => lines.push(line) },
    dimensions: { service: 'api' },
    clock,
    trace: () => active,
    ...options,
  })
  /** Runs `fn` as if inside a request of this trace. */
  const within = (trace: TraceIds | undefined, fn: () => void) => {
    active = trace
    try {
      fn()
    } finally {
      active = undefined
    }
  }
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  return { sink, lines, records, within, clock }
}

const ids = (): TraceIds => ({ traceId: newTraceId(), spanId: newSpanId() })
const orders = httpTags('POST', '/api/orders', 201)

describe('the trace id in EMF records', () => {
  it('a record aggregating a window carries the trace of its slowest request, as a property, not a dimension', async () => {
    const { sink, lines, records, within } = traced()
    const [fast, slow, medium] = [ids(), ids(), ids()]
    for (const [trace, ms] of [
      [fast, 12],
      [slow, 480],
      [medium, 95],
    ] as const) {
      within(trace, () => {
        sink.increment(METRIC.httpRequests, 1, orders)
        sink.timing(METRIC.httpRequestDuration, ms, orders)
      })
    }
    await sink.flush?.()
    expect(records()).toHaveLength(1)
    expect(records()[0]).toMatchObject({ trace_id: slow.traceId, 'http.request.duration': [12, 480, 95] })
    const { metrics, errors } = extractEmfMetrics(lines)
    expect(errors).toEqual([])
    for (const metric of metrics) expect(Object.keys(metric.dimensions)).not.toContain('trace_id')
    expect(metrics.find((m) => m.name === METRIC.httpRequests)?.values).toEqual([3])
  })

  it('a record of counters and gauges carries the trace of the last call that had one', async () => {
    const { sink, records, within } = traced()
    const [first, last] = [ids(), ids()]
    within(first, () => sink.increment(METRIC.ordersCreated, 1))
    within(last, () => sink.gauge(METRIC.cacheHitRate, 0.9))
    sink.increment(METRIC.ordersCreated, 1) // no trace: keeps the record's
    await sink.flush?.()
    expect(records()).toEqual([expect.objectContaining({ trace_id: last.traceId, 'orders.created': 2 })])
  })

  it('ties between equal samples go to the later call; a histogram sample counts like a timing', async () => {
    const { sink, records, within } = traced()
    const [a, b, c] = [ids(), ids(), ids()]
    within(a, () => sink.timing(METRIC.apiResponseTime, 30))
    within(b, () => sink.timing(METRIC.apiResponseTime, 30))
    within(c, () => sink.increment(METRIC.ordersCreated, 1))
    await sink.flush?.()
    expect(records()[0]?.trace_id).toBe(b.traceId)

    within(a, () => sink.histogram('order.value', 250))
    within(b, () => sink.histogram('order.value', 40))
    await sink.flush?.()
    expect(records()[1]?.trace_id).toBe(a.traceId)
  })

  it('with flushIntervalMs: 0 each call is its own record, with its own trace', () => {
    const { sink, records, within } = traced({ flushIntervalMs: 0 })
    const traces = [ids(), ids(), ids()]
    for (const [i, trace] of traces.entries()) {
      within(trace, () => sink.timing(METRIC.httpRequestDuration, 10 + i, orders))
    }
    sink.increment(METRIC.ordersCreated, 1)
    expect(records().map((r) => r.trace_id)).toEqual([...traces.map((t) => t.traceId), undefined])
  })

  it('records split by dimensions each carry their own trace; a timer-written record too', () => {
    const { sink, records, within, clock } = traced()
    const [checkout, cart] = [ids(), ids()]
    within(checkout, () => sink.timing(METRIC.httpRequestDuration, 40, httpTags('POST', '/checkout', 200)))
    within(cart, () => sink.timing(METRIC.httpRequestDuration, 40, httpTags('GET', '/cart', 200)))
    clock.advance(1000)
    const byRoute = Object.fromEntries(records().map((r) => [r.route, r.trace_id]))
    expect(byRoute).toEqual({ '/checkout': checkout.traceId, '/cart': cart.traceId })
  })

  it('a tag or a metric named trace_id keeps its value: the dimension is never rewritten', async () => {
    const { sink, records, lines, within } = traced()
    within(ids(), () => sink.increment(METRIC.ordersCreated, 1, { trace_id: 'tenant-7' }))
    await sink.flush?.()
    expect(records()[0]?.trace_id).toBe('tenant-7')
    expect(extractEmfMetrics(lines).metrics[0]?.dimensions).toMatchObject({ trace_id: 'tenant-7' })
  })

  it('by default the trace is core’s active one (currentTrace): a request’s, or withTrace’s', () => {
    const lines: string[] = []
    const sink = cloudwatchMetrics({ destination: { write: (line) => lines.push(line) }, flushIntervalMs: 0 })
    let trace: TraceIds | undefined
    withTrace(() => {
      trace = currentTrace()
      sink.increment(METRIC.ordersCreated, 1)
    })
    sink.increment(METRIC.ordersCreated, 1)
    expect(lines.map((line) => JSON.parse(line).trace_id)).toEqual([trace?.traceId, undefined])
  })

  it('trace: false writes none; a trace option that is not a function fails at construction', async () => {
    const lines: string[] = []
    const sink = cloudwatchMetrics({
      destination: { write: (line) => lines.push(line) },
      flushIntervalMs: 0,
      trace: false,
    })
    sink.timing(METRIC.apiResponseTime, 5)
    expect(JSON.parse(lines[0]!)).not.toHaveProperty('trace_id')
    // @ts-expect-error: JavaScript callers can pass anything
    expect(() => cloudwatchMetrics({ trace: 'abc' })).toThrow(OptionError)
    // @ts-expect-error: JavaScript callers can pass anything
    expect(() => cloudwatchMetrics({ trace: true })).toThrow(/Invalid option trace/)
  })

  it('whatever the source returns or throws, only a valid trace id is written, and every value is kept', () => {
    const sourceResult = fc.oneof(
      hostileValue().map((c) => () => c.make()),
      fc
        .record({
          traceId: fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-fA-F]{30,34}$/)),
          spanId: fc.string(),
        })
        .map((value) => () => value),
      fc.constant(() => ({ traceId: '0'.repeat(32), spanId: newSpanId() })),
      fc.constant(() => ({ traceId: `${newTraceId()}\n`, spanId: newSpanId() })),
      fc.constant(() => {
        throw new Error('tracer broke')
      }),
      fc.constant(() => ({
        get traceId(): string {
          throw new Error('getter')
        },
      })),
      fc.constant(() => ids()),
    )
    fc.assert(
      fc.property(sourceResult, fc.integer({ min: 0, max: 1000 }), (source, value) => {
        const lines: string[] = []
        let expected: unknown
        const sink = cloudwatchMetrics({
          destination: { write: (line) => lines.push(line) },
          flushIntervalMs: 0,
          trace: () => {
            const result = source() as TraceIds | undefined
            try {
              expected = result?.traceId
            } catch {
              expected = undefined
            }
            return result
          },
        })
        expect(() => sink.timing(METRIC.apiResponseTime, value)).not.toThrow()
        expect(lines).toHaveLength(1)
        const record = JSON.parse(lines[0]!) as Record<string, unknown>
        expect(parseEmf(lines[0]!)).toEqual({ metrics: [expect.objectContaining({ values: [value] })] })
        if ('trace_id' in record) {
          expect(isTraceId(record.trace_id)).toBe(true)
          expect(record.trace_id).toBe(expected)
        } else expect(isTraceId(expected)).toBe(false)
      }),
      { seed: 1515, numRuns: 300 },
    )
  })
})
