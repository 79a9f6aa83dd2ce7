import { leaks, plantedValue, secretInText, textAround } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Check, createHealth, HEALTH_JSON } from '../src/index.js'

const ACCEPT = ['application/json', HEALTH_JSON, 'text/html']

describe('health output never carries a secret, in any of its three renderings', () => {
  it('planted in a thrown message, a returned message or the details, whatever the details policy', async () => {
    const cases = fc.sample(
      fc.tuple(textAround(secretInText()), plantedValue(), fc.constantFrom('always' as const, undefined)),
      { seed: 5150, numRuns: 200 },
    )
    for (const [text, value, details] of cases) {
      const checks: Check[] = [
        {
          name: 'throws',
          critical: false,
          run: () => {
            throw new Error(text.text)
          },
        },
        { name: 'says', critical: false, run: () => ({ status: 'degraded' as const, message: text.text }) },
        {
          name: 'details',
          critical: false,
          run: () => ({ status: 'ok' as const, details: { payload: value.value, note: text.text } }),
        },
      ]
      const health = createHealth({ checks, details, includeMetrics: false })
      const report = await health.run()
      for (const secret of [text.secret, value.secret]) {
        expect(leaks(JSON.stringify(report), secret), `run(): ${text.kind}/${value.kind}`).toBe(false)
      }
      for (const accept of ACCEPT) {
        const body = await (
          await health.handler(new Request('http://localhost/health', { headers: { accept } }))
        ).text()
        for (const secret of [text.secret, value.secret]) {
          expect(leaks(body, secret), `${accept}: ${text.kind}/${value.kind}: ${body.slice(0, 200)}`).toBe(
            false,
          )
        }
      }
    }
  })
})
