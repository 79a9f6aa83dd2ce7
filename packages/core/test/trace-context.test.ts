// The request context carries the trace; every log line carries the active one (a tracer's through a registered
// source, else the context's); withTrace starts one for background work. The real OpenTelemetry SDK plays the
// tracer here; Express (ESM and CJS) is in adapter-express's trace tests, dd-trace in sink-datadog's.
import * as api from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { datadogIds, isSpanId, isTraceId, type LogDestination, OptionError } from '../src/index.js'
import { randomIds } from '../src/node/trace-context.js'
import {
  createHttpTelemetry,
  createLogger,
  currentTrace,
  getContext,
  observeFetch,
  otelTraceSource,
  registerTraceSource,
  traceHeaders,
  withContext,
  withTrace,
} from '../src/node.js'

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const TRACERESPONSE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/

type Line = Record<string, unknown>
function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: Line[] = []
  const destination: LogDestination = { write: (line) => lines.push(JSON.parse(line) as Line) }
  return { lines, logger: createLogger({ ...options, destinations: [destination] }) }
}

const unregister: Array<() => void> = []
const register = (...args: Parameters<typeof registerTraceSource>) => {
  const off = registerTraceSource(...args)
  unregister.push(off)
  return off
}
afterEach(() => {
  for (const off of unregister.splice(0)) off()
})

describe('withTrace: a fresh trace for work no request started', () => {
  it('every line inside carries the same trace_id and span_id, and fields; lines outside carry none', () => {
    const { lines, logger } = capture()
    logger.info('before')
    withTrace(
      () => {
        logger.info('sweeping')
        withContext({ cartId: 'c-1' }, () => logger.warn('abandoned'))
      },
      { task: 'cart-sweep' },
    )
    logger.info('after')
    const [before, sweeping, abandoned, after] = lines
    expect(before).not.toHaveProperty('trace_id')
    expect(before).not.toHaveProperty('span_id')
    expect(isTraceId(sweeping?.trace_id) && isSpanId(sweeping?.span_id)).toBe(true)
    expect(sweeping).toMatchObject({ task: 'cart-sweep' })
    expect(abandoned).toMatchObject({ task: 'cart-sweep', cartId: 'c-1', trace_id: sweeping?.trace_id })
    expect(abandoned?.span_id).toBe(sweeping?.span_id)
    expect(after).not.toHaveProperty('trace_id')
    expect(after).not.toHaveProperty('dd')
  })

  it('each run is a trace of its own, and carries nothing of the caller’s context', async () => {
    const { lines, logger } = capture()
    await withContext({ requestId: 'req-1' }, () =>
      Promise.all([1, 2, 3].map((n) => withTrace(async () => logger.info(`run ${n}`)))),
    )
    expect(new Set(lines.map((line) => line.trace_id)).size).toBe(3)
    expect(lines.every((line) => line.requestId === undefined)).toBe(true)
  })

  it('continues a valid traceparent a job carries (a new span of that trace); a malformed one starts anew', () => {
    withTrace(
      () => {
        expect(currentTrace()?.traceId).toBe(TRACE_ID)
        expect(currentTrace()?.spanId).not.toBe('00f067aa0ba902b7')
      },
      {},
      { traceparent: VALID },
    )
    withTrace(() => expect(currentTrace()?.traceId).not.toBe(TRACE_ID), {}, { traceparent: `${VALID}x` })
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap')
        },
      },
    )
    withTrace(() => expect(isTraceId(currentTrace()?.traceId)).toBe(true), hostile, hostile)
  })

  it('traceHeaders() carries the trace on to a service this one calls', () => {
    expect(traceHeaders()).toEqual({})
    withTrace(
      () => {
        const trace = currentTrace()
        expect(traceHeaders()).toEqual({
          traceparent: `00-${trace?.traceId}-${trace?.spanId}-01`,
          tracestate: 'rojo=00f067aa0ba902b7',
        })
      },
      {},
      { traceparent: VALID, tracestate: 'rojo=00f067aa0ba902b7' },
    )
  })
})

