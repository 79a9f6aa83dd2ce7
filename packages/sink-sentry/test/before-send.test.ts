import { OptionError, REDACTED } from '@vivr/core'
import { QUADRATIC_TEXT_UNITS } from '@vivr/testkit/hostile'
import { describe, expect, it } from 'vitest'
import { createBeforeSend, type SentryEventLike, sentryOptions, sentryReporter } from '../src/index.js'

const errorEvent = (message: string, extra: Partial<SentryEventLike> = {}): SentryEventLike => ({
  level: 'error',
  exception: { values: [{ type: 'Error', value: message }] },
  ...extra,
})

describe('createBeforeSend: the guide’s filtering rules', () => {
  it('drops network errors from monitoring itself (client rule), by hint or by event', () => {
    const beforeSend = createBeforeSend({ environment: 'development' })
    const error = new TypeError('Network request failed')
    expect(beforeSend(errorEvent('Network request failed'), { originalException: error })).toBeNull()
    expect(beforeSend(errorEvent('Network request failed'))).toBeNull()
    expect(
      beforeSend(errorEvent('Cart failed to load'), { originalException: new Error('x') }),
    ).not.toBeNull()
  })

  it('takes strings and RegExps as ignore patterns', () => {
    const beforeSend = createBeforeSend({
      environment: 'development',
      ignore: ['ResizeObserver', /^AbortError/],
    })
    expect(beforeSend(errorEvent('ResizeObserver loop limit exceeded'))).toBeNull()
    expect(beforeSend(errorEvent('AbortError: aborted'))).toBeNull()
    expect(beforeSend(errorEvent('Network request failed'))).not.toBeNull()
  })

  it('in production sends error-level events only when critical (server rule)', () => {
    const beforeSend = createBeforeSend({ environment: 'production' })
    const send = (message: string, level = 'error') =>
      beforeSend({ ...errorEvent(message), level }, { originalException: new Error(message) })
    expect(send('Cannot read properties of undefined')).toBeNull()
    expect(send('Database connection lost')).not.toBeNull()
    expect(send('payment declined by provider')).not.toBeNull()
    expect(send('Auth token expired')).not.toBeNull()
    expect(send('slow render', 'info')).not.toBeNull() // the guide only filters level 'error'
    expect(send('anything', 'warning')).not.toBeNull()
  })

  it('applies the production rule only in production, and can be turned off or customized', () => {
    const event = () => errorEvent('Cannot read properties of undefined')
    expect(createBeforeSend({ environment: 'staging' })(event())).not.toBeNull()
    expect(
      createBeforeSend({ environment: 'production', criticalOnlyInProduction: false })(event()),
    ).not.toBeNull()
    const custom = createBeforeSend({
      environment: 'production',
      isCritical: (e) => String(e).includes('undefined'),
    })
    expect(custom(event())).not.toBeNull()
  })

  it('rebuilds the exception from the event for isCritical when Sentry gives no hint', () => {
    const seen: unknown[] = []
    const beforeSend = createBeforeSend({
      environment: 'production',
      isCritical: (error) => {
        seen.push(error)
        return true
      },
    })
    beforeSend(errorEvent('Database down'))
    expect(seen[0]).toBeInstanceOf(Error)
    expect((seen[0] as Error).message).toBe('Database down')
  })
})

