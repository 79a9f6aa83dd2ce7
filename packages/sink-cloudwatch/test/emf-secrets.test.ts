import { leaks, secretInText, textAround } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cloudwatchMetrics } from '../src/index.js'

describe('EMF documents never carry a secret', () => {
  it('whatever tag value (a dimension or an extra property) carries it', () => {
    fc.assert(
      fc.property(textAround(secretInText()), fc.integer({ min: 0, max: 40 }), (planted, extraTags) => {
        const lines: string[] = []
        const metrics = cloudwatchMetrics({
          destination: { write: (line) => lines.push(line) },
          flushIntervalMs: 0,
        })
        // Past 30 tags the rest become properties: plant the secret in either place.
        const tags: Record<string, string> = {}
        for (let i = 0; i < extraTags; i++) tags[`t${String(i).padStart(2, '0')}`] = 'x'
        tags.zz_callback = planted.text
        metrics.increment('orders.created', 1, tags)
        expect(lines.length).toBeGreaterThan(0)
        for (const line of lines) expect(leaks(line, planted.secret), `${planted.kind}: ${line}`).toBe(false)
      }),
      { seed: 77, numRuns: 400 },
    )
  })
})
