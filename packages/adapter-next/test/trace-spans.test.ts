// Pages and server components that withObservability does not wrap get their trace from Next.js's own spans:
// countNextRequests registers core's otelTraceSource, and the tracer provider it registers when there is none
// gives its spans W3C ids (continuing a valid incoming traceparent). Next.js's side is played as in
// request-spans.test.ts: extract from the headers, a `BaseServer.handleRequest` span, a render span inside it.
import { context, defaultTextMapGetter, propagation, trace } from '@opentelemetry/api'
import { memoryLogger, memoryMetrics } from '@vivr/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { countNextRequests } from '../src/index.js'

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'

/** One request through Next.js's spans; `render` runs inside the render span (a page or a server component). */
function serve(headers: Record<string, string>, render: () => void) {
  const tracer = () => trace.getTracer('next.js', '16.4.6')
  const extracted = propagation.extract(context.active(), headers, defaultTextMapGetter)
  return context.with(extracted, () =>
    tracer().startActiveSpan(
      'GET',
      {
        attributes: {
          'next.span_type': 'BaseServer.handleRequest',
          'http.method': 'GET',
          'http.target': '/',
        },
      },
      async (span) => {
        await new Promise((resolve) => setTimeout(resolve, 1))
        tracer().startActiveSpan(
          'render route (app) /',
          { attributes: { 'next.span_type': 'AppRender.getBodyResult' } },
          (child) => {
            render()
            child.end()
          },
        )
        span.setAttributes({ 'http.status_code': 200, 'next.route': '/' })
        span.end()
      },
    ),
  )
}

const STATE = Symbol.for('@vivr/adapter-next/request-spans')
function reset() {
  trace.disable()
  context.disable()
  propagation.disable()
  Reflect.deleteProperty(globalThis, STATE)
}
beforeEach(reset)
afterEach(reset)

describe("log lines in pages and server components carry Next.js's span ids", () => {
  it('with the provider countNextRequests registers: a new trace per request, or the incoming one continued', async () => {
    const logger = memoryLogger()
    expect(await countNextRequests({ metrics: memoryMetrics(), logger })).toBe('registered')
    const seen: Array<{ traceId?: string; spanId?: string }> = []
    const render = () => {
      logger.info('rendering')
      seen.push({ ...trace.getActiveSpan()?.spanContext() })
    }
    await serve({}, render)
    await serve({ traceparent: VALID }, render)
    await serve({ traceparent: `${VALID}-<script>` }, render)
    logger.info('outside any request')

    const lines = logger.lines
    expect(lines.slice(0, 3).map((line) => [line.trace_id, line.span_id])).toEqual(
      seen.map((span) => [span.traceId, span.spanId]),
    )
    expect(lines.slice(0, 3).every((line) => /^[0-9a-f]{32}$/.test(String(line.trace_id)))).toBe(true)
    expect(lines[1]?.trace_id).toBe(TRACE_ID)
    expect(lines[1]?.span_id).not.toBe('00f067aa0ba902b7')
    expect([lines[0]?.trace_id, lines[2]?.trace_id]).not.toContain(TRACE_ID)
    expect(JSON.stringify(lines)).not.toContain('<script>')
    expect(lines[3]).not.toHaveProperty('trace_id')
  })

  it("its propagator writes the active span's traceparent (what Next.js puts on a proxy.ts pass's request)", async () => {
    await countNextRequests({ metrics: memoryMetrics(), logger: memoryLogger() })
    const carrier: Record<string, string> = {}
    await serve({ traceparent: VALID, tracestate: 'rojo=1' }, () =>
      propagation.inject(context.active(), carrier),
    )
    expect(carrier.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`))
    expect(carrier.traceparent).not.toContain('00f067aa0ba902b7')
    expect(carrier.tracestate).toBe('rojo=1')
  })
})
