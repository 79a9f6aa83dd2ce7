'use client'
import { datadogLogs } from '@datadog/browser-logs'
import { datadogRum } from '@datadog/browser-rum'
import * as Sentry from '@sentry/nextjs'
import { startDatadogBrowser } from '@vivr/sink-datadog/browser'
import { startSentryBrowser } from '@vivr/sink-sentry/browser'
import { useEffect } from 'react'

export function Monitoring({ sentryDsn, datadogProxy }: { sentryDsn: string; datadogProxy: string }) {
  useEffect(() => {
    const started = {
      // Every session recorded, so the test sees a replay without waiting for an error.
      sentry: startSentryBrowser({ sdk: Sentry, dsn: sentryDsn, replaysSessionSampleRate: 1 }),
      datadog: startDatadogBrowser({
        rum: datadogRum,
        logs: datadogLogs,
        applicationId: '00000000-0000-4000-8000-000000000000',
        clientToken: 'pub00000000000000000000000000000000',
        proxy: datadogProxy,
      }),
    }
    Object.assign(window, {
      __monitoring: {
        started,
        rum: datadogRum.getInitConfiguration(),
        logs: datadogLogs.getInitConfiguration(),
        sentry: Sentry.getClient()?.getOptions(),
        flushReplay: () => Sentry.getReplay()?.flush(),
      },
    })
  }, [])
  return null
}
