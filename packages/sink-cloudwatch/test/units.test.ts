import type { Clock } from '@vivr/core'
import { OptionError } from '@vivr/core'
import { describe, expect, it } from 'vitest'
import { createEventQueue } from '../src/event-queue.js'
import { classifyFailure } from '../src/failures.js'
import {
  cloudwatchLogs,
  cloudwatchMetrics,
  dailyStreamNamer,
  MAX_EVENT_BYTES,
  truncateUtf8,
} from '../src/index.js'
import { MAX_BATCH_BYTES, MAX_EVENT_MESSAGE_BYTES } from '../src/limits.js'

describe('truncateUtf8', () => {
  it('returns text that fits unchanged', () => {
    expect(truncateUtf8('héllo', 6)).toBe('héllo')
  })

  it('cuts at a character boundary and says how much was cut', () => {
    const text = '€'.repeat(100_000) // 3 bytes each
    const cut = truncateUtf8(text, 1000)
    const bytes = Buffer.byteLength(cut)
    expect(bytes).toBeLessThanOrEqual(1000)
    expect(cut).not.toContain('\ufffd')
    const match = / …\[truncated (\d+) bytes\]$/.exec(cut)
    expect(match).not.toBeNull()
    const kept = cut.slice(0, match!.index)
    expect(kept).toMatch(/^€+$/)
    expect(Buffer.byteLength(kept) + Number(match![1])).toBe(300_000)
  })

  it('never splits a four-byte character', () => {
    for (let offset = 0; offset < 4; offset++) {
      const cut = truncateUtf8(`${'a'.repeat(offset)}${'🚀'.repeat(1000)}`, 200)
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(200)
      expect(cut).not.toContain('\ufffd')
      expect(cut.slice(0, offset)).toBe('a'.repeat(offset))
    }
  })
})

describe('event queue batches', () => {
  it('stops at 10,000 events', () => {
    const queue = createEventQueue(16 * 1024 * 1024)
    for (let i = 0; i < 25_000; i++) queue.push('x', 1, 1000 + i, 's')
    const sizes = [queue.takeBatch(), queue.takeBatch(), queue.takeBatch()].map((b) => b.events.length)
    expect(sizes).toEqual([10_000, 10_000, 5000])
    expect(queue.length).toBe(0)
  })

  it('stops before 1,048,576 bytes counting 26 per event', () => {
    const queue = createEventQueue(16 * 1024 * 1024)
    const message = 'y'.repeat(1000)
    for (let i = 0; i < 2000; i++) queue.push(message, 1000, i, 's')
    const batch = queue.takeBatch()
    expect(batch.bytes).toBe(batch.events.length * 1026)
    expect(batch.bytes).toBeLessThanOrEqual(MAX_BATCH_BYTES)
    expect(batch.bytes + 1026).toBeGreaterThan(MAX_BATCH_BYTES)
  })

  it('keeps one stream per batch and a span under 24 h', () => {
    const queue = createEventQueue(16 * 1024 * 1024)
    const day = 86_400_000
    queue.push('a', 1, 0, 's1')
    queue.push('b', 1, 10, 's1')
    queue.push('c', 1, 20, 's2')
    queue.push('d', 1, 20 + day - 1, 's2')
    queue.push('e', 1, 20 + day, 's2')
    expect(queue.takeBatch().events.map((e) => e.message)).toEqual(['a', 'b'])
    expect(queue.takeBatch().events.map((e) => e.message)).toEqual(['c', 'd'])
    expect(queue.takeBatch().events.map((e) => e.message)).toEqual(['e'])
  })

  it('numbers events in write order across drops and batches', () => {
    const queue = createEventQueue(16 * 1024 * 1024)
    for (let i = 0; i < 10; i++) queue.push(`m${i}`, 2, i, 's')
    queue.dropOldest()
    queue.dropOldest()
    expect(queue.headSeq).toBe(3)
    const batch = queue.takeBatch()
    expect([batch.firstSeq, batch.lastSeq]).toEqual([3, 10])
    expect(batch.events[0]!.message).toBe('m2')
    expect(queue.bytes).toBe(0)
  })
})

describe('event queue byte ring', () => {
  it('keeps messages intact through wrap-arounds, drops and batches (randomized against a plain array)', () => {
    let seed = 42
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    const alphabet = ['a', 'é', '日', '🚀', ' ', '"']
    const queue = createEventQueue(MAX_BATCH_BYTES)
    const model: string[] = []
    const taken: string[] = []
    const expected: string[] = []
    for (let step = 0; step < 20_000; step++) {
      const roll = random()
      if (roll < 0.7) {
        const length = 1 + Math.floor(random() * (random() < 0.05 ? 20_000 : 200))
        let message = ''
        for (let i = 0; i < length; i++) message += alphabet[Math.floor(random() * alphabet.length)]
        const size = Buffer.byteLength(message)
        while (queue.bytes + size + 26 > MAX_BATCH_BYTES && queue.length > 0) {
          queue.dropOldest()
          model.shift()
        }
        while (!queue.push(message, size, step, 's')) {
          queue.dropOldest()
          model.shift()
        }
        model.push(message)
      } else if (roll < 0.8 && queue.length > 0) {
        queue.dropOldest()
        model.shift()
      } else if (queue.length > 0) {
        const batch = queue.takeBatch()
        taken.push(...batch.events.map((e) => e.message!))
        expected.push(...model.splice(0, batch.events.length))
      }
      expect(queue.length).toBe(model.length)
    }
    expect(taken).toEqual(expected)
    expect(queue.drain()).toEqual(model)
    expect(queue.bytes).toBe(0)
  })

  it('says when the ring has no room', () => {
    const queue = createEventQueue(MAX_BATCH_BYTES)
    const big = 'x'.repeat(MAX_EVENT_MESSAGE_BYTES)
    let pushed = 0
    while (queue.push(big, big.length, 0, 's')) pushed++
    expect(pushed).toBe(5) // 1 MiB + one maximal event of slack
    queue.dropOldest()
    expect(queue.push(big, big.length, 0, 's')).toBe(true)
  })
})

