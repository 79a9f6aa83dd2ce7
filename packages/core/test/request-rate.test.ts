import { describe, expect, it } from 'vitest'
import { type Clock, createRequestRateMeter } from '../src/index.js'

function manualClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start
  return {
    now: () => now,
    setTimeout: () => undefined,
    clearTimeout: () => {},
    advance(ms) {
      now += ms
    },
  }
}

describe('createRequestRateMeter', () => {
  it('averages over the elapsed time while younger than the window', () => {
    const clock = manualClock()
    const meter = createRequestRateMeter({ windowMs: 10_000, clock })
    for (let i = 0; i < 50; i++) meter.mark()
    clock.advance(5_000)
    expect(meter.perSecond()).toBe(10)
  })

  it('forgets requests that slid out of the window', () => {
    const clock = manualClock()
    const meter = createRequestRateMeter({ windowMs: 10_000, clock })
    for (let i = 0; i < 100; i++) meter.mark()
    clock.advance(20_000)
    for (let i = 0; i < 30; i++) meter.mark()
    expect(meter.perSecond()).toBe(3)
    clock.advance(11_000)
    expect(meter.perSecond()).toBe(0)
  })

  it('rejects a bad window', () => {
    expect(() => createRequestRateMeter({ windowMs: 0 })).toThrow(/windowMs/)
  })
})
