// `@vivr/testkit` is for any process, not only a test runner's: the sink READMEs' offline recipe starts its
// loopback servers from a plain script. These tests import the BUILT package (as a user would, through its
// `exports` without the source condition) in a fresh Node process where 'vitest' cannot be resolved.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../../..')
// Inside the repo's node_modules so that '@vivr/testkit' resolves the way it does for a user's project.
mkdirSync(join(root, 'node_modules/.cache'), { recursive: true })
const dir = mkdtempSync(join(root, 'node_modules/.cache/testkit-without-vitest-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const refusesVitest = (specifier: string) => specifier === 'vitest' || specifier.startsWith('vitest/')

// ESM: a resolve hook that answers what Node answers when the package is not installed.
writeFileSync(
  join(dir, 'no-vitest-hooks.mjs'),
  `export async function resolve(specifier, context, next) {
  if ((${refusesVitest.toString()})(specifier)) {
    const error = new Error("Cannot find package 'vitest' imported from " + context.parentURL)
    error.code = 'ERR_MODULE_NOT_FOUND'
    throw error
  }
  return next(specifier, context)
}
`,
)
writeFileSync(
  join(dir, 'no-vitest.mjs'),
  `import { register } from 'node:module'\nregister('./no-vitest-hooks.mjs', import.meta.url)\n`,
)
// CommonJS: require() goes through Module._resolveFilename.
writeFileSync(
  join(dir, 'no-vitest.cjs'),
  `const Module = require('node:module')
const original = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  if ((${refusesVitest.toString()})(request)) {
    const error = new Error("Cannot find module 'vitest'")
    error.code = 'MODULE_NOT_FOUND'
    throw error
  }
  return original.call(this, request, ...rest)
}
`,
)

const body = (load: string) => `${load}
const server = await kit.startCloudWatchLogsServer()
const logger = kit.memoryLogger()
logger.info('hello', { port: server.port })
const response = await fetch(server.endpoint, { method: 'POST' })
await server.close()
console.log(JSON.stringify({ lines: logger.lines.length, message: logger.lines[0].message, status: response.status, hasContracts: 'describeCheckContract' in kit }))
`
writeFileSync(join(dir, 'esm.mjs'), body(`const kit = await import(process.argv[2])`))
writeFileSync(
  join(dir, 'cjs.cjs'),
  `(async () => {\n${body('const kit = require(process.argv[2])')}\n})().catch((error) => { console.error(error); process.exit(1) })\n`,
)

function node(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env }
  delete env.NODE_PATH
  delete env.NODE_OPTIONS
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd: dir, env, timeout: 15_000 }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    })
  })
}

describe('@vivr/testkit without vitest installed', () => {
  it('ESM: the built entry loads, starts the loopback CloudWatch server and a memoryLogger', async () => {
    const result = await node(['--import', './no-vitest.mjs', 'esm.mjs', '@vivr/testkit'])
    expect(result.stderr).not.toContain('vitest')
    expect(result.code).toBe(0)
    const out = JSON.parse(result.stdout.trim())
    expect(out).toMatchObject({ lines: 1, message: 'hello', hasContracts: false })
    expect(out.status).toBeGreaterThanOrEqual(400) // an unsigned request without a target: the server answers
  })

  it('CommonJS: the built entry loads, starts the loopback CloudWatch server and a memoryLogger', async () => {
    const result = await node(['--require', './no-vitest.cjs', 'cjs.cjs', '@vivr/testkit'])
    expect(result.stderr).not.toContain('vitest')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout.trim())).toMatchObject({
      lines: 1,
      message: 'hello',
      hasContracts: false,
    })
  })

  it('the same setup does refuse vitest: @vivr/testkit/contracts fails to load', async () => {
    const esm = await node(['--import', './no-vitest.mjs', 'esm.mjs', '@vivr/testkit/contracts'])
    expect(esm.code).not.toBe(0)
    expect(esm.stderr).toContain("Cannot find package 'vitest'")
    const cjs = await node(['--require', './no-vitest.cjs', 'cjs.cjs', '@vivr/testkit/contracts'])
    expect(cjs.code).not.toBe(0)
    expect(cjs.stderr).toContain("Cannot find module 'vitest'")
  })
})
