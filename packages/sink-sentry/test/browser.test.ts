// @vivr/sink-sentry/browser over a recording stand-in for the browser SDK (its behaviour in Chromium with the real
// @sentry/nextjs, Replay masking included, is shown in packages/adapter-next/test/next-app.integration.test.ts).
import { afterEach, describe, expect, it } from 'vitest'
import { startSentryBrowser } from '../src/browser.js'
import { sentryReporter } from '../src/index.js'

const DSN = 'https://public@o1.ingest.sentry.io/42'

function fakeSdk(client?: unknown) {
  const calls = { init: [] as Array<Record<string, unknown>>, replay: [] as unknown[] }
  const sdk = {
    init: (options: Record<string, unknown>) => calls.init.push(options),
    replayIntegration: (options: unknown) => {
      calls.replay.push(options)
      return { name: 'Replay', options }
    },
    getClient: () => client,
  }
  return { sdk, calls }
}

const before = process.env.NEXT_PUBLIC_SENTRY_DSN
afterEach(() => {
  if (before === undefined) delete process.env.NEXT_PUBLIC_SENTRY_DSN
  else process.env.NEXT_PUBLIC_SENTRY_DSN = before
})

describe('startSentryBrowser', () => {
  it('starts Replay with every text masked and media blocked, the guide’s rates and the client beforeSend', () => {
    const { sdk, calls } = fakeSdk()
    expect(startSentryBrowser({ sdk, dsn: DSN, environment: 'production', release: '1.2.3' })).toBe(true)
    expect(calls.replay).toEqual([{ maskAllText: true, blockAllMedia: true }])
    const [options] = calls.init
    expect(options).toMatchObject({
      dsn: DSN,
      environment: 'production',
      release: '1.2.3',
      tracesSampleRate: 0.1,
      replaysSessionSampleRate: 0.1,
      replaysOnErrorSampleRate: 1,
      integrations: [{ name: 'Replay' }],
    })
    // The client rules: network noise dropped, headers removed; the server-only "critical only" rule stays off.
    const beforeSend = options?.beforeSend as (
      event: Record<string, unknown>,
    ) => Record<string, unknown> | null
    const error = (value: string) => ({ level: 'error', exception: { values: [{ type: 'Error', value }] } })
    expect(beforeSend(error('Network request failed'))).toBeNull()
    expect(beforeSend(error('Cart failed to render'))).not.toBeNull()
    const event = { ...error('x'), request: { headers: { Authorization: 'Bearer abc', accept: '*/*' } } }
    expect(beforeSend(event)?.request).toEqual({ headers: { accept: '*/*' } })
  })

  it('reads the DSN from NEXT_PUBLIC_SENTRY_DSN by default', () => {
    process.env.NEXT_PUBLIC_SENTRY_DSN = DSN
    const { sdk, calls } = fakeSdk()
    startSentryBrowser({ sdk, environment: 'development' })
    expect(calls.init[0]?.dsn).toBe(DSN)
  })

  it('takes its options: rates, privacy, no beforeSend', () => {
    const { sdk, calls } = fakeSdk()
    startSentryBrowser({
      sdk,
      dsn: '',
      replaysSessionSampleRate: 1,
      replaysOnErrorSampleRate: 0,
      maskAllText: false,
      blockAllMedia: false,
      beforeSend: false,
    })
    expect(calls.replay).toEqual([{ maskAllText: false, blockAllMedia: false }])
    expect(calls.init[0]).toMatchObject({ replaysSessionSampleRate: 1, replaysOnErrorSampleRate: 0 })
    expect(calls.init[0]).not.toHaveProperty('dsn')
    expect(calls.init[0]).not.toHaveProperty('beforeSend')
  })

  it('leaves an SDK that is already initialised alone', () => {
    const { sdk, calls } = fakeSdk({ client: true })
    expect(startSentryBrowser({ sdk, dsn: DSN })).toBe(false)
    expect(calls.init).toEqual([])
  })

  it('fails on bad options, naming them, before touching the SDK', () => {
    const { sdk, calls } = fakeSdk()
    // @ts-expect-error a Sentry namespace without replayIntegration (the server SDK) is not enough
    expect(() => startSentryBrowser({ sdk: { init: () => undefined } })).toThrow(/Invalid option sdk/)
    // @ts-expect-error the SDK is required
    expect(() => startSentryBrowser({})).toThrow(/Invalid option sdk/)
    expect(() => startSentryBrowser({ sdk, replaysSessionSampleRate: 1.5 })).toThrow(
      /Invalid option replaysSessionSampleRate: expected a number from 0 to 1/,
    )
    expect(() => startSentryBrowser({ sdk, replaysOnErrorSampleRate: -1 })).toThrow(
      /replaysOnErrorSampleRate/,
    )
    expect(() => startSentryBrowser({ sdk, tracesSampleRate: 2 })).toThrow(/tracesSampleRate/)
    // @ts-expect-error privacy switches are booleans
    expect(() => startSentryBrowser({ sdk, maskAllText: 'yes' })).toThrow(/Invalid option maskAllText/)
    expect(() => startSentryBrowser({ sdk, dsn: 'not a dsn' })).toThrow(/Invalid option dsn/)
    expect(calls.init).toEqual([])
  })
})

describe('sentryReporter: Next.js request errors', () => {
  const request = { path: '/broken?token=x', method: 'GET', headers: {} }
  const context = { routerKind: 'App Router', routePath: '/broken', routeType: 'render' }

  it('hands them to Sentry.captureRequestError when the SDK has one (@sentry/nextjs), never throwing', () => {
    const seen: unknown[] = []
    const sdk = {
      captureException: () => 'id',
      flush: async () => true,
      captureRequestError: (...args: unknown[]) => {
        seen.push(args)
        if (seen.length > 1) throw new Error('SDK down')
      },
    }
    const reporter = sentryReporter(sdk)
    const error = new Error('render failed')
    reporter.captureRequestError?.(error, request, context)
    expect(seen).toEqual([[error, request, context]])
    expect(() => reporter.captureRequestError?.(error, request, context)).not.toThrow()
  })

  it('has none over an SDK without it (@sentry/node)', () => {
    const reporter = sentryReporter({ captureException: () => 'id', flush: async () => true })
    expect(reporter.captureRequestError).toBeUndefined()
  })
})
