// ddTraceSource against the real dd-trace, initialised in this process with no agent (its URL a closed loopback
// port, its own logs, telemetry and instrumentations off): log lines written inside its spans carry its ids, in
// W3C hex and in Datadog's decimal form, and a request that starts inside one of its spans answers with them.
import { createRequire } from 'node:module'
import { datadogIds, type LogDestination, OptionError } from '@vivr/core'
import {
  createHttpTelemetry,
  createLogger,
  currentTrace,
  registerTraceSource,
  withTrace,
} from '@vivr/core/node'
import type { Tracer } from 'dd-trace'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ddTraceSource } from '../src/index.js'

let tracer: Tracer
let unregister: () => void

beforeAll(() => {
  // dd-trace is CommonJS and is meant to be required first thing; nothing here relies on its instrumentations.
  tracer = (createRequire(import.meta.url)('dd-trace') as Tracer).init({
    startupLogs: false,
    plugins: false,
    logInjection: false,
    runtimeMetrics: false,
    url: 'http://127.0.0.1:9', // discard: nothing listens, nothing is sent
    flushInterval: 60_000,
    service: 'trace-source-test',
  })
  unregister = registerTraceSource(ddTraceSource(tracer))
})
afterAll(() => unregister?.())

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: Array<Record<string, unknown>> = []
  const destination: LogDestination = { write: (line) => lines.push(JSON.parse(line)) }
  return { lines, logger: createLogger({ ...options, destinations: [destination] }) }
}

describe('ddTraceSource over dd-trace', () => {
  it("lines inside its spans carry its ids (hex, and Datadog's decimal form without asking); none outside", () => {
    const { lines, logger } = capture()
    const ids: string[][] = []
    tracer.trace('cart.sweep', (span) => {
      const context = span.context()
      ids.push([context.toTraceId(), context.toSpanId()])
      logger.info('sweeping')
      tracer.trace('cart.load', (child) => {
        ids.push([child.context().toTraceId(), child.context().toSpanId()])
        logger.info('loading')
      })
    })
    logger.info('outside')
    const [sweeping, loading, outside] = lines
    const [[traceDecimal, spanDecimal], [, childDecimal]] = ids as [string[], string[]]
    expect(sweeping?.dd).toEqual({ trace_id: traceDecimal, span_id: spanDecimal })
    expect(loading?.dd).toEqual({ trace_id: traceDecimal, span_id: childDecimal })
    // W3C: the 128-bit trace id dd-trace made, whose lower half is its 64-bit id; the span id in hex.
    expect(sweeping?.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(BigInt(`0x${String(sweeping?.trace_id).slice(16)}`).toString()).toBe(traceDecimal)
    expect(BigInt(`0x${sweeping?.span_id}`).toString()).toBe(spanDecimal)
    expect(loading?.trace_id).toBe(sweeping?.trace_id)
    expect(datadogIds({ traceId: String(loading?.trace_id), spanId: String(loading?.span_id) })).toEqual({
      traceId: traceDecimal,
      spanId: childDecimal,
    })
    expect(outside).not.toHaveProperty('trace_id')
    expect(outside).not.toHaveProperty('dd')
  })

  it("wins over the kit's own trace while a span is active; datadogTraceIds: false leaves the decimal form out", () => {
    const { lines, logger } = capture({ datadogTraceIds: false })
    withTrace(() => {
      const own = currentTrace()
      logger.info('own')
      tracer.trace('job', () => logger.info('dd'))
      expect(lines[0]?.trace_id).toBe(own?.traceId)
      expect(lines[1]?.trace_id).not.toBe(own?.traceId)
    })
    expect(lines.every((line) => line.dd === undefined)).toBe(true)
  })

  it('a request that starts inside a dd-trace span takes its ids: traceresponse and its lines', () => {
    const { lines, logger } = capture()
    const http = createHttpTelemetry({ logger })
    const traceresponse = tracer.trace('web.request', (span) => {
      const request = http.begin(() => undefined)
      request.run(() => logger.info('handling'))
      const context = span.context()
      expect(lines[0]?.dd).toEqual({ trace_id: context.toTraceId(), span_id: context.toSpanId() })
      return request.responseHeaders.find(([name]) => name === 'traceresponse')?.[1]
    })
    expect(traceresponse).toBe(`00-${lines[0]?.trace_id}-${lines[0]?.span_id}-01`)
  })
})

describe('ddTraceSource', () => {
  it('reads an older dd-trace that only speaks decimal', () => {
    const context = { toTraceId: () => '11803532876627986230', toSpanId: () => '67667974448284343' }
    const source = ddTraceSource({ scope: () => ({ active: () => ({ context: () => context }) }) })
    expect(source()).toEqual({ traceId: `${'0'.repeat(16)}a3ce929d0e0e4736`, spanId: '00f067aa0ba902b7' })
    expect(source.datadogIds).toBe(true)
  })

  it('yields nothing without an active span, and refuses what is not a tracer', () => {
    expect(ddTraceSource({ scope: () => ({ active: () => null }) })()).toBeUndefined()
    expect(() => ddTraceSource({} as never)).toThrow(OptionError)
  })
})
