// Hostile trace headers, sources and contexts: nothing throws, nothing unvalidated is echoed in `traceresponse`
// or reaches a log line, and every trace_id / span_id written is a well-formed W3C id.
import { type HostileCase, hostileValue } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { type LogDestination, parseTraceparent, parseTracestate } from '../src/index.js'
import {
  createHttpTelemetry,
  createLogger,
  currentTrace,
  observeFetch,
  registerTraceSource,
  withContext,
  withTrace,
} from '../src/node.js'

const runs = (numRuns: number) => ({ seed: 1515, numRuns })
const TRACERESPONSE = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/
const TRACE_ID = /^[0-9a-f]{32}$/
const SPAN_ID = /^[0-9a-f]{16}$/
const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length })
const validTraceparent = fc
  .tuple(hex(32), hex(16), fc.constantFrom('00', '01'))
  .map(([trace, span, flags]) => `00-${trace}-${span}-${flags}`)

/** Near misses and worse: valid headers with a few characters changed, cut, extended, cased, padded or huge. */
const traceparentText: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything(),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc
    .tuple(validTraceparent, fc.nat(55), fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }))
    .map(([valid, at, insert]) => valid.slice(0, at) + insert + valid.slice(at + 1)),
  fc.tuple(validTraceparent, fc.nat(54)).map(([valid, at]) => valid.slice(0, at)),
  fc.tuple(validTraceparent, fc.string({ unit: 'binary', maxLength: 40 })).map(([v, tail]) => `${v}-${tail}`),
  validTraceparent.map((valid) => valid.toUpperCase()),
  validTraceparent.map((valid) => `ff${valid.slice(2)}`),
  validTraceparent.map((valid) => `${valid}, ${valid}`),
  validTraceparent.map((valid) => `${valid}\r\nset-cookie: a=1`),
  fc.constantFrom(
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    `${VALID}${'x'.repeat(100_000)}`,
    `01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-${'<script>'.repeat(100)}`,
  ),
  validTraceparent,
)

const tracestateText: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything(),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc
    .array(fc.tuple(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 })), {
      maxLength: 40,
    })
    .map((pairs) => pairs.map(([key, value]) => `${key}=${value}`).join(',')),
  fc.constantFrom('rojo=00f067aa0ba902b7', `a=${'b'.repeat(600)}`, 'a=1,'.repeat(40), 'a=1\n,b=2', 'A=1'),
)

/** Generated values as hostile cases, beside the testkit's worst ones (made on demand: some cannot be printed). */
const made = (values: fc.Arbitrary<unknown>): fc.Arbitrary<HostileCase> =>
  fc.oneof(
    { arbitrary: values.map((value) => ({ name: 'generated', make: () => value })), weight: 4 },
    { arbitrary: hostileValue(), weight: 1 },
  )
const hostileTraceparent = made(traceparentText)
const hostileTracestate = made(tracestateText)

// One logger per test (building one costs more than a run): `raw` is emptied before each run.
function capture() {
  const raw: string[] = []
  const destination: LogDestination = { write: (line) => raw.push(line) }
  const logger = createLogger({ destinations: [destination], datadogTraceIds: true })
  return () => {
    raw.length = 0
    return { raw, logger }
  }
}

/** Every line's trace fields are well-formed W3C ids (and Datadog's decimals), whatever came in. */
function expectWellFormed(raw: readonly string[]): void {
  for (const line of raw) {
    const parsed = JSON.parse(line) as Record<string, unknown>
    if (parsed.trace_id === undefined) {
      expect(parsed.span_id).toBeUndefined()
      continue
    }
    expect(parsed.trace_id).toMatch(TRACE_ID)
    expect(parsed.span_id).toMatch(SPAN_ID)
    expect(parsed.dd).toEqual({
      trace_id: expect.stringMatching(/^\d{1,20}$/),
      span_id: expect.stringMatching(/^\d{1,20}$/),
    })
  }
}

/** A string that was not accepted must not show up anywhere: neither raw nor JSON-escaped. */
function expectNotEchoed(texts: readonly string[], value: unknown): void {
  if (typeof value !== 'string' || value.length < 12) return
  const escaped = JSON.stringify(value).slice(1, -1)
  for (const text of texts) {
    expect(text.includes(value)).toBe(false)
    expect(text.includes(escaped)).toBe(false)
  }
}

const unregister: Array<() => void> = []
afterEach(() => {
  for (const off of unregister.splice(0)) off()
})

