import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  datadogIds,
  formatTraceparent,
  isSpanId,
  isTraceId,
  parseTraceparent,
  parseTracestate,
  traceFromHeaders,
} from '../src/index.js'

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

describe('W3C trace context', () => {
  it('reads a valid traceparent and makes a child of it', () => {
    expect(parseTraceparent(VALID)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      sampled: true,
    })
    const child = traceFromHeaders(VALID, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
    expect(child).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
    })
    expect(isSpanId(child.spanId) && child.spanId !== '00f067aa0ba902b7').toBe(true)
    expect(child.traceState).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
    expect(formatTraceparent(child)).toBe(`00-${child.traceId}-${child.spanId}-01`)
    // A later version is read by its first four fields; version 00 must have exactly four.
    expect(parseTraceparent(`01${VALID.slice(2)}-extra`)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(parseTraceparent(`${VALID}-extra`)).toBeUndefined()
  })

  it.each([
    ['', 'empty'],
    ['ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'version ff'],
    ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'zero trace id'],
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', 'zero span id'],
    ['00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', 'upper case'],
    ['00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', 'short trace id'],
    [`${VALID}<script>`, 'trailing garbage'],
  ])('ignores %j (%s) and starts a trace of its own', (header) => {
    expect(parseTraceparent(header)).toBeUndefined()
    const own = traceFromHeaders(header)
    expect(isTraceId(own.traceId) && isSpanId(own.spanId)).toBe(true)
    expect(own.parentSpanId).toBeUndefined()
    expect(own.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736')
  })

  it('never throws and never echoes what it did not validate, whatever the headers', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (traceparent, tracestate) => {
        const trace = traceFromHeaders(traceparent, tracestate)
        expect(isTraceId(trace.traceId) && isSpanId(trace.spanId)).toBe(true)
        if (trace.traceState !== undefined) expect(parseTracestate(trace.traceState)).toBe(trace.traceState)
      }),
      { seed: 15, numRuns: 500 },
    )
    expect(parseTracestate('a=1,'.repeat(40))).toBeUndefined() // more than 32 members
    expect(parseTracestate('a=\u0000')).toBeUndefined()
  })

  it("gives Datadog's decimal form: the lower 64 bits of each id", () => {
    expect(datadogIds({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' })).toEqual({
      traceId: BigInt('0xa3ce929d0e0e4736').toString(),
      spanId: BigInt('0x00f067aa0ba902b7').toString(),
    })
  })
})
