import { join } from 'node:path'
import { runScript } from '@vivr/testkit'
import { describe, expect, it } from 'vitest'
import { type Clock, createHealth, systemClock } from '../src/index.js'

const root = join(import.meta.dirname, '../../..')
const fixture = join(import.meta.dirname, 'fixtures/health-cli.ts')
const runCli = (args: string[]) => runScript(fixture, args, { cwd: root, conditions: ['@vivr/source'] })

describe('health deadlines in a real process', () => {
  it('a script awaiting health.run() on a never-settling check prints the error entry and exits 0', async () => {
    const result = await runCli(['run', '300'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      status: 'error',
      latency: expect.any(Number),
      message: 'timed out after 300ms',
    })
    expect(result.elapsedMs).toBeGreaterThanOrEqual(300)
  })

  it('a script awaiting health.handler(request) gets its 503 after the deadline and exits 0', async () => {
    const result = await runCli(['handler', '300'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const { status, body } = JSON.parse(result.stdout)
    expect(status).toBe(503)
    expect(body.checks.hung).toMatchObject({ status: 'error', message: 'timed out after 300ms' })
  })

  it('background mode never keeps a process alive: it exits long before the deadline', async () => {
    const result = await runCli(['background', '5000'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toBe('{"started":true}')
    expect(result.elapsedMs).toBeLessThan(4000)
  })
})

/** A manual clock that records, for each timer, whether it was asked to keep the process alive. */
function recordingClock() {
  let now = 0
  let nextId = 0
  const timers = new Map<number, { at: number; callback: () => void; keepAlive: boolean }>()
  const created: Array<{ delayMs: number; keepAlive: boolean }> = []
  const clock: Clock = {
    now: () => now,
    setTimeout(callback, delayMs, options) {
      const keepAlive = options?.keepAlive === true
      created.push({ delayMs, keepAlive })
      timers.set(++nextId, { at: now + delayMs, callback, keepAlive })
      return nextId
    },
    clearTimeout(handle) {
      timers.delete(handle as number)
    },
  }
  return {
    clock,
    created,
    /** Timers still pending that hold the process. */
    holding: () => [...timers.values()].filter((t) => t.keepAlive).length,
    async advance(ms: number) {
      now += ms
      for (const [id, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(id)
          timer.callback()
        }
      }
      for (let i = 0; i < 10; i++) await Promise.resolve()
    },
  }
}

describe('which timers hold the process (injected clock)', () => {
  const hung = { name: 'hung', timeoutMs: 100, run: () => new Promise<void>(() => {}) }

  it('systemClock unrefs a timer unless asked to keep the process alive', () => {
    const unrefd = systemClock.setTimeout(() => {}, 10_000) as NodeJS.Timeout
    const held = systemClock.setTimeout(() => {}, 10_000, { keepAlive: true }) as NodeJS.Timeout
    expect(unrefd.hasRef()).toBe(false)
    expect(held.hasRef()).toBe(true)
    systemClock.clearTimeout(unrefd)
    systemClock.clearTimeout(held)
  })

  it('an awaited run holds the process until its deadline, and no longer', async () => {
    const time = recordingClock()
    const health = createHealth({ checks: [hung], clock: time.clock, includeMetrics: false })
    const pending = health.run()
    await time.advance(0)
    expect(time.created).toEqual([{ delayMs: 100, keepAlive: true }])
    expect(time.holding()).toBe(1)
    await time.advance(100)
    expect((await pending).checks.hung?.message).toBe('timed out after 100ms')
    expect(time.holding()).toBe(0)
  })

  it('background runs never hold it; awaiting the first background report does, until it is complete', async () => {
    const time = recordingClock()
    const health = createHealth({ checks: [hung], clock: time.clock, includeMetrics: false })
    health.start({ intervalMs: 1000 })
    await time.advance(0)
    expect(time.created.every((t) => !t.keepAlive)).toBe(true)
    expect(time.holding()).toBe(0)
    const first = health.run()
    expect(time.holding()).toBe(1)
    await time.advance(100)
    expect((await first).checks.hung?.status).toBe('error')
    expect(time.holding()).toBe(0)
    // Later reports are answered at once: nothing to hold.
    await time.advance(1000)
    await health.run()
    expect(time.holding()).toBe(0)
    health.stop()
  })

  it('an awaited run that joins a background run still in flight holds the process until it settles', async () => {
    const time = recordingClock()
    const health = createHealth({ checks: [hung], clock: time.clock, includeMetrics: false })
    health.start({ intervalMs: 1000 })
    await time.advance(0)
    health.stop()
    const joined = health.run()
    expect(time.holding()).toBe(1)
    await time.advance(100)
    expect((await joined).checks.hung?.message).toBe('timed out after 100ms')
    expect(time.holding()).toBe(0)
  })
})