describe('the logger', () => {
  it('moves context fields named like its trace fields aside: only the active trace is written as trace_id', () => {
    const { lines, logger } = capture()
    logger.info('spoof', { trace_id: 'not-a-trace', span_id: 'x', dd: { trace_id: '1' } })
    withTrace(() => logger.child({ trace_id: 'bound' }).info('bound'))
    expect(lines[0]).toMatchObject({
      ctx_trace_id: 'not-a-trace',
      ctx_span_id: 'x',
      ctx_dd: { trace_id: '1' },
    })
    expect(lines[0]).not.toHaveProperty('trace_id')
    expect(lines[1]).toMatchObject({ ctx_trace_id: 'bound' })
    expect(isTraceId(lines[1]?.trace_id)).toBe(true)
  })

  it("writes Datadog's decimal form with datadogTraceIds, or while a source that asks for it is registered", () => {
    const ids = { traceId: TRACE_ID, spanId: '00f067aa0ba902b7' }
    const dd = datadogIds(ids)
    const on = capture({ datadogTraceIds: true })
    const auto = capture()
    const off = capture({ datadogTraceIds: false })
    const all = () => [on, auto, off].map(({ logger }) => logger.info('line'))
    withTrace(all, {}, { traceparent: VALID })
    expect(on.lines[0]?.dd).toEqual({
      trace_id: BigInt(`0x${TRACE_ID.slice(16)}`).toString(),
      span_id: expect.stringMatching(/^\d+$/),
    })
    expect(auto.lines[0]).not.toHaveProperty('dd')

    const source = Object.assign(() => ids, { datadogIds: true as const })
    register(source)
    withTrace(all)
    all()
    for (const line of [on.lines[1], auto.lines[1], on.lines[2], auto.lines[2]]) {
      expect(line).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId })
      expect(line?.dd).toEqual({ trace_id: dd.traceId, span_id: dd.spanId })
    }
    expect(dd).toEqual({ traceId: '11803532876627986230', spanId: '67667974448284343' })
    expect(off.lines[2]).toMatchObject({ trace_id: ids.traceId })
    expect(off.lines[2]).not.toHaveProperty('dd')
    expect(() => createLogger({ datadogTraceIds: 'yes' as never })).toThrow(OptionError)
  })
})

describe('registerTraceSource', () => {
  it('a source that yields ids wins over the request context; sources are asked in order; unregistering works', () => {
    const { lines, logger } = capture()
    let active: { traceId: string; spanId: string } | undefined
    const first = register(() => active)
    register(() => ({ traceId: 'b'.repeat(32), spanId: 'c'.repeat(16) }))
    withTrace(() => {
      active = { traceId: 'a'.repeat(32), spanId: '1'.repeat(16) }
      logger.info('first source')
      active = undefined
      logger.info('second source')
      first()
      first() // twice is harmless
      active = { traceId: 'a'.repeat(32), spanId: '1'.repeat(16) }
      logger.info('first gone')
    })
    expect(lines.map((line) => [line.trace_id, line.span_id])).toEqual([
      ['a'.repeat(32), '1'.repeat(16)],
      ['b'.repeat(32), 'c'.repeat(16)],
      ['b'.repeat(32), 'c'.repeat(16)],
    ])
  })

  it('skips a source that throws or yields anything but valid W3C ids; the context trace stays', () => {
    const { lines, logger } = capture()
    const yields: unknown[] = [
      null,
      'x',
      { traceId: 'A'.repeat(32), spanId: '1'.repeat(16) },
      { traceId: '0'.repeat(32), spanId: '1'.repeat(16) },
      { traceId: 'a'.repeat(32), spanId: '0'.repeat(16) },
      { traceId: `${'a'.repeat(32)}\n`, spanId: '1'.repeat(16) },
      new Proxy({}, { get: () => 'boom' }),
    ]
    let next: unknown
    register(() => {
      if (next === 'throw') throw new Error('tracer broke')
      return next as never
    })
    withTrace(() => {
      const own = currentTrace()
      for (const value of [...yields, 'throw']) {
        next = value
        logger.info('line')
        expect(currentTrace()).toEqual(own)
      }
    })
    expect(new Set(lines.map((line) => line.trace_id)).size).toBe(1)
    expect(lines.every((line) => isTraceId(line.trace_id) && isSpanId(line.span_id))).toBe(true)
  })

  it('refuses what is not a function', () => {
    expect(() => registerTraceSource('otel' as never)).toThrow(OptionError)
    expect(() => registerTraceSource(() => undefined, { datadogIds: 1 as never })).toThrow(/datadogIds/)
  })

  it('is one registry per process, shared by every copy of core (ESM and CJS, one bundle per route)', async () => {
    vi.resetModules()
    const copy = await import('../src/node.js')
    expect(copy.registerTraceSource).not.toBe(registerTraceSource)
    unregister.push(copy.registerTraceSource(() => ({ traceId: 'd'.repeat(32), spanId: 'e'.repeat(16) })))
    const { lines, logger } = capture()
    logger.info('from the other copy')
    expect(lines[0]).toMatchObject({ trace_id: 'd'.repeat(32), span_id: 'e'.repeat(16) })
    copy.withTrace(() => expect(currentTrace()?.traceId).toBe('d'.repeat(32)))
  })
})

