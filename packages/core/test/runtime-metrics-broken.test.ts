import { memoryMetrics } from '@vivr/testkit'
import { describe, expect, it, vi } from 'vitest'
import { type Clock, METRIC } from '../src/index.js'
import { runtimeMetrics } from '../src/node.js'

// A runtime whose perf_hooks is broken (an embedder, a partial polyfill): every API runtimeMetrics uses throws.
vi.mock('node:perf_hooks', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:perf_hooks')>()
  const broken = () => {
    throw new Error('not implemented')
  }
  return {
    ...original,
    monitorEventLoopDelay: broken,
    PerformanceObserver: class {
      constructor() {
        broken()
      }
    },
    performance: { now: () => Date.now(), eventLoopUtilization: broken },
  }
})

function manualClock() {
  const timers = new Map<number, () => void>()
  let id = 0
  const clock: Clock = {
    now: () => 0,
    setTimeout(callback) {
      timers.set(++id, callback)
      return id
    },
    clearTimeout(handle) {
      timers.delete(handle as number)
    },
  }
  return {
    clock,
    pending: () => timers.size,
    fire() {
      for (const [key, callback] of [...timers]) {
        timers.delete(key)
        callback()
      }
    },
  }
}

describe('runtimeMetrics on a runtime without working perf_hooks', () => {
  it('starts, collects what it still can (memory, handles), never throws, and stops', () => {
    const metrics = memoryMetrics()
    const { clock, fire, pending } = manualClock()
    const runtime = runtimeMetrics({ metrics, intervalMs: 1000, clock })
    expect(() => {
      fire()
      fire()
    }).not.toThrow()
    expect(pending()).toBe(1) // the next collection, nothing else
    expect(metrics.find(METRIC.rss)).toHaveLength(2)
    expect(metrics.find(METRIC.activeHandles)).toHaveLength(2)
    for (const name of [
      METRIC.eventLoopDelayP50,
      METRIC.eventLoopDelayP99,
      METRIC.eventLoopDelayMax,
      METRIC.eventLoopUtilization,
      METRIC.gcPause, // no observer: no made-up zeros either
    ]) {
      expect(metrics.find(name), name).toEqual([])
    }
    expect(() => runtime.stop()).not.toThrow()
    expect(pending()).toBe(0)
  })
})
