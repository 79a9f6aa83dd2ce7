import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createLifecycle } from '../src/node.js'

const FIXTURE = join(import.meta.dirname, 'fixtures', 'lifecycle-app.ts')
const children: ChildProcess[] = []

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})

async function startFixture(env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--conditions=@vivr/source', '--import', 'tsx', FIXTURE], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const lines: Array<Record<string, unknown>> = []
  let buffered = ''
  let resolvePort: (port: number) => void
  const port = new Promise<number>((resolve) => {
    resolvePort = resolve
  })
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk
    const parts = buffered.split('\n')
    buffered = parts.pop() ?? ''
    for (const part of parts) {
      const line = JSON.parse(part)
      if (typeof line.port === 'number') resolvePort(line.port)
      else lines.push(line)
    }
  })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  return { child, lines, base: `http://127.0.0.1:${await port}`, exited }
}

describe('createLifecycle in a real process', () => {
  it('SIGTERM: readiness 503 during drain, liveness 200, hooks in reverse order, bounded, exit 0', async () => {
    const app = await startFixture({ DRAIN_DELAY_MS: '600' })
    expect((await fetch(`${app.base}/health/ready`)).status).toBe(200)

    app.child.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 150))
    const ready = await fetch(`${app.base}/health/ready`)
    expect(ready.status).toBe(503)
    expect(await ready.json()).toMatchObject({ status: 'unhealthy', message: 'shutting down' })
    expect((await fetch(`${app.base}/health`)).status).toBe(503)
    expect((await fetch(`${app.base}/health/live`)).status).toBe(200)
    app.child.kill('SIGTERM') // a second signal must not restart the sequence

    const [code] = await app.exited
    expect(code).toBe(0)
    const messages = app.lines.map((l) => String(l.message))
    expect(messages.filter((m) => m === 'shutting down')).toHaveLength(1)
    expect(messages).toContain('shutdown already in progress')
    const order = [
      'shutdown hook failed',
      'shutdown hook timed out; skipped',
      'hook: flush sinks',
      'shutdown complete',
    ]
    const positions = order.map((m) => messages.indexOf(m))
    expect(positions.every((p) => p >= 0)).toBe(true)
    expect(positions).toEqual([...positions].sort((a, b) => a - b))
    expect(app.lines.find((l) => l.message === 'shutdown hook timed out; skipped')?.hook).toBe('hung hook')
  })

  it('exits 1 when the overall timeout passes first', async () => {
    const app = await startFixture({ DRAIN_DELAY_MS: '2000', SHUTDOWN_TIMEOUT_MS: '300' })
    const started = performance.now()
    app.child.kill('SIGINT')
    const [code] = await app.exited
    expect(code).toBe(1)
    expect(performance.now() - started).toBeLessThan(1800)
    expect(app.lines.some((l) => l.message === 'shutdown timed out')).toBe(true)
  })
})

describe('createLifecycle options', () => {
  it('validates options naming them', () => {
    expect(() => createLifecycle({ drainDelayMs: -1, signals: [] })).toThrow(/drainDelayMs/)
    expect(() => createLifecycle({ timeoutMs: 0, signals: [] })).toThrow(/timeoutMs/)
    const lifecycle = createLifecycle({ signals: [] })
    expect(() => lifecycle.onShutdown('x', () => {}, { timeoutMs: Number.NaN })).toThrow(/timeoutMs/)
  })

  it('shutdown() runs once and hands its exit code to exit()', async () => {
    const codes: number[] = []
    let runs = 0
    const lifecycle = createLifecycle({ drainDelayMs: 0, signals: [], exit: (code) => codes.push(code) })
    lifecycle.onShutdown('count', () => {
      runs++
    })
    const [a, b] = await Promise.all([lifecycle.shutdown('test'), lifecycle.shutdown('again')])
    expect([a, b, runs, codes]).toEqual([0, 0, 1, [0]])
  })
})
