'use client'

import * as Sentry from '@sentry/nextjs'
import { usePathname } from 'next/navigation'
import { useEffect } from 'react'
import type { BrowserConfig } from '@/server/config'

let started = false

/**
 * Browser monitoring, configured at request time by the server (one build serves every environment): Sentry with
 * Session Replay masking all text and blocking media, and Datadog RUM + browser logs in production builds when
 * its ids are set (the guide's settings). Also sends each page's load time to /api/vitals.
 */
export function Monitoring({ config }: { config: BrowserConfig }) {
  const pathname = usePathname()

  useEffect(() => {
    if (started) return
    started = true
    if (config.sentryDsn) {
      // @vivr/sink-sentry's sentryOptions() would be the shared piece here, but it imports @vivr/core's barrel,
      // which carries Node-only modules (pino, node:async_hooks) that a browser bundle cannot resolve.
      Sentry.init({
        dsn: config.sentryDsn,
        environment: config.environment,
        release: config.version,
        tracesSampleRate: 0.1,
        beforeSend(event, hint) {
          const error = hint.originalException
          if (error instanceof Error && error.message.includes('Network request failed')) return null
          if (event.request?.headers) {
            delete event.request.headers.authorization
            delete event.request.headers.cookie
          }
          return event
        },
        integrations: [Sentry.replayIntegration({ maskAllText: true, blockAllMedia: true })],
        replaysSessionSampleRate: 0.1,
        replaysOnErrorSampleRate: 1.0,
      })
    }
    const datadog = config.datadog
    if (datadog && process.env.NODE_ENV === 'production') {
      void Promise.all([import('@datadog/browser-rum'), import('@datadog/browser-logs')]).then(
        ([{ datadogRum }, { datadogLogs }]) => {
          datadogRum.init({
            applicationId: datadog.applicationId,
            clientToken: datadog.clientToken,
            site: datadog.site,
            service: 'vivr-frontend',
            env: config.environment,
            version: config.version,
            sessionSampleRate: 100,
            sessionReplaySampleRate: 100,
            trackUserInteractions: true,
            trackResources: true,
            trackLongTasks: true,
            defaultPrivacyLevel: 'mask-user-input',
          })
          datadogRum.startSessionReplayRecording()
          datadogLogs.init({
            clientToken: datadog.clientToken,
            site: datadog.site,
            service: 'vivr-frontend',
            env: config.environment,
            sessionSampleRate: 100,
            forwardErrorsToLogs: true,
          })
        },
      )
    }
  }, [config])

  useEffect(() => {
    const [navigation] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[]
    const loadMs = navigation && navigation.loadEventEnd > 0 ? navigation.loadEventEnd : performance.now()
    const body = JSON.stringify({ path: pathname, loadMs: Math.round(loadMs) })
    navigator.sendBeacon?.('/api/vitals', new Blob([body], { type: 'application/json' }))
  }, [pathname])

  return null
}