describe('otelTraceSource over the real OpenTelemetry SDK', () => {
  const exporter = new InMemorySpanExporter()
  beforeAll(() => {
    // What an app's tracing setup does: the SDK's provider, its AsyncLocalStorage context manager, W3C propagation.
    new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register()
  })

  it('lines inside a span carry its ids, read when written (across awaits, nested spans); none outside', async () => {
    register(otelTraceSource(api))
    const { lines, logger } = capture()
    const tracer = api.trace.getTracer('test')
    await tracer.startActiveSpan('job', async (span) => {
      logger.info('in job')
      await new Promise((resolve) => setTimeout(resolve, 2))
      tracer.startActiveSpan('step', (step) => {
        logger.info('in step')
        step.end()
      })
      logger.info('back in job')
      span.end()
    })
    logger.info('outside')
    const [job, step] = exporter.getFinishedSpans().slice(-2).reverse()
    expect(lines.map((line) => [line.message, line.trace_id, line.span_id])).toEqual([
      ['in job', job?.spanContext().traceId, job?.spanContext().spanId],
      ['in step', job?.spanContext().traceId, step?.spanContext().spanId],
      ['back in job', job?.spanContext().traceId, job?.spanContext().spanId],
      ['outside', undefined, undefined],
    ])
    // An invalid span context (a non-recording span of no trace) yields nothing: the context's trace is kept.
    api.context.with(
      api.trace.setSpan(api.ROOT_CONTEXT, api.trace.wrapSpanContext(api.INVALID_SPAN_CONTEXT)),
      () => withTrace(() => expect(currentTrace()?.traceId).not.toBe(api.INVALID_TRACEID)),
    )
  })

  it('a request that starts inside a span takes its ids: traceresponse and context agree with the tracer', async () => {
    register(otelTraceSource(api))
    const { lines, logger } = capture()
    const handler = observeFetch(
      async () => {
        logger.info('handling')
        return new Response('ok')
      },
      '/x',
      { logger },
    )
    const tracer = api.trace.getTracer('test')
    const response = await tracer.startActiveSpan('GET /x', async (span) => {
      const answer = await handler(new Request('http://localhost/x', { headers: { traceparent: VALID } }))
      await answer.text()
      span.end()
      return answer
    })
    const server = exporter.getFinishedSpans().at(-1)?.spanContext()
    expect(response.headers.get('traceresponse')).toBe(`00-${server?.traceId}-${server?.spanId}-01`)
    expect(lines.map((line) => [line.message, line.trace_id, line.span_id])).toEqual([
      ['handling', server?.traceId, server?.spanId],
      ['request completed', server?.traceId, server?.spanId],
    ])
  })

  it('refuses what is not the API module', () => {
    expect(() => otelTraceSource({} as never)).toThrow(OptionError)
    expect(() => otelTraceSource(undefined as never)).toThrow(/@opentelemetry\/api/)
  })
})

