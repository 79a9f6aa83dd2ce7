import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as Sentry from '@sentry/node'
import { newSpanId, newTraceId, type TraceIds } from '@vivr/core'
import { createHttpTelemetry, currentTrace, registerTraceSource, withTrace } from '@vivr/core/node'
import { memoryLogger, type SentryEventPayload, type SentryServer, startSentryServer } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sentryOptions, sentryReporter, sentryTraceSource } from '../src/index.js'

// Sentry's own tracing on (every request sampled): a Sentry span is active, and its ids win. The app registers
// sentryTraceSource with core, so the kit's log lines (and every sink's default trace) carry the same ids.
let server: SentryServer
let app: Server
let appUrl: string
let unregister: () => void
const logger = memoryLogger()
const sentryTrace = sentryTraceSource(Sentry)
const reporter = sentryReporter(Sentry)

beforeAll(async () => {
  server = await startSentryServer()
  Sentry.init({ ...sentryOptions({ dsn: server.dsn, environment: 'test', tracesSampleRate: 1 }) })
  unregister = registerTraceSource(sentryTrace)
  // Sentry's HTTP integration opens a span per request; core's request telemetry takes the request's trace from
  // the registered source when the request begins.
  const http = createHttpTelemetry({ logger })
  app = createServer((request, response) => {
    const observed = http.begin((name) => request.headers[name])
    observed.run(() => {
      logger.error('Payment failed', { route: '/api/checkout' })
      const eventId = reporter.captureException(new Error(`Payment declined ${observed.requestId}`))
      for (const [name, value] of observed.responseHeaders) response.setHeader(name, value)
      response.end(eventId ?? '')
    })
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', () => resolve()))
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
})
afterAll(async () => {
  unregister?.()
  await new Promise((resolve) => app?.close(resolve))
  await Sentry.close(2000)
  await server?.close()
})

const traceOf = (event: SentryEventPayload | undefined) =>
  (event?.contexts as { trace?: { trace_id?: string; span_id?: string } } | undefined)?.trace

describe('when Sentry’s own tracing has an active span, its ids win', () => {
  it('an error in Sentry.startSpan carries the span’s ids; sentryTraceSource and currentTrace read the same', async () => {
    let span: { traceId: string; spanId: string } | undefined
    let sourced: TraceIds | undefined
    let current: TraceIds | undefined
    let eventId: string | undefined
    // Even a reporter given a trace of the kit's own leaves the event's trace to Sentry's span.
    const kitTrace = { traceId: newTraceId(), spanId: newSpanId() }
    Sentry.startSpan({ name: 'checkout' }, (active) => {
      span = active.spanContext()
      sourced = sentryTrace()
      current = currentTrace()
      eventId = sentryReporter(Sentry, { trace: () => kitTrace }).captureException(
        new Error('Payment provider timeout in span'),
      )
    })
    await reporter.flush()
    expect(sourced).toEqual({ traceId: span?.traceId, spanId: span?.spanId, sampled: true })
    expect(current).toEqual(sourced)
    const event = server.events().find((e) => e.event_id === eventId)
    expect(traceOf(event)).toMatchObject({ trace_id: span?.traceId, span_id: span?.spanId })
    expect(traceOf(event)?.trace_id).not.toBe(kitTrace.traceId)
  })

  it('a request’s log lines, its traceresponse, its error event and Sentry’s span share one trace id', async () => {
    const requestId = `req-${newSpanId()}`
    const response = await fetch(`${appUrl}/api/checkout`, { headers: { 'x-request-id': requestId } })
    const eventId = await response.text()
    await reporter.flush()
    const line = logger.lines.find((l) => l.requestId === requestId)
    expect(line?.trace_id).toMatch(/^[0-9a-f]{32}$/)
    const event = server.events().find((e) => e.event_id === eventId)
    expect(traceOf(event)).toMatchObject({ trace_id: line?.trace_id, span_id: line?.span_id })
    expect(response.headers.get('traceresponse')).toBe(`00-${line?.trace_id}-${line?.span_id}-01`)
  })

  it('outside any Sentry span, the source yields nothing and the kit’s own trace is the event’s', async () => {
    expect(Sentry.getActiveSpan()).toBeUndefined()
    expect(sentryTrace()).toBeUndefined()
    let eventId: string | undefined
    withTrace(
      () => {
        logger.warn('Payment retry failed')
        eventId = reporter.captureException(new Error('Payment retry failed outside a span'))
      },
      { job: 'payment-retry' },
    )
    await reporter.flush()
    const line = logger.lines.find((l) => l.job === 'payment-retry')
    expect(line?.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(traceOf(server.events().find((e) => e.event_id === eventId))).toMatchObject({
      trace_id: line?.trace_id,
      span_id: line?.span_id,
    })
  })
})
