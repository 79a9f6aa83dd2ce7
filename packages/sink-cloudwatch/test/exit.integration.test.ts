import { join } from 'node:path'
import { type CloudWatchLogsServer, runScript, startCloudWatchLogsServer } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../../..')
const fixture = join(import.meta.dirname, 'fixtures/child-writer.ts')
let server: CloudWatchLogsServer

beforeAll(async () => {
  server = await startCloudWatchLogsServer()
})
afterAll(async () => {
  await server.close()
})

function runChild(args: string[], timeoutMs = 15_000, env: Record<string, string> = {}) {
  return runScript(fixture, args, {
    cwd: root,
    conditions: ['@vivr/source'],
    timeoutMs,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
  })
}

describe('a process using cloudwatchLogs', () => {
  it('delivers everything on close() and then exits on its own', async () => {
    const result = await runChild([server.endpoint, '/vivr/test/child-close', 'close', '25000'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const messages = server.events('/vivr/test/child-close', 'child').map((e) => JSON.parse(e.message).i)
    expect(messages).toEqual(Array.from({ length: 25_000 }, (_, i) => i))
  })

  it('exits on its own after flush() with the client still open (idle sockets and timers do not hold it)', async () => {
    const result = await runChild([server.endpoint, '/vivr/test/child-flush', 'flush', '100'])
    expect(result.code).toBe(0)
    expect(server.events('/vivr/test/child-flush', 'child')).toHaveLength(100)
  })

  it('exits on its own without close(): the flush timer is unref’d', async () => {
    const result = await runChild([server.endpoint, '/vivr/test/child-none', 'none', '100'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ written: 100, bufferedEvents: 100 })
  })

  it('stays alive through close() while the endpoint is down, then hands the lines to stderr and exits', async () => {
    const down = await startCloudWatchLogsServer()
    await down.stop()
    try {
      const result = await runChild([down.endpoint, '/vivr/test/child-down', 'close', '50'], 15_000, {
        FLUSH_TIMEOUT_MS: '1000',
      })
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout)).toMatchObject({ written: 50, fallback: 50, delivered: 0 })
      const stderrLines = result.stderr.trim().split('\n')
      expect(stderrLines.filter((l) => l.includes('"child line"'))).toHaveLength(50)
      expect(stderrLines.some((l) => l.includes('did not take every line before close'))).toBe(true)
    } finally {
      await down.close()
    }
  })
})
