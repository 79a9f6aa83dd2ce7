import { join } from 'node:path'
import { runScript, type SentryServer, startSentryServer } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../../..')
const fixture = join(import.meta.dirname, 'fixtures/sentry-child.ts')
let server: SentryServer

beforeAll(async () => {
  server = await startSentryServer()
})
afterAll(async () => {
  await server.close()
})

function runChild(args: string[], timeoutMs = 20_000) {
  return runScript(fixture, args, { cwd: root, conditions: ['@vivr/source'], timeoutMs })
}

// The child calls process.exit(0) as soon as flush()/close() resolves: whatever the server holds when the child
// is gone was delivered before exit.
describe('a process reporting to Sentry', () => {
  it.each(['flush', 'close'])('delivers every event before exit with %s()', async (mode) => {
    server.clear()
    const result = await runChild([server.dsn, mode, '5'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ delivered: true })
    const children = server
      .events()
      .map((e) => e.tags?.child)
      .sort()
    expect(children).toEqual(['0', '1', '2', '3', '4'])
  })
})
