// The browser entry's options and its production gate, in Node with the real Datadog SDK objects (they only
// touch the browser once initialised). Its behaviour in a browser is shown in next-app.integration.test.ts.
import { datadogLogs } from '@datadog/browser-logs'
import { datadogRum } from '@datadog/browser-rum'
import { describe, expect, it } from 'vitest'
import { initBrowserMonitoring } from '../src/client.js'

const datadog = {
  rum: datadogRum,
  logs: datadogLogs,
  applicationId: '00000000-0000-4000-8000-000000000000',
  clientToken: 'pub00000000000000000000000000000000',
}

describe('initBrowserMonitoring', () => {
  it('starts Datadog only in production, as the guide does', () => {
    expect(initBrowserMonitoring({ environment: 'development', datadog })).toEqual({
      sentry: false,
      datadog: false,
    })
    expect(initBrowserMonitoring({ environment: 'test', datadog })).toEqual({ sentry: false, datadog: false })
    expect(datadogRum.getInitConfiguration()).toBeUndefined()
    expect(datadogLogs.getInitConfiguration()).toBeUndefined()
  })

  it('fails on bad options, naming them, before touching any SDK', () => {
    expect(() =>
      initBrowserMonitoring({ environment: 'production', datadog: { ...datadog, clientToken: '' } }),
    ).toThrow(/Invalid option datadog\.clientToken/)
    expect(() =>
      initBrowserMonitoring({
        environment: 'production',
        datadog: { ...datadog, sessionReplaySampleRate: 120 },
      }),
    ).toThrow(/Invalid option datadog\.sessionReplaySampleRate: expected a number from 0 to 100/)
    // @ts-expect-error a Sentry namespace without replayIntegration (the server SDK) is not enough
    expect(() => initBrowserMonitoring({ sentry: { sdk: { init: () => undefined } } })).toThrow(/sentry\.sdk/)
    expect(datadogRum.getInitConfiguration()).toBeUndefined()
  })
})
