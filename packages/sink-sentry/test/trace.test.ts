import { isSpanId, isTraceId, newSpanId, newTraceId, OptionError, type TraceIds } from '@vivr/core'
import { hostileValue, throwingProxy } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type SentryCaptureContext,
  type SentryLike,
  sentryReporter,
  sentryTraceSource,
} from '../src/index.js'

const ids = (): TraceIds => ({ traceId: newTraceId(), spanId: newSpanId() })
const NEXT_REQUEST = { path: '/shop', method: 'GET', headers: {} }
const NEXT_CONTEXT = { routerKind: 'App Router', routePath: '/shop', routeType: 'render' }

/** A stand-in SDK that records what the reporter hands it. */
function fakeSentry(extra: Partial<SentryLike> = {}) {
  const captured: Array<SentryCaptureContext | undefined> = []
  const scopes: Array<Record<string, unknown>> = []
  const requestErrors: Array<{ error: unknown; scope: Record<string, unknown> | undefined }> = []
  let current: Record<string, unknown> | undefined
  const sentry: SentryLike = {
    captureException: (_, context) => {
      captured.push(context)
      return newTraceId()
    },
    flush: async () => true,
    captureRequestError: (error) => void requestErrors.push({ error, scope: current }),
    withScope: (callback) => {
      const scope: Record<string, unknown> = {}
      scopes.push(scope)
      current = scope
      try {
        return callback({ setContext: (name, context) => (scope[name] = context) })
      } finally {
        current = undefined
      }
    },
    ...extra,
  }
  return { sentry, captured, scopes, requestErrors }
}

describe('sentryReporter: the trace in captureException', () => {
  it('passes the trace as contexts.trace beside tags, extra and level', () => {
    const trace = ids()
    const { sentry, captured } = fakeSentry()
    sentryReporter(sentry, { trace: () => trace }).captureException(new Error('x'), {
      tags: { route: '/api/orders' },
      level: 'error',
    })
    expect(captured).toEqual([
      {
        tags: { route: '/api/orders' },
        level: 'error',
        contexts: { trace: { trace_id: trace.traceId, span_id: trace.spanId } },
      },
    ])
  })

  it('leaves the trace to Sentry when its tracing has an active span', () => {
    const span = ids()
    const { sentry, captured } = fakeSentry({
      getActiveSpan: () => ({ spanContext: () => span }),
    })
    sentryReporter(sentry, { trace: () => ids() }).captureException(new Error('x'))
    expect(captured[0]?.contexts).toBeUndefined()
  })

  it('whatever the source returns or throws, it never throws and attaches only valid ids', () => {
    const sourceResult = fc.oneof(
      hostileValue().map((c) => () => c.make()),
      fc
        .record({
          traceId: fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-fA-F]{32}$/)),
          spanId: fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-fA-F]{16}$/)),
        })
        .map((value) => () => value),
      fc.constant(() => ({ traceId: newTraceId(), spanId: '0'.repeat(16) })),
      fc.constant(() => throwingProxy()),
      fc.constant(() => {
        throw new Error('tracer broke')
      }),
      fc.constant(() => ids()),
    )
    fc.assert(
      fc.property(sourceResult, (source) => {
        const { sentry, captured } = fakeSentry()
        const reporter = sentryReporter(sentry, { trace: source as () => TraceIds | undefined })
        expect(reporter.captureException(new Error('x'))).toMatch(/^[0-9a-f]{32}$/)
        const trace = captured[0]?.contexts?.trace
        if (trace !== undefined) {
          expect(isTraceId(trace.trace_id)).toBe(true)
          expect(isSpanId(trace.span_id)).toBe(true)
          expect(Object.keys(trace).sort()).toEqual(['span_id', 'trace_id'])
        }
      }),
      { seed: 1517, numRuns: 300 },
    )
  })
})

