// The browser entry as a browser bundler takes it: esbuild, platform 'browser', no plugin, no stub, the SDK left
// to the app. Then the bundle runs in a bare realm with a browser's globals and no `process`.
import { runInNewContext } from 'node:vm'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

async function bundle() {
  const result = await build({
    stdin: {
      contents: "export { startSentryBrowser } from '@vivr/sink-sentry/browser'",
      resolveDir: import.meta.dirname,
      loader: 'ts',
    },
    bundle: true,
    write: false,
    metafile: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'entry',
    // The workspace's sources, as the repository resolves them everywhere else.
    conditions: ['@vivr/source'],
    external: ['@sentry/*'],
    logLevel: 'silent',
  })
  return { code: result.outputFiles[0]?.text ?? '', inputs: Object.keys(result.metafile.inputs) }
}

/** A realm with what a browser has and no `process`, `require` or `Buffer`. */
function browserRealm(code: string, extra: Record<string, unknown> = {}) {
  const realm: Record<string, unknown> = { URL, TextEncoder, TextDecoder, console, queueMicrotask, ...extra }
  runInNewContext(code, realm)
  return realm.entry as typeof import('../src/browser.js')
}

describe('@vivr/sink-sentry/browser in a browser bundle', () => {
  it('bundles with no Node module reached', { timeout: 30_000 }, async () => {
    const { inputs } = await bundle()
    expect(inputs.some((input) => input.includes('sink-sentry/src/browser.ts'))).toBe(true)
    expect(
      inputs.filter((input) => /pino|async_hooks|core\/src\/node|sink-sentry\/src\/reporter/.test(input)),
    ).toEqual([])
  })

  it('runs where there is no process: no DSN unless given or inlined', { timeout: 30_000 }, async () => {
    const { code } = await bundle()
    const init: Array<Record<string, unknown>> = []
    const sdk = {
      init: (options: Record<string, unknown>) => init.push(options),
      replayIntegration: (options: unknown) => ({ name: 'Replay', options }),
    }
    expect(browserRealm(code).startSentryBrowser({ sdk, environment: 'production' })).toBe(true)
    expect(init[0]).not.toHaveProperty('dsn')
    expect(init[0]).toMatchObject({ environment: 'production', replaysSessionSampleRate: 0.1 })

    const dsn = 'https://public@o1.ingest.sentry.io/42'
    const inlined = browserRealm(code, { process: { env: { NEXT_PUBLIC_SENTRY_DSN: dsn } } })
    inlined.startSentryBrowser({ sdk })
    expect(init[1]?.dsn).toBe(dsn)
  })
})
