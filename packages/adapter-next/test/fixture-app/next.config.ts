import { withSentryConfig } from '@sentry/nextjs/config'
import type { NextConfig } from 'next'

// Standalone too: one build serves both `next start` and `node .next/standalone/.../server.js`.
const config: NextConfig = { reactStrictMode: true, poweredByHeader: false, output: 'standalone' }

export default withSentryConfig(config, { silent: true, telemetry: false, sourcemaps: { disable: true } })