describe('dailyStreamNamer', () => {
  it('names the stream after the UTC date and rolls over at midnight', () => {
    const name = dailyStreamNamer('web-1')
    const midnight = Date.UTC(2026, 10, 27)
    expect(name(midnight - 1)).toBe('2026-11-26/web-1')
    expect(name(midnight)).toBe('2026-11-27/web-1')
    expect(name(midnight + 86_399_999)).toBe('2026-11-27/web-1')
    expect(name(midnight - 1)).toBe('2026-11-26/web-1')
  })
})

describe('classifyFailure', () => {
  const withStatus = (name: string, httpStatusCode: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode } })
  it.each([
    [withStatus('ResourceNotFoundException', 400), 'missing'],
    [withStatus('ThrottlingException', 400), 'retryable'],
    [withStatus('InternalFailure', 500), 'retryable'],
    [withStatus('SomethingNew', 502), 'retryable'],
    [withStatus('AccessDeniedException', 400), 'permanent'],
    [withStatus('InvalidParameterException', 400), 'permanent'],
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'retryable'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'retryable'],
    [new Error('socket hang up'), 'retryable'],
    [new Error('Region is missing'), 'permanent'],
    ['a string', 'permanent'],
  ])('%s → %s', (error, expected) => {
    expect(classifyFailure(error)).toBe(expected)
  })
})

describe('options are checked at construction', () => {
  const base = { logGroupName: '/vivr/production/app', region: 'us-east-1' }
  it.each([
    [{ logGroupName: '' }, 'logGroupName'],
    [{ logGroupName: 'bad name with spaces' }, 'logGroupName'],
    [{ ...base, logStreamName: 'a:b' }, 'logStreamName'],
    [{ ...base, flushIntervalMs: 0 }, 'flushIntervalMs'],
    [{ ...base, flushIntervalMs: Number.NaN }, 'flushIntervalMs'],
    [{ ...base, maxBufferBytes: 1024 }, 'maxBufferBytes'],
    [{ ...base, retentionInDays: 31 }, 'retentionInDays'],
    [{ ...base, createIfMissing: 'yes' }, 'createIfMissing'],
    [{ ...base, onDrop: 'log it' }, 'onDrop'],
    [{ ...base, requestTimeoutMs: -1 }, 'requestTimeoutMs'],
    [{ ...base, lifecycle: {} }, 'lifecycle'],
    [{ ...base, logger: console.log }, 'logger'],
  ])('%o names %s', (options, option) => {
    expect(() => cloudwatchLogs(options as never)).toThrow(OptionError)
    expect(() => cloudwatchLogs(options as never)).toThrow(option)
  })

  it.each([
    [{ namespace: '' }, 'namespace'],
    [{ dimensions: { service: '' } }, 'dimensions.service'],
    [{ dimensions: { service: 'x'.repeat(1025) } }, 'dimensions.service'],
    [{ dimensions: { ['k'.repeat(256)]: 'v' } }, 'dimensions'],
    [{ flushIntervalMs: -5 }, 'flushIntervalMs'],
    [{ destination: {} }, 'destination'],
  ])('cloudwatchMetrics %o names %s', (options, option) => {
    expect(() => cloudwatchMetrics(options as never)).toThrow(option)
  })
})

describe('write() bookkeeping without a backend call', () => {
  const clock: Clock = { now: () => Date.UTC(2026, 10, 26, 12), setTimeout: () => 0, clearTimeout: () => {} }

  it('cuts an event over 256 KB, counts it, and never holds more than maxBufferBytes', async () => {
    const drops: number[] = []
    const destination = cloudwatchLogs({
      logGroupName: '/vivr/test/units',
      region: 'us-east-1',
      clock,
      maxBufferBytes: MAX_BATCH_BYTES,
      onDrop: (info) => drops.push(info.count),
      fallback: () => {},
    })
    destination.write('x'.repeat(400_000))
    expect(destination.stats()).toMatchObject({ truncated: 1, bufferedEvents: 1 })
    expect(destination.stats().bufferedBytes).toBeLessThanOrEqual(MAX_EVENT_BYTES)
    expect(destination.stats().bufferedBytes).toBe(MAX_EVENT_MESSAGE_BYTES + 26)
    for (let i = 0; i < 20_000; i++) destination.write(`line ${i} ${'p'.repeat(100)}`)
    const stats = destination.stats()
    expect(stats.bufferedBytes).toBeLessThanOrEqual(MAX_BATCH_BYTES)
    expect(stats.dropped).toBeGreaterThan(0)
    expect(drops.reduce((a, b) => a + b, 0)).toBe(stats.dropped)
    expect(stats.written).toBe(20_001)
    expect(stats.bufferedEvents + stats.dropped).toBe(20_001)
  })
})
