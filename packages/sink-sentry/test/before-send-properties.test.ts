import { REDACTED } from '@vivr/core'
import {
  hostileValue,
  leaks,
  type PlantedSecret,
  plantedValue,
  secretInText,
  textAround,
  token,
} from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createBeforeSend } from '../src/index.js'

// Seeded and bounded: the same cases every run.
const runs = (numRuns: number) => ({ seed: 4711, numRuns })

/** An error event with every part Sentry fills in, each holding ordinary (secret-free) data. */
function baseEvent() {
  return {
    event_id: '0123456789abcdef0123456789abcdef',
    level: 'error',
    platform: 'node',
    timestamp: 1_732_650_000,
    message: 'checkout failed',
    logentry: { message: 'checkout failed for %s', params: ['order 42'] as unknown[] },
    exception: {
      values: [
        {
          type: 'Error',
          value: 'checkout failed',
          mechanism: { type: 'generic', handled: true, data: {} as Record<string, unknown> },
          stacktrace: {
            frames: [
              {
                filename: '/app/src/checkout.ts',
                function: 'pay',
                lineno: 42,
                colno: 7,
                in_app: true,
                context_line: 'await pay(order)',
                pre_context: ['// pay the order'],
                post_context: ['}'],
                vars: { order: { id: 42 } } as Record<string, unknown>,
              },
            ],
          },
        },
      ],
    },
    request: {
      url: 'https://shop.example/api/checkout?step=2',
      method: 'POST',
      query_string: 'step=2' as unknown,
      data: { items: [1, 2] } as Record<string, unknown>,
      headers: { 'content-type': 'application/json' } as Record<string, string>,
      cookies: { theme: 'dark' } as Record<string, string>,
    },
    extra: { orderId: 42 } as Record<string, unknown>,
    contexts: {
      trace: { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' },
      payment: { provider: 'stripe' } as Record<string, unknown>,
    } as Record<string, Record<string, unknown>>,
    user: { id: 'u_42', email: 'bob@example.com', ip_address: '203.0.113.9' } as Record<string, unknown>,
    tags: { route: '/api/checkout' } as Record<string, unknown>,
    transaction: 'POST /api/checkout',
    breadcrumbs: [
      { category: 'http', message: 'GET /api/cart', data: { status_code: 200 } as Record<string, unknown> },
    ],
    spans: [
      {
        span_id: '00f067aa0ba902b8',
        description: 'SELECT 1',
        data: { 'db.system': 'postgresql' } as Record<string, unknown>,
      },
    ],
  }
}
type Event = ReturnType<typeof baseEvent>
const frameOf = (event: Event) => event.exception.values[0]!.stacktrace.frames[0]!

/** Places that hold text: the secret goes there inside prose. */
const TEXT_SLOTS: Record<string, (event: Event, text: string) => void> = {
  message: (e, t) => {
    e.message = t
  },
  'logentry.message': (e, t) => {
    e.logentry.message = t
  },
  'exception value': (e, t) => {
    e.exception.values[0]!.value = t
  },
  'exception type': (e, t) => {
    e.exception.values[0]!.type = t
  },
  'frame context_line': (e, t) => {
    frameOf(e).context_line = t
  },
  'frame pre_context': (e, t) => {
    frameOf(e).pre_context.push(t)
  },
  'frame function': (e, t) => {
    frameOf(e).function = t
  },
  'request url': (e, t) => {
    e.request.url = `https://shop.example/api?next=${t}`
  },
  'request query_string': (e, t) => {
    e.request.query_string = t
  },
  'request header': (e, t) => {
    e.request.headers['x-debug'] = t
  },
  transaction: (e, t) => {
    e.transaction = t
  },
  'breadcrumb message': (e, t) => {
    e.breadcrumbs[0]!.message = t
  },
  'span description': (e, t) => {
    e.spans[0]!.description = t
  },
  'user id': (e, t) => {
    e.user.id = t
  },
  'user email': (e, t) => {
    e.user.email = t
  },
  'user username': (e, t) => {
    e.user.username = t
  },
  'tag value': (e, t) => {
    e.tags.note = t
  },
  'tag key': (e, t) => {
    e.tags[t] = 'x'
  },
  'context value': (e, t) => {
    e.contexts.payment!.note = t
  },
  'extra key': (e, t) => {
    e.extra[t] = 1
  },
}

/** Places that hold any value: the secret goes there at any depth, in any container. */
const VALUE_SLOTS: Record<string, (event: Event, value: unknown) => void> = {
  'logentry.params': (e, v) => {
    e.logentry.params.push(v)
  },
  'mechanism data': (e, v) => {
    e.exception.values[0]!.mechanism.data.detail = v
  },
  'frame vars': (e, v) => {
    frameOf(e).vars.payload = v
  },
  'request data': (e, v) => {
    e.request.data.payload = v
  },
  'request query_string (pairs)': (e, v) => {
    e.request.query_string = [
      ['q', 'shoes'],
      ['payload', v],
    ]
  },
  extra: (e, v) => {
    e.extra.payload = v
  },
  'a context': (e, v) => {
    e.contexts.payment!.payload = v
  },
  'a context of its own': (e, v) => {
    e.contexts.custom = { payload: v }
  },
  'user data': (e, v) => {
    e.user.data = v
  },
  'tag (not a primitive)': (e, v) => {
    e.tags.payload = v
  },
  'breadcrumb data': (e, v) => {
    e.breadcrumbs[0]!.data.payload = v
  },
  'span data': (e, v) => {
    e.spans[0]!.data.payload = v
  },
}

interface Planting {
  slot: string
  secret: string
  apply(event: Event): void
}

const textPlanting: fc.Arbitrary<Planting> = fc
  .tuple(fc.constantFrom(...Object.keys(TEXT_SLOTS)), textAround(secretInText()))
  .map(([slot, planted]: [string, PlantedSecret]) => ({
    slot: `${slot} (${planted.kind})`,
    secret: planted.secret,
    apply: (event: Event) => TEXT_SLOTS[slot]!(event, planted.text),
  }))

const valuePlanting: fc.Arbitrary<Planting> = fc
  .tuple(fc.constantFrom(...Object.keys(VALUE_SLOTS)), plantedValue())
  .map(([slot, planted]) => ({
    slot: `${slot} (${planted.kind})`,
    secret: planted.secret,
    apply: (event: Event) => VALUE_SLOTS[slot]!(event, planted.value),
  }))

/** Cookies and credential headers, with `redactHeaders` customised or not. */
const headerPlanting: fc.Arbitrary<Planting> = fc
  .tuple(
    fc.constantFrom('cookie', 'Cookie', 'authorization', 'X-Api-Key', 'proxy-authorization', 'x-auth-token'),
    token(),
  )
  .map(([name, secret]) => ({
    slot: `header ${name}`,
    secret,
    apply: (event: Event) => {
      event.request.headers[name] = name.toLowerCase() === 'cookie' ? `sid=${secret}` : secret
    },
  }))

const cookiePlanting: fc.Arbitrary<Planting> = fc
  .tuple(fc.constantFrom('sid', 'session', 'theme'), token())
  .map(([name, secret]) => ({
    slot: `request.cookies.${name}`,
    secret,
    apply: (event: Event) => {
      event.request.cookies[name] = secret
    },
  }))

const redactHeaderOptions = fc.constantFrom<readonly string[] | undefined>(
  undefined,
  ['x-session'],
  ['authorization'],
  ['cookie'],
)

describe('createBeforeSend: no planted secret reaches the event it returns', () => {
  it('anywhere in the event, at any depth, in any container, with redactHeaders customised or not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(textPlanting, valuePlanting, headerPlanting, cookiePlanting), {
          minLength: 1,
          maxLength: 3,
        }),
        redactHeaderOptions,
        (plantings, redactHeaders) => {
          const event = baseEvent()
          for (const planting of plantings) planting.apply(event)
          const beforeSend = createBeforeSend({
            environment: 'test',
            ...(redactHeaders ? { redactHeaders } : {}),
          })
          const out = beforeSend(event)
          expect(out, 'the event is kept').not.toBeNull()
          const json = JSON.stringify(out)
          for (const planting of plantings) {
            expect(leaks(json, planting.secret), `${planting.slot}: ${json}`).toBe(false)
          }
          // Still a valid Sentry event: structure, identifiers and ordinary values are kept.
          const frame = frameOf(out as Event)
          expect(frame).toMatchObject({
            filename: '/app/src/checkout.ts',
            lineno: 42,
            colno: 7,
            in_app: true,
          })
          expect(Array.isArray(frame.pre_context)).toBe(true)
          expect(out!.event_id).toBe('0123456789abcdef0123456789abcdef')
          expect(out!.contexts.trace).toEqual(baseEvent().contexts.trace)
          expect(out!.request.cookies).toBeUndefined()
          if (!plantings.some((p) => p.slot.startsWith('user id'))) expect(out!.user.id).toBe('u_42')
          if (!plantings.some((p) => p.slot.startsWith('user email'))) {
            expect(out!.user.email).toBe('bob@example.com')
          }
          expect(out!.user.ip_address).toBe('203.0.113.9')
          expect(out!.tags.route).toBe('/api/checkout')
        },
      ),
      runs(1500),
    )
  })

  it('redacts sensitive keys in contexts, user, tags and spans, and keeps their ordinary fields', () => {
    const event = baseEvent()
    event.contexts.payment = { provider: 'stripe', apiKey: 'abc', deep: { client_secret: 'pi_1_secret_x' } }
    event.user = {
      id: 42,
      email: 'bob@example.com',
      api_token: 'tok',
      ip_address: '{{auto}}',
      geo: { city: 'Oslo' },
    }
    event.tags = { route: '/x', session_token: 'zzz', ok: true }
    event.spans[0]!.data = { 'http.url': 'https://u:hunter2xyz@api.example/x', authorization: 'Bearer abc' }
    const out = createBeforeSend({ environment: 'test' })(event)!
    expect(out.contexts.payment).toEqual({
      provider: 'stripe',
      apiKey: REDACTED,
      deep: { client_secret: REDACTED },
    })
    expect(out.user).toEqual({
      id: 42,
      email: 'bob@example.com',
      api_token: REDACTED,
      ip_address: '{{auto}}',
      geo: { city: 'Oslo' },
    })
    expect(out.tags).toEqual({ route: '/x', session_token: REDACTED, ok: true })
    expect(out.spans[0]!.data).toEqual({ 'http.url': 'https://***@api.example/x', authorization: REDACTED })
  })

  it('removes request.cookies and masks the Cookie header even when redactHeaders leaves cookie out', () => {
    const event = baseEvent()
    event.request.headers.Cookie = 'sid=abc123secret'
    event.request.cookies = { sid: 'abc123secret' }
    for (const scrub of [true, false]) {
      const out = createBeforeSend({ environment: 'test', redactHeaders: ['x-session'], scrub })(
        structuredClone(event),
      )!
      expect(out.request.cookies).toBeUndefined()
      expect(JSON.stringify(out)).not.toContain('abc123secret')
    }
  })

  it('never throws on hostile values anywhere, and what it returns serializes', () => {
    const slots = Object.keys(VALUE_SLOTS)
    fc.assert(
      fc.property(fc.constantFrom(...slots), hostileValue(), (slot, hostile) => {
        const event = baseEvent()
        VALUE_SLOTS[slot]!(event, hostile.make())
        const beforeSend = createBeforeSend({ environment: 'test' })
        let out: Event | null = null
        expect(() => {
          out = beforeSend(event)
        }, `${slot}: ${hostile.name}`).not.toThrow()
        expect(out, `${slot}: ${hostile.name}`).not.toBeNull()
        expect(() => JSON.stringify(out)).not.toThrow()
      }),
      runs(300),
    )
  })

  it('drops an event it cannot read rather than send it unscrubbed', () => {
    const event = baseEvent()
    Object.defineProperty(event, 'request', {
      enumerable: true,
      get() {
        throw new Error('hostile getter')
      },
    })
    expect(createBeforeSend({ environment: 'test' })(event)).toBeNull()
  })
})