describe('randomIds (the request path’s ids, from a pool)', () => {
  it('draws valid, distinct ids across many refills of a small pool', () => {
    const ids = randomIds(24)
    const drawn = Array.from({ length: 500 }, () => [ids.traceId(), ids.spanId()])
    expect(drawn.every(([trace, span]) => isTraceId(trace) && isSpanId(span))).toBe(true)
    expect(new Set(drawn.flat()).size).toBe(1000)
  })
})

describe('request telemetry carries the trace', () => {
  const headers = (values: Record<string, string>) => (name: string) => values[name]

  it('a valid traceparent is continued (same trace, a new span); a malformed one replaced, never echoed', () => {
    const http = createHttpTelemetry()
    const kept = http.begin(headers({ traceparent: VALID, tracestate: 'rojo=1' }))
    expect(kept.trace).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: '00f067aa0ba902b7',
      traceState: 'rojo=1',
    })
    expect(kept.responseHeaders).toEqual([
      ['x-request-id', kept.requestId],
      ['traceresponse', `00-${TRACE_ID}-${kept.trace?.spanId}-01`],
    ])
    expect(Object.isFrozen(kept.trace)).toBe(true)
    for (const bad of [`${VALID}-x`, VALID.toUpperCase(), `ff-${VALID.slice(3)}`, '<script>', '']) {
      const replaced = http.begin(headers({ traceparent: bad, tracestate: 'rojo=1' }))
      const [, traceresponse] = replaced.responseHeaders[1] ?? []
      expect(traceresponse).toMatch(TRACERESPONSE)
      expect(replaced.trace?.traceId).not.toBe(TRACE_ID)
      expect(replaced.trace?.traceState).toBeUndefined()
    }
    const unsampled = http.begin(headers({ traceparent: VALID.replace(/01$/, '00') }))
    expect(unsampled.responseHeaders[1]?.[1]).toMatch(/-00$/)
  })

  it('run() puts request id and trace in the context; finish() writes the access log line in it', () => {
    const { lines, logger } = capture()
    const http = createHttpTelemetry({ logger })
    const request = http.begin(headers({ 'x-request-id': 'req-7', traceparent: VALID }))
    request.run(() => {
      // The trace is no field of its own: nothing but the request id is serialized from the context.
      expect(JSON.stringify(getContext())).toBe('{"requestId":"req-7"}')
      expect(currentTrace()).toEqual(request.trace)
      logger.info('inside')
    })
    request.finish({ method: 'GET', route: '/x', statusCode: 200 })
    expect(lines.map((line) => [line.message, line.requestId, line.trace_id, line.span_id])).toEqual([
      ['inside', 'req-7', TRACE_ID, request.trace?.spanId],
      ['request completed', 'req-7', TRACE_ID, request.trace?.spanId],
    ])
  })

  it('traceContext: false reads, holds and answers no trace', () => {
    const http = createHttpTelemetry({ traceContext: false })
    const request = http.begin(headers({ traceparent: VALID }))
    expect(request.trace).toBeUndefined()
    expect(request.responseHeaders.map(([name]) => name)).toEqual(['x-request-id'])
    request.run(() => expect(currentTrace()).toBeUndefined())
    expect(() => createHttpTelemetry({ traceContext: 'no' as never })).toThrow(/traceContext/)
  })

  it('observeFetch answers traceresponse beside x-request-id, also on an error and on an immutable response', async () => {
    const { lines, logger } = capture()
    const ok = observeFetch(async () => Response.redirect('http://localhost/elsewhere', 302), '/r', {
      logger,
    })
    const fails = observeFetch(
      async () => {
        throw new Error('Database down')
      },
      '/f',
      { logger },
    )
    const redirected = await ok(new Request('http://localhost/r', { headers: { traceparent: VALID } }))
    expect(redirected.headers.get('location')).toBe('http://localhost/elsewhere')
    expect(redirected.headers.get('traceresponse')).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`))
    const failed = await fails(new Request('http://localhost/f'))
    const body = await failed.json()
    const [, traceId, spanId] = TRACERESPONSE.exec(failed.headers.get('traceresponse') ?? '') ?? []
    expect(body.requestId).toBe(failed.headers.get('x-request-id'))
    expect(lines.find((line) => line.message === 'API error')).toMatchObject({
      trace_id: traceId,
      span_id: spanId,
    })
  })
})