describe('sentryReporter: the trace in captureRequestError (@sentry/nextjs)', () => {
  it('sets the trace on a scope of its own around Sentry.captureRequestError', () => {
    const trace = ids()
    const { sentry, requestErrors, scopes } = fakeSentry()
    const error = new Error('render failed')
    sentryReporter(sentry, { trace: () => trace }).captureRequestError?.(error, NEXT_REQUEST, NEXT_CONTEXT)
    expect(requestErrors).toEqual([
      { error, scope: { trace: { trace_id: trace.traceId, span_id: trace.spanId } } },
    ])
    expect(scopes).toHaveLength(1)
  })

  it('calls it as is with no trace, with Sentry’s active span, or with an SDK that has no withScope', () => {
    const none = fakeSentry()
    sentryReporter(none.sentry, { trace: () => undefined }).captureRequestError?.(
      new Error('a'),
      NEXT_REQUEST,
      NEXT_CONTEXT,
    )
    const spanned = fakeSentry({ getActiveSpan: () => ({ spanContext: () => ids() }) })
    sentryReporter(spanned.sentry, { trace: () => ids() }).captureRequestError?.(
      new Error('b'),
      NEXT_REQUEST,
      NEXT_CONTEXT,
    )
    const scopeless = fakeSentry({ withScope: undefined })
    sentryReporter(scopeless.sentry, { trace: () => ids() }).captureRequestError?.(
      new Error('c'),
      NEXT_REQUEST,
      NEXT_CONTEXT,
    )
    for (const { requestErrors, scopes } of [none, spanned, scopeless]) {
      expect(requestErrors).toEqual([{ error: expect.any(Error), scope: undefined }])
      expect(scopes).toEqual([])
    }
  })

  it('never throws when withScope or the scope does', () => {
    const fail = () => {
      throw new Error('sdk bug')
    }
    for (const withScope of [
      fail,
      (callback: (scope: { setContext: () => never }) => unknown) => callback({ setContext: fail }),
    ]) {
      const { sentry } = fakeSentry({ withScope: withScope as SentryLike['withScope'] })
      const reporter = sentryReporter(sentry, { trace: () => ids() })
      expect(() => reporter.captureRequestError?.(new Error('x'), NEXT_REQUEST, NEXT_CONTEXT)).not.toThrow()
    }
  })
})

describe('sentryTraceSource', () => {
  it('reads the active span through spanContext(), else spanToJSON, and only valid ids', () => {
    const span = ids()
    expect(sentryTraceSource({ getActiveSpan: () => ({ spanContext: () => span }) })()).toEqual(span)
    // With the span's trace flags, its sampled flag too (core answers traceresponse with it).
    const unsampled = { ...ids(), traceFlags: 0 }
    expect(sentryTraceSource({ getActiveSpan: () => ({ spanContext: () => unsampled }) })()).toEqual({
      traceId: unsampled.traceId,
      spanId: unsampled.spanId,
      sampled: false,
    })
    const json = ids()
    expect(
      sentryTraceSource({
        getActiveSpan: () => ({ spanContext: () => ({ traceId: '', spanId: '' }) }),
        spanToJSON: () => ({ trace_id: json.traceId, span_id: json.spanId }),
      })(),
    ).toEqual(json)
    expect(
      sentryTraceSource({
        getActiveSpan: () => ({ spanContext: () => ({ traceId: '0'.repeat(32), spanId: newSpanId() }) }),
        spanToJSON: () => ({ trace_id: 'A'.repeat(32), span_id: newSpanId() }),
      })(),
    ).toBeUndefined()
    expect(sentryTraceSource({ getActiveSpan: () => undefined })()).toBeUndefined()
  })

  it('never throws, whatever the SDK does', () => {
    const hostile = [
      () => {
        throw new Error('sdk bug')
      },
      () => throwingProxy(),
      () => ({ spanContext: 42 }),
      () => ({
        spanContext: () => {
          throw new Error('span bug')
        },
      }),
    ]
    for (const getActiveSpan of hostile) {
      // @ts-expect-error: an SDK that breaks its own types
      expect(sentryTraceSource({ getActiveSpan })()).toBeUndefined()
    }
  })

  it('needs the namespace: anything without getActiveSpan fails at construction', () => {
    // @ts-expect-error: JavaScript callers can pass anything
    expect(() => sentryTraceSource({})).toThrow(OptionError)
    // @ts-expect-error: JavaScript callers can pass anything
    expect(() => sentryTraceSource(undefined)).toThrow(/Invalid option sentry/)
  })
})
