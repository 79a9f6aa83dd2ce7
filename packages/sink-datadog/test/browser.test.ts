// The browser entry's options and its production gate, in Node with the real Datadog SDK objects (they only touch
// the browser once initialised), then over recording stand-ins for what it passes to init. Its behaviour in
// Chromium is shown in packages/adapter-next/test/next-app.integration.test.ts.
import { datadogLogs } from '@datadog/browser-logs'
import { datadogRum } from '@datadog/browser-rum'
import { describe, expect, it } from 'vitest'
import {
  type DatadogLogsConfiguration,
  type DatadogRumConfiguration,
  startDatadogBrowser,
} from '../src/browser.js'

const ids = {
  applicationId: '00000000-0000-4000-8000-000000000000',
  clientToken: 'pub00000000000000000000000000000000',
}
const datadog = { rum: datadogRum, logs: datadogLogs, ...ids }

function fakeSdks() {
  const rum = { config: undefined as DatadogRumConfiguration | undefined, recording: false }
  const logs = { config: undefined as DatadogLogsConfiguration | undefined, level: '' }
  return {
    rum,
    logs,
    options: {
      ...ids,
      rum: {
        init: (config: DatadogRumConfiguration) => {
          rum.config = config
        },
        getInitConfiguration: () => rum.config,
        startSessionReplayRecording: () => {
          rum.recording = true
        },
      },
      logs: {
        init: (config: DatadogLogsConfiguration) => {
          logs.config = config
        },
        getInitConfiguration: () => logs.config,
        logger: {
          setLevel: (level: string) => {
            logs.level = level
          },
        },
      },
    },
  }
}

describe('startDatadogBrowser', () => {
  it('starts Datadog only in production, as the guide does', () => {
    expect(startDatadogBrowser({ environment: 'development', ...datadog })).toBe(false)
    expect(startDatadogBrowser({ environment: 'test', ...datadog })).toBe(false)
    expect(startDatadogBrowser(datadog)).toBe(false) // NODE_ENV is 'test' under vitest
    expect(datadogRum.getInitConfiguration()).toBeUndefined()
    expect(datadogLogs.getInitConfiguration()).toBeUndefined()
  })

  it('fails on bad options, naming them, before touching any SDK', () => {
    expect(() => startDatadogBrowser({ environment: 'production', ...datadog, clientToken: '' })).toThrow(
      /Invalid option clientToken/,
    )
    expect(() =>
      startDatadogBrowser({ environment: 'production', ...datadog, sessionReplaySampleRate: 120 }),
    ).toThrow(/Invalid option sessionReplaySampleRate: expected a number from 0 to 100/)
    // Validated in every environment, so a mistake shows up before production.
    expect(() =>
      startDatadogBrowser({ environment: 'development', ...datadog, sessionSampleRate: -1 }),
    ).toThrow(/Invalid option sessionSampleRate/)
    expect(() =>
      // @ts-expect-error not a privacy level
      startDatadogBrowser({ environment: 'production', ...datadog, defaultPrivacyLevel: 'none' }),
    ).toThrow(/Invalid option defaultPrivacyLevel/)
    // @ts-expect-error the RUM SDK object is required
    expect(() => startDatadogBrowser({ ...ids })).toThrow(/Invalid option rum/)
    // @ts-expect-error logs must be the browser-logs SDK object
    expect(() => startDatadogBrowser({ ...datadog, logs: {} })).toThrow(/Invalid option logs/)
    expect(datadogRum.getInitConfiguration()).toBeUndefined()
  })

  it('in production, RUM with inputs masked and session replay, and logs forwarding errors', () => {
    const { rum, logs, options } = fakeSdks()
    expect(startDatadogBrowser({ ...options, environment: 'production', version: '1.2.3', proxy: '' })).toBe(
      true,
    )
    expect(rum.config).toEqual({
      applicationId: ids.applicationId,
      clientToken: ids.clientToken,
      site: 'datadoghq.com',
      service: 'vivr-frontend',
      env: 'production',
      version: '1.2.3',
      sessionSampleRate: 100,
      sessionReplaySampleRate: 100,
      trackUserInteractions: true,
      trackResources: true,
      trackLongTasks: true,
      defaultPrivacyLevel: 'mask-user-input',
    })
    expect(rum.recording).toBe(true)
    expect(logs.config).toMatchObject({
      clientToken: ids.clientToken,
      env: 'production',
      forwardErrorsToLogs: true,
    })
    expect(logs.level).toBe('info')
  })

  it('takes its options, and leaves SDKs already initialised alone', () => {
    const { rum, logs, options } = fakeSdks()
    startDatadogBrowser({
      ...options,
      environment: 'staging',
      onlyInProduction: false,
      site: 'datadoghq.eu',
      service: 'shop',
      sessionSampleRate: 50,
      sessionReplaySampleRate: 10,
      defaultPrivacyLevel: 'mask',
      proxy: 'https://shop.example/dd',
      logLevel: 'warn',
    })
    expect(rum.config).toMatchObject({
      env: 'staging',
      site: 'datadoghq.eu',
      service: 'shop',
      sessionSampleRate: 50,
      sessionReplaySampleRate: 10,
      defaultPrivacyLevel: 'mask',
      proxy: 'https://shop.example/dd',
    })
    expect(logs.level).toBe('warn')
    const first = rum.config
    expect(startDatadogBrowser({ ...options, environment: 'production', service: 'other' })).toBe(true)
    expect(rum.config).toBe(first)
  })
})
