// The probe must never reject, whatever the message helpers do: here they are made to throw.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const helpers = vi.hoisted(() => ({ hostile: false }))
vi.mock('../src/message.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/message.js')>()
  return {
    ...original,
    messageOf: (value: unknown) => {
      if (helpers.hostile) throw new Error('messageOf exploded')
      return original.messageOf(value)
    },
  }
})
vi.mock('../src/scrub.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/scrub.js')>()
  return {
    ...original,
    scrubSecrets: (text: string, maxLength?: number) => {
      if (helpers.hostile) throw new Error('scrubSecrets exploded')
      return original.scrubSecrets(text, maxLength)
    },
  }
})

const { createHealth } = await import('../src/index.js')

const checks = [
  {
    name: 'throws',
    critical: false,
    run: () => {
      throw new Error('down')
    },
  },
  { name: 'message', critical: false, run: () => ({ status: 'degraded' as const, message: 'slow' }) },
  { name: 'garbage', critical: false, run: () => ({ status: 'fine' }) as never },
  { name: 'fine', run: () => {} },
]

let unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
beforeEach(() => {
  helpers.hostile = true
  unhandled = []
  process.on('unhandledRejection', onUnhandled)
})
afterEach(() => {
  helpers.hostile = false
  process.off('unhandledRejection', onUnhandled)
})

describe('when messageOf and scrubSecrets throw', () => {
  it('run() still resolves, each failing check an error entry with a fixed message', async () => {
    const report = await createHealth({ checks, includeMetrics: false }).run()
    for (const name of ['throws', 'message', 'garbage']) {
      expect(report.checks[name], name).toEqual({
        status: 'error',
        latency: expect.any(Number),
        message: 'check failed; its message could not be read',
      })
    }
    expect(report.checks.fine).toEqual({ status: 'ok', latency: expect.any(Number) })
    expect(report.status).toBe('degraded')
  })

  it('the runner-failure answer falls back to a fixed message too', async () => {
    const health = createHealth({
      checks,
      environment: 'development',
      policy: () => {
        throw new Error('policy exploded')
      },
    })
    const response = await health.handler(new Request('http://localhost/health'))
    expect(response.status).toBe(503)
    expect((await response.json()).error).toBe('health check failed')
  })

  it('the handler answers and the background loop keeps running', async () => {
    vi.useFakeTimers()
    try {
      const health = createHealth({ checks, includeMetrics: false })
      expect((await health.handler(new Request('http://localhost/health'))).status).toBe(200)
      let reports = 0
      health.onReport(() => reports++)
      health.start({ intervalMs: 1000 })
      await vi.advanceTimersByTimeAsync(2500)
      expect(reports).toBe(3)
      expect((await health.run()).checks.throws?.status).toBe('error')
      health.stop()
    } finally {
      vi.useRealTimers()
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(unhandled).toEqual([])
  })
})
