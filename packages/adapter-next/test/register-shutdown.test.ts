// The `shutdown` option's wiring, and the reporter flushed by it (its behaviour under a real `next start` and SIGTERM is in test/outside/next.test.ts).
// Its own file: a registration is once per process, and this one must start from none.
import { createHealth } from '@vivr/core'
import { memoryLogger, memoryMetrics } from '@vivr/testkit'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { getObservability, registerObservability } from '../src/index.js'

const REGISTRY = Symbol.for('@vivr/adapter-next/observability')
afterEach(() => {
  getObservability()?.lifecycle?.dispose()
  Reflect.deleteProperty(globalThis, REGISTRY)
  delete process.env.NEXT_MANUAL_SIG_HANDLE
})

describe('registerObservability({ shutdown })', () => {
  it('without NEXT_MANUAL_SIG_HANDLE installs nothing and says why (Next.js would exit 143 first)', async () => {
    const logger = memoryLogger()
    const before = process.listenerCount('SIGTERM')
    await registerObservability({ logger, shutdown: { health: createHealth({ checks: [] }) } }).register()
    expect(getObservability()?.lifecycle).toBeUndefined()
    expect(process.listenerCount('SIGTERM')).toBe(before)
    expect(logger.find({ level: 'WARN' })[0]?.message).toMatch(/NEXT_MANUAL_SIG_HANDLE=true/)
  })

  it('with NEXT_MANUAL_SIG_HANDLE takes SIGTERM and SIGINT and hands out the lifecycle for your hooks', async () => {
    process.env.NEXT_MANUAL_SIG_HANDLE = '1'
    const logger = memoryLogger()
    const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]
    await registerObservability({ logger, shutdown: { drainDelayMs: 0 } }).register()
    const lifecycle = getObservability()?.lifecycle
    expect(lifecycle?.onShutdown).toBeTypeOf('function')
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(
      before.map((n) => n + 1),
    )
    expect(logger.find({ level: 'WARN' })).toEqual([])
  })
})

describe('registerObservability({ reporter, shutdown })', () => {
  it('flushes the reporter last, after your hooks and the metric sinks', async () => {
    process.env.NEXT_MANUAL_SIG_HANDLE = '1'
    const order: string[] = []
    const reporter = {
      captureException: () => undefined,
      flush: async (timeoutMs?: number) => {
        order.push(`reporter flushed within ${timeoutMs} ms`)
        return true
      },
    }
    const metrics = { ...memoryMetrics(), close: async () => void order.push('metrics closed') }
    await registerObservability({
      logger: memoryLogger(),
      metrics,
      reporter: async () => reporter,
      shutdown: { drainDelayMs: 0 },
    }).register()
    const lifecycle = getObservability()?.lifecycle
    lifecycle?.onShutdown('database', () => void order.push('database closed'))
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never)
    try {
      expect(await lifecycle?.shutdown('test')).toBe(0)
    } finally {
      exit.mockRestore()
    }
    expect(order).toEqual(['database closed', 'metrics closed', 'reporter flushed within 2000 ms'])
  })
})
