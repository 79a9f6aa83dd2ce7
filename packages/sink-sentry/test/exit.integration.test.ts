import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { type SentryServer, startSentryServer } from '@vivr/testkit'
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
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@vivr/source', '--import', 'tsx', fixture, ...args],
      {
        cwd: root,
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const killer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child did not exit within ${timeoutMs}ms: ${stderr}`))
    }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(killer)
      resolve({ code, stdout, stderr })
    })
  })
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
