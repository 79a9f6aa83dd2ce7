import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as Sentry from '@sentry/node'
import { newSpanId, newTraceId, OptionError } from '@vivr/core'
import { createHttpTelemetry, withTrace } from '@vivr/core/node'
import { memoryLogger, type SentryEventPayload, type SentryServer, startSentryServer } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sentryOptions, sentryReporter } from '../src/index.js'

// Sentry's own tracing off (no tracesSampleRate): no Sentry span is active, so the kit's trace (core's
// currentTrace, the reporter's default) is the event's. One Sentry.init for this file (the SDK is global).
let server: SentryServer
let app: Server
let appUrl: string
const logger = memoryLogger()
const reporter = sentryReporter(Sentry)

beforeAll(async () => {
  server = await startSentryServer()
  Sentry.init({ ...sentryOptions({ dsn: server.dsn, environment: 'test' }), tracesSampleRate: undefined })
  // A small app on core's request telemetry (what the adapters use): each request continues the caller's
  // traceparent (or starts a trace), logs, and reports an error.
  const http = createHttpTelemetry({ logger })
  app = createServer((request, response) => {
    const observed = http.begin((name) => request.headers[name])
    observed.run(() => {
      logger.error('Order failed', { route: '/api/orders' })
      const eventId = reporter.captureException(new Error(`Database write failed ${observed.requestId}`))
      for (const [name, value] of observed.responseHeaders) response.setHeader(name, value)
      response.end(eventId ?? '')
    })
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', () => resolve()))
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((resolve) => app?.close(resolve))
  await Sentry.close(2000)
  await server?.close()
})

const traceOf = (event: SentryEventPayload | undefined) =>
  (event?.contexts as { trace?: { trace_id?: string; span_id?: string } } | undefined)?.trace

describe('an error event carries the request’s trace (Sentry’s tracing off)', () => {
  it('the trace id and span id of the request’s log lines, continuing the caller’s traceparent', async () => {
    const callerTrace = newTraceId()
    const requestId = `req-${newSpanId()}`
    const response = await fetch(`${appUrl}/api/orders`, {
      headers: { traceparent: `00-${callerTrace}-${newSpanId()}-01`, 'x-request-id': requestId },
    })
    const eventId = await response.text()
    expect(eventId).toMatch(/^[0-9a-f]{32}$/)
    expect(await reporter.flush()).toBe(true)
    const event = server.events().find((e) => e.event_id === eventId)
    const line = logger.lines.find((l) => l.requestId === requestId)
    expect(line?.trace_id).toBe(callerTrace)
    expect(traceOf(event)).toMatchObject({ trace_id: callerTrace, span_id: line?.span_id })
    // What the app answered with: the same trace, so a client can quote it.
    expect(response.headers.get('traceresponse')).toBe(`00-${callerTrace}-${String(line?.span_id)}-01`)
  })

  it('a request without a traceparent gets a trace of its own, the same in its log lines and its event', async () => {
    const requestId = `req-${newSpanId()}`
    const eventId = await (
      await fetch(`${appUrl}/api/orders`, { headers: { 'x-request-id': requestId } })
    ).text()
    await reporter.flush()
    const line = logger.lines.find((l) => l.requestId === requestId)
    expect(line?.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(traceOf(server.events().find((e) => e.event_id === eventId))).toMatchObject({
      trace_id: line?.trace_id,
      span_id: line?.span_id,
    })
  })

  it('a malformed traceparent is not continued, and never becomes the event’s trace', async () => {
    const requestId = `req-${newSpanId()}`
    const forged = `00-${'A'.repeat(32)}-${newSpanId()}-01`
    const eventId = await (
      await fetch(`${appUrl}/api/orders`, { headers: { traceparent: forged, 'x-request-id': requestId } })
    ).text()
    await reporter.flush()
    const event = server.events().find((e) => e.event_id === eventId)
    expect(traceOf(event)?.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(traceOf(event)?.trace_id).toBe(logger.lines.find((l) => l.requestId === requestId)?.trace_id)
  })

  it('outside a request, or with invalid ids from the source, the event keeps Sentry’s own trace context', async () => {
    const invalid = [
      { traceId: 'A'.repeat(32), spanId: newSpanId() },
      { traceId: '0'.repeat(32), spanId: newSpanId() },
      { traceId: newTraceId(), spanId: 'zz' },
      { traceId: `${newTraceId()}\n`, spanId: newSpanId() },
    ]
    const ids: string[] = []
    for (const [i, trace] of invalid.entries()) {
      // Distinct messages: Sentry's Dedupe integration drops an event equal to the one before.
      const eventId = sentryReporter(Sentry, { trace: () => trace }).captureException(new Error(`stray ${i}`))
      ids.push(String(eventId))
    }
    ids.push(String(reporter.captureException(new Error('no request'))))
    await reporter.flush()
    for (const [i, id] of ids.entries()) {
      const trace = traceOf(server.events().find((e) => e.event_id === id))
      expect(trace?.trace_id, `case ${i}`).toMatch(/^[0-9a-f]{32}$/)
      expect(invalid.map((t) => t.traceId)).not.toContain(trace?.trace_id)
    }
  })

  it('background work in withTrace links its event and its log lines too', async () => {
    let eventId: string | undefined
    withTrace(
      () => {
        logger.warn('Cart sweep failed')
        eventId = reporter.captureException(new Error('Cart sweep: database unavailable'))
      },
      { job: 'cart-sweep' },
    )
    await reporter.flush()
    const line = logger.lines.find((l) => l.job === 'cart-sweep')
    expect(line?.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(traceOf(server.events().find((e) => e.event_id === eventId))).toMatchObject({
      trace_id: line?.trace_id,
      span_id: line?.span_id,
    })
  })

  it('trace: false attaches none; a trace option that is not a function fails at construction', async () => {
    let eventId: string | undefined
    withTrace(
      () => {
        logger.warn('Untraced report')
        eventId = sentryReporter(Sentry, { trace: false }).captureException(new Error('untraced'))
      },
      { job: 'untraced' },
    )
    await reporter.flush()
    const line = logger.lines.find((l) => l.job === 'untraced')
    expect(traceOf(server.events().find((e) => e.event_id === eventId))?.trace_id).not.toBe(line?.trace_id)
    // @ts-expect-error: JavaScript callers can pass anything
    expect(() => sentryReporter(Sentry, { trace: 'abc' })).toThrow(OptionError)
    // @ts-expect-error: JavaScript callers can pass anything
    expect(() => sentryReporter(Sentry, { trace: true })).toThrow(/Invalid option trace/)
  })
})
