import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

/*
 * The isomorphic entries must bundle for a browser as published (dist, no source condition), with no plugins and
 * no stubs: a Node import anywhere in what they reach fails the build on platform 'browser'.
 */
describe("@vivr/core's isomorphic entries in a browser bundle", () => {
  it.each(['@vivr/core', '@vivr/core/internal'])(
    '%s bundles with esbuild, platform browser, no plugins',
    async (entry) => {
      const result = await build({
        stdin: { contents: `export * from '${entry}'`, resolveDir: new URL('.', import.meta.url).pathname },
        bundle: true,
        write: false,
        platform: 'browser',
        format: 'esm',
        logLevel: 'silent',
      })
      expect(result.errors).toEqual([])
      const code = result.outputFiles[0]?.text ?? ''
      expect(code).not.toMatch(/from ['"](node:|pino)/)
      expect(code).not.toContain('AsyncLocalStorage')
    },
  )

  it('the Node entry does not (control: the test can fail)', async () => {
    await expect(
      build({
        stdin: {
          contents: "export * from '@vivr/core/node'",
          resolveDir: new URL('.', import.meta.url).pathname,
        },
        bundle: true,
        write: false,
        platform: 'browser',
        format: 'esm',
        logLevel: 'silent',
      }),
    ).rejects.toThrow(/Could not resolve|node:/)
  })
})
