// The destination's write path alone: a client whose requests never answer, a clock whose timers never fire.
// Whatever is written, write() never throws and the books balance.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { hostileValue } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { eventMessage } from '../src/fit-line.js'
import { MAX_BATCH_BYTES, MAX_EVENT_MESSAGE_BYTES } from '../src/limits.js'
import { cloudwatchLogs } from '../src/logs.js'
import { manualClock } from './manual-clock.js'

function silentClient() {
  const client = new CloudWatchLogsClient({ region: 'us-east-1' })
  vi.spyOn(client, 'send').mockImplementation(() => new Promise(() => {}))
  return client
}

const anyLine = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 2000 }),
  fc.json(),
  fc.integer({ min: 80_000, max: 400_000 }).map((n) => '日'.repeat(n)),
  fc
    .integer({ min: 250_000, max: 600_000 })
    .map((n) => JSON.stringify({ level: 'INFO', blob: 'b'.repeat(n) })),
)

describe('eventMessage', () => {
  it('fits any line within the event limit and measures it right', () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        const event = eventMessage(line)
        expect(event.bytes).toBe(Buffer.byteLength(event.message))
        expect(event.bytes).toBeLessThanOrEqual(MAX_EVENT_MESSAGE_BYTES)
        expect(event.truncated).toBe(event.message !== line)
        if (Buffer.byteLength(line) <= MAX_EVENT_MESSAGE_BYTES) expect(event.message).toBe(line)
      }),
      { seed: 41, numRuns: 120 },
    )
  })
})

describe('cloudwatchLogs write path', () => {
  it('never throws and never holds more than maxBufferBytes; every line written is buffered or dropped', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 4, arbitrary: anyLine }, { weight: 1, arbitrary: hostileValue() }), {
          maxLength: 40,
        }),
        (writes) => {
          const client = silentClient()
          const destination = cloudwatchLogs({
            logGroupName: '/vivr/test/write-path',
            client,
            clock: manualClock(),
            maxBufferBytes: MAX_BATCH_BYTES,
            fallback: () => {},
          })
          let strings = 0
          for (const value of writes) {
            const line = typeof value === 'string' ? value : value.make()
            if (typeof line === 'string' && line.length > 0) strings++
            expect(() => destination.write(line as never)).not.toThrow()
            const stats = destination.stats()
            expect(stats.bufferedBytes).toBeLessThanOrEqual(MAX_BATCH_BYTES)
          }
          const stats = destination.stats()
          expect(stats.written).toBe(strings)
          expect(stats.bufferedEvents + stats.dropped).toBe(strings)
          expect(stats.delivered + stats.fallback + stats.rejected).toBe(0)
          client.destroy()
        },
      ),
      { seed: 43, numRuns: 60 },
    )
  })
})