describe('hostile traceparent / tracestate headers', () => {
  it('never throw, are echoed only as validated, and reach log lines only as well-formed ids', () => {
    const fresh = capture()
    fc.assert(
      fc.property(
        hostileTraceparent,
        hostileTracestate,
        hostileValue(),
        (traceparentCase, tracestateCase, requestId) => {
          const { raw, logger } = fresh()
          const http = createHttpTelemetry({ logger })
          const traceparent = traceparentCase.make()
          const tracestate = tracestateCase.make()
          const headers: Record<string, unknown> = {
            traceparent,
            tracestate,
            'x-request-id': requestId.make(),
          }
          const request = http.begin((name) => headers[name])
          request.run(() => logger.info('handling', { step: 1 }))
          request.finish({ method: 'GET', route: '/x', statusCode: 200 })

          const traceresponse = request.responseHeaders.find(([name]) => name === 'traceresponse')?.[1]
          expect(traceresponse).toMatch(TRACERESPONSE)
          const parent = parseTraceparent(traceparent)
          if (parent) {
            expect(request.trace?.traceId).toBe(parent.traceId)
            expect(request.trace?.traceState).toBe(parseTracestate(tracestate))
          } else {
            expect(request.trace?.parentSpanId).toBeUndefined()
            expect(request.trace?.traceState).toBeUndefined()
            expectNotEchoed([traceresponse ?? '', ...raw], traceparent)
          }
          // The trace state is passed on (traceHeaders), never logged.
          expectNotEchoed(raw, tracestate)
          expect(raw).toHaveLength(2)
          expectWellFormed(raw)
          const lines = raw.map((line) => JSON.parse(line) as Record<string, unknown>)
          expect(lines.every((line) => line.trace_id === request.trace?.traceId)).toBe(true)
        },
      ),
      runs(1000),
    )
  })

  it('through observeFetch and real Web headers, also with the handler throwing', async () => {
    const legal = (value: unknown): value is string => {
      try {
        new Headers({ traceparent: String(value) })
        return typeof value === 'string'
      } catch {
        return false
      }
    }
    const fresh = capture()
    await fc.assert(
      fc.asyncProperty(
        traceparentText.filter(legal),
        tracestateText.filter(legal),
        fc.boolean(),
        async (traceparent, tracestate, fails) => {
          const { raw, logger } = fresh()
          const handler = observeFetch(
            async () => {
              logger.info('inside')
              if (fails) throw new Error('Database refused')
              return new Response('ok')
            },
            '/x',
            { logger, environment: 'production' },
          )
          const response = await handler(
            new Request('http://localhost/x', { headers: { traceparent, tracestate } }),
          )
          await response.text()
          const traceresponse = response.headers.get('traceresponse') ?? ''
          expect(traceresponse).toMatch(TRACERESPONSE)
          if (!parseTraceparent(traceparent)) expectNotEchoed([traceresponse, ...raw], traceparent)
          expectNotEchoed(raw, tracestate)
          expectWellFormed(raw)
          expect(raw.length).toBeGreaterThanOrEqual(2)
        },
      ),
      runs(300),
    )
  })
})

describe('hostile trace sources and forged contexts', () => {
  it('a source yielding anything (or throwing) never breaks a line nor writes an id that is not one', () => {
    let yielded: unknown
    unregister.push(
      registerTraceSource(() => {
        if (yielded === 'throw') throw new Error('tracer broke')
        return yielded as never
      }),
    )
    const fresh = capture()
    fc.assert(
      fc.property(
        made(
          fc.oneof(
            fc.anything(),
            fc.record({ traceId: fc.anything(), spanId: fc.anything(), sampled: fc.anything() }),
            fc.record({ traceId: hex(32), spanId: hex(16) }),
            fc.constant('throw'),
          ),
        ),
        fc.boolean(),
        (value, traced) => {
          yielded = value.make()
          const { raw, logger } = fresh()
          const log = () => {
            logger.info('line')
            logger.error('failed', new Error('x'))
            currentTrace()
          }
          if (traced) withTrace(log)
          else log()
          expect(raw).toHaveLength(2)
          expectWellFormed(raw)
        },
      ),
      runs(800),
    )
  })

  it('a value planted on the trace slot of a context (a global symbol) is read only when well-formed', () => {
    const slot = Symbol.for('@vivr/core/trace-context')
    const fresh = capture()
    fc.assert(
      fc.property(
        made(fc.oneof(fc.anything(), fc.record({ traceId: fc.string(), spanId: fc.string() }))),
        (planted) => {
          const { raw, logger } = fresh()
          withContext({ [slot]: planted.make() } as never, () => {
            logger.info('forged')
            currentTrace()
          })
          expectWellFormed(raw)
        },
      ),
      runs(500),
    )
  })
})
