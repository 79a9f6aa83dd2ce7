import { memoryLogger } from '@vivr/testkit'
import { hostileValue } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type AccountingOptions, createAccounting } from '../src/accounting.js'
import type { DropInfo, DropReason } from '../src/logs-options.js'
import { manualClock } from './manual-clock.js'

function setup(overrides: Partial<AccountingOptions> = {}) {
  const clock = manualClock()
  const lines: string[] = []
  const drops: DropInfo[] = []
  const accounting = createAccounting({
    logGroupName: '/vivr/test/accounting',
    logger: undefined,
    fallback: (line) => lines.push(line),
    onDrop: (info) => drops.push(info),
    warnIntervalMs: 1000,
    clock,
    ...overrides,
  })
  const warnings = () => lines.filter((l) => l.includes('"level":"WARN"')).map((l) => JSON.parse(l))
  return { clock, lines, drops, accounting, warnings }
}

describe('accounting: warnings', () => {
  it('writes a warning as a JSON line to the fallback, with the sink and the log group', () => {
    const { clock, accounting, warnings } = setup()
    accounting.warn('retrying', 'CloudWatch Logs unavailable; retrying', { bufferedBytes: 42 })
    expect(warnings()).toEqual([
      {
        level: 'WARN',
        timestamp: new Date(clock.now()).toISOString(),
        message: 'CloudWatch Logs unavailable; retrying',
        sink: 'cloudwatch-logs',
        logGroupName: '/vivr/test/accounting',
        bufferedBytes: 42,
      },
    ])
    expect(accounting.fallback).toBe(0) // warnings are not lines
  })

  it('writes to the logger when there is one', () => {
    const logger = memoryLogger()
    const { accounting, lines } = setup({ logger })
    accounting.warn('permanent', 'refused', { lines: 3 })
    expect(logger.lines).toMatchObject([
      {
        level: 'WARN',
        message: 'refused',
        sink: 'cloudwatch-logs',
        logGroupName: '/vivr/test/accounting',
        lines: 3,
      },
    ])
    expect(lines).toEqual([])
  })

  it('writes one warning of a kind per interval and sums up the rest as `suppressed` when it ends', () => {
    const { clock, accounting, warnings } = setup()
    accounting.warn('retrying', 'retrying', { attempt: 1 })
    for (let attempt = 2; attempt <= 5; attempt++) {
      clock.advance(100)
      accounting.warn('retrying', 'retrying', { attempt })
    }
    accounting.warn('rejected', 'rejected', {}) // another kind goes out at once
    expect(warnings().map((w) => [w.message, w.attempt])).toEqual([
      ['retrying', 1],
      ['rejected', undefined],
    ])
    clock.advance(600)
    expect(warnings()).toHaveLength(3)
    expect(warnings()[2]).toMatchObject({ message: 'retrying', attempt: 5, suppressed: 4, intervalMs: 1000 })
    expect(warnings()[2]).not.toHaveProperty('suppressedWarnings')
  })

  it('on close drops the pending summary, clears its timer and writes nothing more', () => {
    const { clock, accounting, warnings } = setup()
    accounting.warn('retrying', 'retrying')
    accounting.warn('retrying', 'retrying')
    expect(clock.pending).toHaveLength(1)
    accounting.close()
    expect(clock.pending).toHaveLength(0)
    accounting.warn('close', 'after close')
    clock.advance(5000)
    expect(warnings().map((w) => w.message)).toEqual(['retrying'])
  })

  it('never throws, whatever the logger, the fallback or the fields do', () => {
    fc.assert(
      fc.property(
        // Fields are the destination's own (never a caller's bulk): a 5 MB Buffer only measures JSON.stringify.
        hostileValue().filter((h) => h.name !== '5 MB Buffer'),
        fc.boolean(),
        (hostile, withLogger) => {
          const broken = () => {
            throw new Error('broken')
          }
          const logger = Object.assign(memoryLogger(), { warn: broken })
          const { clock, accounting } = setup({ fallback: broken, ...(withLogger ? { logger } : {}) })
          accounting.warn('internal', 'hostile', { value: hostile.make() })
          accounting.warn('internal', 'hostile', { value: hostile.make() })
          clock.advance(1000) // the summary
          accounting.toFallback(['line'])
          expect(accounting.fallback).toBe(1)
        },
      ),
      { seed: 3, numRuns: 60 },
    )
  })
})

describe('accounting: lost lines', () => {
  const reasons: DropReason[] = [
    'buffer-full',
    'worker-failed',
    'rejected-too-old',
    'rejected-expired',
    'rejected-too-new',
  ]
  const rejection = (reason: DropReason) => reason.startsWith('rejected-')

  it('counts drops by reason and tells onDrop each positive count', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...reasons), fc.integer({ min: -3, max: 10_000 })), {
          maxLength: 50,
        }),
        (events) => {
          const { accounting, drops } = setup()
          for (const [reason, count] of events) accounting.drop(count, reason)
          const positive = events.filter(([, count]) => count > 0)
          expect(drops).toEqual(positive.map(([reason, count]) => ({ count, reason })))
          const sum = (rows: typeof positive) => rows.reduce((n, [, count]) => n + count, 0)
          expect(accounting.dropped).toBe(sum(positive.filter(([r]) => !rejection(r))))
          expect(accounting.rejected).toBe(sum(positive.filter(([r]) => rejection(r))))
        },
      ),
      { seed: 5, numRuns: 200 },
    )
  })

  it('ignores a NaN count and survives a throwing onDrop', () => {
    const { accounting } = setup({
      onDrop: () => {
        throw new Error('user bug')
      },
    })
    accounting.drop(Number.NaN, 'buffer-full')
    expect(() => accounting.drop(2, 'buffer-full')).not.toThrow()
    expect(accounting.dropped).toBe(2)
  })

  it('hands every line to the fallback, one throwing call not stopping the rest', () => {
    const seen: string[] = []
    const { accounting } = setup({
      fallback: (line) => {
        seen.push(line)
        if (line === 'b') throw new Error('EPIPE')
      },
    })
    accounting.toFallback(['a', 'b', 'c'])
    expect(seen).toEqual(['a', 'b', 'c'])
    expect(accounting.fallback).toBe(3)
  })
})
