// The browser entry as a browser bundler takes it: esbuild, platform 'browser', no plugin, no stub, the SDKs left
// to the app. Then the bundle runs in a bare realm with a browser's globals and no `process`.
import { runInNewContext } from 'node:vm'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

async function bundle() {
  const result = await build({
    stdin: {
      contents: "export { startDatadogBrowser } from '@vivr/sink-datadog/browser'",
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
    external: ['@datadog/*'],
    logLevel: 'silent',
  })
  return { code: result.outputFiles[0]?.text ?? '', inputs: Object.keys(result.metafile.inputs) }
}

describe('@vivr/sink-datadog/browser in a browser bundle', () => {
  it('bundles with no Node module reached (hot-shots stays out)', { timeout: 30_000 }, async () => {
    const { inputs } = await bundle()
    expect(inputs.some((input) => input.includes('sink-datadog/src/browser.ts'))).toBe(true)
    expect(inputs.filter((input) => /hot-shots|pino|async_hooks|core\/src\/node/.test(input))).toEqual([])
  })

  it('runs in a realm with no process, off outside production', {
    timeout: 30_000,
  }, async () => {
    const { code } = await bundle()
    const realm: Record<string, unknown> = { URL, console }
    runInNewContext(code, realm)
    const { startDatadogBrowser } = realm.entry as typeof import('../src/browser.js')
    const inits: unknown[] = []
    const rum = { init: (config: unknown) => inits.push(config), getInitConfiguration: () => undefined }
    const ids = { applicationId: 'app', clientToken: 'token' }
    expect(startDatadogBrowser({ rum, ...ids })).toBe(false)
    expect(startDatadogBrowser({ rum, ...ids, environment: 'production' })).toBe(true)
    expect(inits).toMatchObject([{ env: 'production', defaultPrivacyLevel: 'mask-user-input' }])
  })
})
