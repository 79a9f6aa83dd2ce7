import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { withSentryConfig } from '@sentry/nextjs/config'
import type { NextConfig } from 'next'

interface WebpackConfig {
  resolve?: { alias?: Record<string, unknown>; extensionAlias?: Record<string, string[]> }
}

const require = createRequire(import.meta.url)
const manifest = JSON.parse(readFileSync(join(import.meta.dirname, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
}
const kitPackages = Object.keys(manifest.dependencies).filter((name) => name.startsWith('@vivr/'))

/**
 * Inside the monorepo the kit's packages are used from their TypeScript sources, as everywhere else in the repo
 * (the `@vivr/source` export condition), so the demo never waits for a package build: each package's
 * `@vivr/source` target becomes an exact-match alias. The sources import each other with `.js` specifiers
 * (TypeScript's ESM convention), which webpack maps to `.ts` through `extensionAlias`; Turbopack has no such
 * option yet (vercel/next.js#82945), so the store builds with `next build --webpack`.
 */
function sourceAliases(): Record<string, string> {
  const aliases: Record<string, string> = {}
  for (const name of [...kitPackages, '@vivr/core']) {
    const packageJson = require.resolve(`${name}/package.json`)
    const { exports } = JSON.parse(readFileSync(packageJson, 'utf8')) as {
      exports: Record<string, { '@vivr/source'?: string } | string>
    }
    for (const [subpath, entry] of Object.entries(exports)) {
      if (typeof entry === 'object' && entry['@vivr/source']) {
        aliases[`${name}${subpath.slice(1)}$`] = join(dirname(packageJson), entry['@vivr/source'])
      }
    }
  }
  return aliases
}

const config: NextConfig = {
  distDir: process.env.NEXT_DIST_DIR ?? '.next',
  reactStrictMode: true,
  poweredByHeader: false,
  // `npm run typecheck` checks the app (turbo runs it); the build does not repeat it.
  typescript: { ignoreBuildErrors: true },
  transpilePackages: kitPackages,
  serverExternalPackages: [
    'ioredis',
    'hot-shots',
    'prom-client',
    'stripe',
    '@aws-sdk/client-cloudwatch-logs',
    '@prisma/adapter-pg',
    '@electric-sql/pglite',
  ],
  // No stubs for the browser bundle: the browser code imports only @vivr/core's isomorphic entry and the sinks'
  // browser entries, which reach no Node module (scripts/check-boundaries.mjs keeps it so).
  webpack: (webpackConfig: WebpackConfig) => {
    webpackConfig.resolve ??= {}
    webpackConfig.resolve.alias = { ...webpackConfig.resolve.alias, ...sourceAliases() }
    webpackConfig.resolve.extensionAlias = {
      ...webpackConfig.resolve.extensionAlias,
      '.js': ['.ts', '.tsx', '.js'],
    }
    return webpackConfig
  },
}

// Source maps upload, tunnel and telemetry are off: the demo builds offline. Errors still reach Sentry at runtime
// when SENTRY_DSN / NEXT_PUBLIC_SENTRY_DSN are set.
export default withSentryConfig(config, {
  silent: true,
  telemetry: false,
  sourcemaps: { disable: true },
})
