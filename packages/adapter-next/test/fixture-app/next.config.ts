import { withSentryConfig } from '@sentry/nextjs/config'
import type { NextConfig } from 'next'

const config: NextConfig = { reactStrictMode: true, poweredByHeader: false }

export default withSentryConfig(config, { silent: true, telemetry: false, sourcemaps: { disable: true } })
