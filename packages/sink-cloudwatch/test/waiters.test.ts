import { describe, expect, it } from 'vitest'
import { createWaiters } from '../src/waiters.js'
import { manualClock, tick } from './manual-clock.js'

function setup() {
  const clock = manualClock()
  let settled = 0 // every line up to this sequence number has left
  const waiters = createWaiters((target) => target <= settled, clock)
  const track = (promise: Promise<void>) => {
    const state = { done: false }
    void promise.then(() => {
      state.done = true
    })
    return state
  }
  return { clock, waiters, track, settle: (through: number) => (settled = through) }
}

describe('createWaiters', () => {
  it('resolves at once when the target is already settled, with no timer', async () => {
    const { clock, waiters } = setup()
    await waiters.wait(0, 1000)
    expect(clock.pending).toEqual([])
    expect(waiters.size).toBe(0)
  })

  it('resolves each waiter when its own target settles', async () => {
    const { waiters, track, settle, clock } = setup()
    const upTo5 = track(waiters.wait(5, 1000))
    const upTo9 = track(waiters.wait(9, 1000))
    settle(6)
    waiters.wake()
    await tick()
    expect([upTo5.done, upTo9.done]).toEqual([true, false])
    expect(waiters.size).toBe(1)
    settle(9)
    waiters.wake()
    await tick()
    expect(upTo9.done).toBe(true)
    expect(clock.pending).toEqual([]) // deadlines cleared
  })

  it('gives up after timeoutMs, on a timer that keeps the process alive', async () => {
    const { waiters, track, clock } = setup()
    const waiting = track(waiters.wait(3, 500))
    expect(clock.pending.map((t) => t.options)).toEqual([{ keepAlive: true }])
    clock.advance(499)
    await tick()
    expect(waiting.done).toBe(false)
    clock.advance(1)
    await tick()
    expect(waiting.done).toBe(true)
    expect(waiters.size).toBe(0)
  })
})
