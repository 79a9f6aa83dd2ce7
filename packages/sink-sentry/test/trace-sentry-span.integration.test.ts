import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as Sentry from '@sentry/node'
import { isSpanId, isTraceId, newSpanId, newTraceId, type TraceIds } from '@vivr/core'
import { getContext, withContext } from '@vivr/core/node'
import { memoryLogger, type SentryEventPayload, type SentryServer, startSentryServer } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sentryOptions, sentryReporter, sentryTraceSource } from '../src/index.js'

// Sentry's own tracing on (every request sampled): a Sentry span is active, and its ids win.
let server: SentryServer
let app: Server
let appUrl: string
const logger = memoryLogger()
const sentryTrace = sentryTraceSource(Sentry)
/** A trace of the kit's that must lose to Sentry's active span. */
const kitTrace: TraceIds = { traceId: newTraceId(), spanId: newSpanId() }
const reporter = sentryReporter(Sentry, { trace: () => kitTrace })

beforeAll(async () => {
  server = await startSentryServer()
  Sentry.init({ ...sentryOptions({ dsn: server.dsn, environment: 'test', tracesSampleRate: 1 }) })
  // Sentry's HTTP integration opens a span per request; the app's log lines take their ids from it, the way
  // `useTraceSource(sentryTraceSource(Sentry))` makes the kit's logger do.
  app = createServer((request, response) => {
    const requestId = String(request.headers['x-request-id'] ?? 'none')
    withContext({ requestId, ...sentryTrace() }, () => {
      logger.error('Payment failed', { route: '/api/checkout' })
      response.end(reporter.captureException(new Error(`Payment declined ${requestId}`)) ?? '')
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

describe('when Sentry’s own tracing has an active span, its ids win', () => {
  it('an error captured in Sentry.startSpan carries the span’s ids, and sentryTraceSource reads the same', async () => {
    let span: { traceId: string; spanId: string } | undefined
    let sourced: TraceIds | undefined
    let eventId: string | undefined
    Sentry.startSpan({ name: 'checkout' }, (active) => {
      span = active.spanContext()
      sourced = sentryTrace()
      eventId = reporter.captureException(new Error('Payment provider timeout in span'))
    })
    await reporter.flush()
    expect(sourced).toEqual({ traceId: span?.traceId, spanId: span?.spanId })
    const event = server.events().find((e) => e.event_id === eventId)
    expect(traceOf(event)).toMatchObject({ trace_id: span?.traceId, span_id: span?.spanId })
    expect(traceOf(event)?.trace_id).not.toBe(kitTrace.traceId)
  })

  it('a request’s log lines, its error event and Sentry’s span share one trace id', async () => {
    const requestId = `req-${newSpanId()}`
    const eventId = await (
      await fetch(`${appUrl}/api/checkout`, { headers: { 'x-request-id': requestId } })
    ).text()
    await reporter.flush()
    const line = logger.lines.find((l) => l.requestId === requestId)
    expect(isTraceId(line?.traceId)).toBe(true)
    expect(isSpanId(line?.spanId)).toBe(true)
    const event = server.events().find((e) => e.event_id === eventId)
    expect(traceOf(event)).toMatchObject({ trace_id: line?.traceId, span_id: line?.spanId })
  })

  it('outside any span there is nothing to read, and the kit’s trace is the event’s', async () => {
    expect(sentryTrace()).toBeUndefined()
    expect(Sentry.getActiveSpan()).toBeUndefined()
    const eventId = reporter.captureException(new Error('Payment retry failed outside a span'))
    await reporter.flush()
    expect(traceOf(server.events().find((e) => e.event_id === eventId))).toMatchObject({
      trace_id: kitTrace.traceId,
      span_id: kitTrace.spanId,
    })
  })

  it('a request context without a Sentry span is left as it is (sentryTraceSource adds nothing)', () => {
    withContext({ requestId: 'r1' }, () => {
      expect({ ...getContext(), ...sentryTrace() }).toEqual({ requestId: 'r1' })
    })
  })
})
