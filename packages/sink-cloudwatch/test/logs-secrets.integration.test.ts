// The whole log channel, end to end: the kit's logger writing to the real CloudWatch sink (the AWS SDK against
// the loopback CloudWatch Logs server). Secrets planted anywhere a caller can put them never reach an event.
import type { LogContext } from '@vivr/core'
import { createLogger } from '@vivr/core/node'
import { type CloudWatchLogsServer, startCloudWatchLogsServer } from '@vivr/testkit'
import { leaks, plantedValue, secretInText, textAround } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cloudwatchLogs } from '../src/index.js'
import { loopbackConfig } from './helpers.js'

let server: CloudWatchLogsServer
beforeAll(async () => {
  server = await startCloudWatchLogsServer()
})
afterAll(async () => {
  await server.close()
})

// 20 fields of 16 KiB (the logger's cap per string): a line over the 256 KB event limit.
const BULK = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`blob${i}`, 'x'.repeat(16_000)]))

describe('CloudWatch events never carry a secret', () => {
  it('planted in messages, context, errors and huge lines', async () => {
    const logGroupName = '/vivr/test/secrets'
    const destination = cloudwatchLogs({
      logGroupName,
      clientConfig: loopbackConfig(server),
      fallback: () => {},
    })
    const logger = createLogger({ destinations: [destination] })
    const planted = fc.sample(
      fc.tuple(plantedValue(), textAround(secretInText()), fc.integer({ min: 0, max: 3 })),
      { seed: 31, numRuns: 150 },
    )
    for (const [value, text, where] of planted) {
      if (where === 0) logger.info(text.text, { payload: value.value } as LogContext)
      else if (where === 1)
        logger.error('failed', new Error(text.text), { payload: value.value } as LogContext)
      // A line over the 256 KB event limit is cut field by field: the secret must not survive the cut either.
      else if (where === 2)
        logger.warn('big', { ...BULK, note: text.text, payload: value.value } as LogContext)
      else logger.info('nested', { a: { b: { c: [value.value, text.text] } } } as LogContext)
    }
    await logger.flush()
    await destination.close?.()
    const events = server.groupEvents(logGroupName).map((event) => event.message)
    expect(events).toHaveLength(planted.length)
    for (const [i, event] of events.entries()) {
      const [value, text] = planted[i]!
      expect(leaks(event, value.secret), `${value.kind}: ${event.slice(0, 300)}`).toBe(false)
      expect(leaks(event, text.secret), `${text.kind}: ${event.slice(0, 300)}`).toBe(false)
      expect(() => JSON.parse(event)).not.toThrow()
    }
  })
})
