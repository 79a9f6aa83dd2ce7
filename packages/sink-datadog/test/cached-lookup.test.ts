import type { Clock } from '@vivr/core'
import { describe, expect, it } from 'vitest'
import { createCachedLookup } from '../src/cached-lookup.js'
import { UNKNOWN_HOST } from './env.js'

function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0
  return {
    now: () => now,
    setTimeout: () => undefined,
    clearTimeout: () => {},
    advance(ms) {
      now += ms
    },
  }
}

type Answer = { error: NodeJS.ErrnoException | null; address: string; family: number }

function lookupOnce(lookup: ReturnType<typeof createCachedLookup>['lookup'], host: string) {
  let synchronous: Answer | undefined
  const answer = new Promise<Answer>((resolve) => {
    lookup(host, 4, (error, address, family) => {
      synchronous = { error, address, family }
      resolve({ error, address, family })
    })
  })
  return { answer, synchronous: () => synchronous }
}

describe('the cached DNS lookup hot-shots sends through', () => {
  const options = { refreshMs: 60_000, retryMs: 5000, family: 4 as const }

  it('answers IP literals without asking DNS', async () => {
    const cached = createCachedLookup({ ...options, clock: manualClock() })
    const { answer } = lookupOnce(cached.lookup, '0.0.0.0')
    expect(await answer).toEqual({ error: null, address: '0.0.0.0', family: 4 })
    expect(cached.queries).toBe(0)
  })

  it('shares one query between concurrent sends and answers later ones from memory', async () => {
    const cached = createCachedLookup({ ...options, clock: manualClock() })
    const first = await Promise.all([1, 2, 3].map(() => lookupOnce(cached.lookup, 'localhost').answer))
    expect(first.map((a) => a.address)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1'])
    const later = lookupOnce(cached.lookup, 'localhost')
    expect(later.synchronous()).toEqual({ error: null, address: '127.0.0.1', family: 4 })
    expect(cached.queries).toBe(1)
  })

  it('refreshes in the background after refreshMs while still answering at once', async () => {
    const clock = manualClock()
    const cached = createCachedLookup({ ...options, clock })
    await lookupOnce(cached.lookup, 'localhost').answer
    clock.advance(60_000)
    expect(lookupOnce(cached.lookup, 'localhost').synchronous()?.address).toBe('127.0.0.1')
    expect(cached.queries).toBe(2)
  })

  it('remembers a failure for retryMs, then asks again', async () => {
    const clock = manualClock()
    const cached = createCachedLookup({ ...options, clock })
    const failed = await lookupOnce(cached.lookup, UNKNOWN_HOST).answer
    expect(failed.error?.code).toBe('ENOTFOUND')
    const remembered = lookupOnce(cached.lookup, UNKNOWN_HOST).synchronous()
    expect(remembered?.error?.code).toBe('ENOTFOUND')
    expect(cached.queries).toBe(1)
    clock.advance(5000)
    await lookupOnce(cached.lookup, UNKNOWN_HOST).answer
    expect(cached.queries).toBe(2)
  })
})
