import { describe, expect, it, vi } from 'vitest'
import { createThrottledWarnings, readEnv, singleFlight } from '../src/internal.js'

describe('singleFlight', () => {
  it('shares one run among concurrent callers and starts a new one once it settled, either way', async () => {
    let runs = 0
    let fail = true
    const shared = singleFlight(async () => {
      runs++
      await new Promise((resolve) => setTimeout(resolve, 5))
      if (fail) throw new Error('down')
      return runs
    })
    const first = [shared(), shared(), shared()]
    expect(runs).toBe(1) // started synchronously
    for (const p of first) await expect(p).rejects.toThrow('down')
    fail = false
    await expect(Promise.all([shared(), shared()])).resolves.toEqual([2, 2])
  })

  it('turns a synchronous throw into a rejection', async () => {
    const shared = singleFlight((): Promise<number> => {
      throw new Error('sync')
    })
    await expect(shared()).rejects.toThrow('sync')
  })
})

describe('createThrottledWarnings', () => {
  it('writes the first warning of a kind at once and sums up the rest when the interval ends', () => {
    vi.useFakeTimers()
    try {
      const written: [string, Record<string, unknown>][] = []
      const warnings = createThrottledWarnings({
        write: (message, fields) => written.push([message, fields]),
        intervalMs: 1000,
      })
      warnings.warn('send', 'send failed', { code: 'ECONNREFUSED' })
      warnings.warn('send', 'send failed', { code: 'EPIPE' })
      warnings.warn('send', 'send failed', { code: 'EPIPE' })
      warnings.warn('drop', 'dropped', {})
      expect(written).toEqual([
        ['send failed', { code: 'ECONNREFUSED' }],
        ['dropped', {}],
      ])
      vi.advanceTimersByTime(1000)
      expect(written[2]).toEqual(['send failed', { code: 'EPIPE', suppressed: 2, intervalMs: 1000 }])
      warnings.warn('send', 'send failed', { code: 'EPIPE' })
      warnings.settle()
      expect(written).toHaveLength(4)
      expect(written[3]?.[1]).toMatchObject({ suppressed: 1 })
    } finally {
      vi.useRealTimers()
    }
  })

  it('never throws when the writer does', () => {
    const warnings = createThrottledWarnings({
      write: () => {
        throw new Error('logger broken')
      },
      intervalMs: 10,
    })
    expect(() => warnings.warn('x', 'm')).not.toThrow()
    expect(() => warnings.settle()).not.toThrow()
  })
})

describe('readEnv', () => {
  it('reads strings only, and nothing where process.env cannot be read', () => {
    vi.stubEnv('VIVR_TEST_ENV', 'yes')
    try {
      expect(readEnv('VIVR_TEST_ENV')).toBe('yes')
      expect(readEnv('VIVR_TEST_ENV_MISSING')).toBeUndefined()
      const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'process')
      Object.defineProperty(globalThis, 'process', {
        configurable: true,
        get() {
          throw new Error('no process here')
        },
      })
      try {
        expect(readEnv('VIVR_TEST_ENV')).toBeUndefined()
      } finally {
        if (descriptor) Object.defineProperty(globalThis, 'process', descriptor)
      }
    } finally {
      vi.unstubAllEnvs()
    }
  })
})
