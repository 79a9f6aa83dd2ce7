import { defineConfig, type Options } from 'tsup'

const common = { format: ['esm', 'cjs'], dts: true, sourcemap: true } as const

// Core's one entry also holds the logger and request context; the browser entry uses none of it, but a bundler
// still resolves their imports. Here they resolve to an empty module, and the tree-shaker drops them.
const serverOnlyInBrowser: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'server-only-in-browser',
  setup(build) {
    build.onResolve({ filter: /^(node:)?async_hooks$|^pino$/ }, (args) => ({
      path: args.path,
      namespace: 'server-only',
    }))
    build.onLoad({ filter: /.*/, namespace: 'server-only' }, () => ({
      contents: 'export default undefined; export const AsyncLocalStorage = undefined',
    }))
  },
}

// sink-sentry's few pure functions (Sentry options, beforeSend, reporter) travel inside both entries, code and
// types, so a Next.js app without Sentry installs no sink: Sentry's SDK itself is an optional peer the user passes.
const sinkSentryInside = { noExternal: ['@vivr/sink-sentry'], dts: { resolve: ['@vivr/sink-sentry'] } }

export default defineConfig([
  { ...common, ...sinkSentryInside, entry: ['src/index.ts'], target: 'node20' },
  {
    ...common,
    entry: ['src/client.ts'],
    target: 'es2020',
    // Not 'browser': esbuild would fix process.env.NODE_ENV to 'development'; the app's bundler inlines it.
    platform: 'neutral',
    // The few pure functions used from sink-sentry and core travel inside the browser entry.
    noExternal: ['@vivr/core', '@vivr/sink-sentry'],
    dts: sinkSentryInside.dts,
    esbuildPlugins: [serverOnlyInBrowser],
  },
])
