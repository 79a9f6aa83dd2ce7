import type { Clock, Logger } from '@vivr/core'
import { memoryLogger } from '@vivr/testkit'
import { describe, expect, it } from 'vitest'
import { createThrottledErrorLog } from '../src/error-log.js'

/** A clock the test moves by hand; timers fire when time passes them. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0
  let timers: Array<{ at: number; run: () => void; id: number }> = []
  let ids = 0
  return {
    now: () => now,
    setTimeout(run, delayMs) {
      const id = ++ids
      timers.push({ at: now + delayMs, run, id })
      return id
    },
    clearTimeout(id) {
      timers = timers.filter((timer) => timer.id !== id)
    },
    advance(ms) {
      now += ms
      const due = timers.filter((timer) => timer.at <= now)
      timers = timers.filter((timer) => timer.at > now)
      for (const timer of due) timer.run()
    },
  }
}

const MESSAGE = 'datadog metrics: send failed; metrics are being lost'
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8125'), { code: 'ECONNREFUSED' })

describe('the throttled send-error log', () => {
  it('logs the first error at once and sums the rest up when the interval ends', () => {
    const logger = memoryLogger()
    const clock = manualClock()
    const log = createThrottledErrorLog({ logger, intervalMs: 1000, clock, message: MESSAGE })
    log.report(refused())
    expect(logger.find({ level: 'WARN', message: MESSAGE })).toEqual([
      expect.objectContaining({ reason: 'connect ECONNREFUSED 127.0.0.1:8125', code: 'ECONNREFUSED' }),
    ])
    for (let i = 0; i < 4; i++) log.report(refused())
    clock.advance(999)
    expect(logger.lines).toHaveLength(1)
    clock.advance(1)
    expect(logger.lines).toHaveLength(2)
    expect(logger.lines[1]).toMatchObject({ code: 'ECONNREFUSED', suppressed: 4, intervalMs: 1000 })
  })

  it('a quiet interval later, the next error is logged at once again', () => {
    const logger = memoryLogger()
    const clock = manualClock()
    const log = createThrottledErrorLog({ logger, intervalMs: 1000, clock, message: MESSAGE })
    log.report(refused())
    clock.advance(5000)
    log.report(new Error('second'))
    expect(logger.lines.map((line) => line.reason)).toEqual(['connect ECONNREFUSED 127.0.0.1:8125', 'second'])
  })

  it('settle() writes the pending summary at once (on close), and nothing when none is pending', () => {
    const logger = memoryLogger()
    const clock = manualClock()
    const log = createThrottledErrorLog({ logger, intervalMs: 60_000, clock, message: MESSAGE })
    log.settle()
    expect(logger.lines).toHaveLength(0)
    log.report(refused())
    log.report('a string thrown')
    log.settle()
    expect(logger.lines).toHaveLength(2)
    expect(logger.lines[1]).toMatchObject({ reason: 'a string thrown', suppressed: 1, intervalMs: 60_000 })
    clock.advance(60_000)
    expect(logger.lines).toHaveLength(2)
  })

  it('a logger that throws never reaches the caller', () => {
    const broken = {
      warn() {
        throw new Error('logger down')
      },
    } as unknown as Logger
    const log = createThrottledErrorLog({
      logger: broken,
      intervalMs: 10,
      clock: manualClock(),
      message: MESSAGE,
    })
    expect(() => {
      log.report(refused())
      log.report(refused())
      log.settle()
    }).not.toThrow()
  })
})