describe('createBeforeSend: redaction and scrubbing', () => {
  it('removes the redacted headers and cookies, masks other secret-looking headers', () => {
    const beforeSend = createBeforeSend({
      environment: 'test',
      redactHeaders: ['authorization', 'cookie', 'x-session'],
    })
    const event = beforeSend(
      errorEvent('boom', {
        request: {
          url: 'https://shop.example/api/orders?token=abc123def',
          headers: {
            Authorization: 'Bearer eyJhbGciOi.abc.def',
            cookie: 'sid=s3cr3t',
            'X-Session': 'sess_1',
            'x-api-token': 'tok_9',
            'x-request-id': 'req-1',
          },
          cookies: { sid: 's3cr3t' },
        },
      }),
    )!
    expect(event.request?.headers).toEqual({ 'x-api-token': REDACTED, 'x-request-id': 'req-1' })
    expect(event.request?.cookies).toBeUndefined()
    expect(event.request?.url).toBe('https://shop.example/api/orders?token=***')
  })

  it('masks secrets in request data, extra, breadcrumbs, messages and exception values', () => {
    const beforeSend = createBeforeSend({ environment: 'test' })
    const circular: Record<string, unknown> = { note: 'loop' }
    circular.self = circular
    const event = beforeSend({
      ...errorEvent('connect postgres://app:hunter2@db:5432/shop failed'),
      message: 'card 4242 4242 4242 4242 declined',
      request: { data: { email: 'a@b.c', password: 'hunter2', nested: { cardNumber: '4242424242424242' } } },
      extra: {
        userId: 'u_42',
        apiKey: 'sk_live_51Habc',
        note: 'used sk_live_51Habc123 for this',
        cause: new Error('redis://:pw0rd@cache:6379 refused'),
        circular,
      },
      breadcrumbs: [
        { message: 'GET /x Authorization: Bearer abcdefghijk', data: { token: 't', url: '/ok' } },
      ],
    })!
    const text = JSON.stringify(event, (_, v) => (v === circular ? '[circular]' : v))
    for (const secret of ['hunter2', 'sk_live_51Habc', '4242 4242 4242 4242', 'pw0rd', 'abcdefghijk']) {
      expect(text).not.toContain(secret)
    }
    expect(event.extra).toMatchObject({ userId: 'u_42', apiKey: REDACTED, note: 'used sk_live_*** for this' })
    expect(event.exception?.values?.[0]?.value).toBe('connect postgres://***@db:5432/shop failed')
    expect(event.breadcrumbs?.[0]?.data).toEqual({ token: REDACTED, url: '/ok' })
  })

  it('masks secrets in stack frame source context and captured local variables', () => {
    const event = createBeforeSend({ environment: 'test' })({
      ...errorEvent('boom'),
      exception: {
        values: [
          {
            value: 'boom',
            stacktrace: {
              frames: [
                {
                  context_line: "const url = 'redis://:hunter2@cache:6379'",
                  pre_context: ['// token=abc123def'],
                  vars: { password: 'hunter2', dsn: 'postgres://u:hunter2@db/x', count: 3 },
                },
              ],
            },
          },
        ],
      },
    })!
    const frame = event.exception!.values![0]!.stacktrace!.frames![0]!
    expect(JSON.stringify(frame)).not.toContain('hunter2')
    expect(frame.pre_context).toEqual(['// token=***'])
    // `dsn` is one of core's sensitive names: redacted whole, not only masked.
    expect(frame.vars).toEqual({ password: REDACTED, dsn: REDACTED, count: 3 })
  })

  it('keeps long texts whole (no truncation of stack traces)', () => {
    const long = `stack ${'x'.repeat(5000)}`
    const event = createBeforeSend({ environment: 'test' })(errorEvent(long))!
    expect(event.exception?.values?.[0]?.value).toBe(long)
  })

  it('masks a 10 MB message of the worst shapes in bounded time, keeping its first 64 KiB', () => {
    const beforeSend = createBeforeSend({ environment: 'test' })
    for (const unit of QUADRATIC_TEXT_UNITS) {
      const huge = unit.repeat(Math.ceil((10 * 1024 * 1024) / unit.length))
      const started = performance.now()
      const event = beforeSend(errorEvent(huge))!
      // Generous for a loaded machine; unbounded, the worst shape takes seconds.
      expect(performance.now() - started, unit).toBeLessThan(500)
      expect(event.exception?.values?.[0]?.value?.length, unit).toBeLessThanOrEqual(64 * 1024)
    }
  })

  it('drops the event rather than send it unscrubbed when something inside fails', () => {
    const beforeSend = createBeforeSend({
      environment: 'production',
      isCritical: () => {
        throw new Error('bug in user code')
      },
    })
    expect(beforeSend(errorEvent('x'))).toBeNull()
  })
})

describe('options are checked at construction', () => {
  it.each([
    [{ ignore: 'Network' }, 'ignore'],
    [{ redactHeaders: [''] }, 'redactHeaders'],
    [{ criticalOnlyInProduction: 'yes' }, 'criticalOnlyInProduction'],
    [{ isCritical: true }, 'isCritical'],
    [{ scrub: 'yes' }, 'scrub'],
  ])('createBeforeSend(%o) names %s', (options, option) => {
    expect(() => createBeforeSend(options as never)).toThrow(OptionError)
    expect(() => createBeforeSend(options as never)).toThrow(option)
  })

  it('sentryReporter checks what it is given', () => {
    expect(() => sentryReporter({} as never)).toThrow(/Invalid option sentry/)
    const sdk = { captureException: () => 'id', flush: async () => true }
    expect(() => sentryReporter(sdk, { flushTimeoutMs: -1 })).toThrow('flushTimeoutMs')
    expect(() => sentryReporter(sdk, { lifecycle: {} as never })).toThrow('lifecycle')
  })

  it('sentryOptions validates the DSN without echoing it, and the sample rate', () => {
    expect(() => sentryOptions({ dsn: 'not a dsn with secret' })).toThrow(/Invalid option dsn/)
    expect(() => sentryOptions({ dsn: 'not a dsn with secret' })).not.toThrow(/secret/)
    expect(() => sentryOptions({ tracesSampleRate: 2 })).toThrow('tracesSampleRate')
  })

  it('sentryOptions gives the guide’s defaults', () => {
    const options = sentryOptions({
      dsn: 'https://pub@o1.ingest.sentry.io/42',
      environment: 'production',
      release: '1.4.0',
    })
    expect(options).toMatchObject({
      dsn: 'https://pub@o1.ingest.sentry.io/42',
      environment: 'production',
      release: '1.4.0',
      tracesSampleRate: 0.1,
    })
    expect(options.beforeSend?.(errorEvent('Cannot read x'))).toBeNull() // production rule wired in
    // Transactions go through the same scrubbing: a span's description must not carry a password.
    const transaction = {
      type: 'transaction',
      spans: [{ description: 'connect postgres://app:tx-s3cret@db/app' }],
    }
    expect(JSON.stringify(options.beforeSendTransaction?.(transaction))).not.toContain('tx-s3cret')
    expect(sentryOptions({ dsn: '', beforeSend: false })).toEqual({
      tracesSampleRate: 0.1,
      ...(process.env.NODE_ENV ? { environment: process.env.NODE_ENV } : {}),
      ...(process.env.APP_VERSION ? { release: process.env.APP_VERSION } : {}),
    })
  })
})
