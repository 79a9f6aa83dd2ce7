'use client'

import * as Sentry from '@sentry/nextjs'
import { startDatadogBrowser } from '@vivr/sink-datadog/browser'
import { startSentryBrowser } from '@vivr/sink-sentry/browser'
import { usePathname } from 'next/navigation'
import { useEffect } from 'react'
import type { BrowserConfig } from '@/server/config'

/**
 * Browser monitoring through the sinks' browser entries, configured at request time by the server (one build serves
 * every environment, so not in instrumentation-client.ts, which sees build-time values only): Sentry with Session
 * Replay masking all text and blocking media, and Datadog RUM + browser logs in production when its ids are set
 * (the guide's settings). Also sends each page's load time to /api/vitals.
 */
export function Monitoring({ config }: { config: BrowserConfig }) {
  const pathname = usePathname()

  useEffect(() => {
    const datadog = config.datadog
    // The Datadog SDKs are loaded only when they will run.
    const sdks =
      datadog && config.environment === 'production'
        ? Promise.all([import('@datadog/browser-rum'), import('@datadog/browser-logs')])
        : Promise.resolve(undefined)
    if (config.sentryDsn) {
      startSentryBrowser({
        sdk: Sentry,
        dsn: config.sentryDsn,
        environment: config.environment,
        release: config.version,
      })
    }
    void sdks.then((loaded) => {
      if (!datadog || !loaded) return
      startDatadogBrowser({
        rum: loaded[0].datadogRum,
        logs: loaded[1].datadogLogs,
        applicationId: datadog.applicationId,
        clientToken: datadog.clientToken,
        site: datadog.site,
        version: config.version,
        environment: config.environment,
      })
    })
  }, [config])

  useEffect(() => {
    const [navigation] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[]
    const loadMs = navigation && navigation.loadEventEnd > 0 ? navigation.loadEventEnd : performance.now()
    const body = JSON.stringify({ path: pathname, loadMs: Math.round(loadMs) })
    navigator.sendBeacon?.('/api/vitals', new Blob([body], { type: 'application/json' }))
  }, [pathname])

  return null
}
