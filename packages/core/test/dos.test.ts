import { type HostileCase, hostileValue, throwingProxy } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createSanitizer,
  errorStatus,
  handleApiError,
  isCriticalError,
  type LogContext,
  limitCardinality,
  messageOf,
  multiMetrics,
  noopMetrics,
  scrubSecrets,
  type Tags,
} from '../src/index.js'
import { createHttpTelemetry, createLogger, observeFetch, serializeError, withContext } from '../src/node.js'

/*
 * The denial-of-service suite: the worst values a caller can hand the kit — 10 MB strings, depth 100,000,
 * cycles, BigInt, Symbol, Proxies whose every trap throws, throwing getters — through every public entry point
 * of @vivr/core that takes caller data. Nothing may throw, and nothing may take long.
 */

const runs = { seed: 99, numRuns: 60 }
// Generous: a loaded CI machine. A quadratic path on a 10 MB input takes minutes, not this.
const DEADLINE_MS = 2000

function survives(name: string, hostile: HostileCase, call: (value: unknown) => unknown): void {
  const value = hostile.make()
  const started = performance.now()
  expect(() => call(value), `${name} with ${hostile.name}`).not.toThrow()
  expect(performance.now() - started, `${name} with ${hostile.name}`).toBeLessThan(DEADLINE_MS)
}

const sinkLines: string[] = []
const logger = createLogger({ destinations: [{ write: (line) => sinkLines.push(line) }], level: 'debug' })
const sanitize = createSanitizer()

const ENTRY_POINTS: Record<string, (value: unknown) => unknown> = {
  'logger.info(message)': (v) => logger.info(v as string),
  'logger.info(context)': (v) => logger.info('x', v as LogContext),
  'logger.info({ field })': (v) => logger.debug('x', { field: v } as LogContext),
  'logger.error(error)': (v) => logger.error('x', v),
  'logger.child(bindings)': (v) => logger.child(v as LogContext).warn('x'),
  'withContext(fields)': (v) => {
    let ran = false
    withContext(v as LogContext, () => {
      ran = true
      logger.info('inside')
    })
    if (!ran) throw new Error('withContext did not run its function')
  },
  scrubSecrets: (v) => scrubSecrets(typeof v === 'string' ? v : String(messageOf(v))),
  createSanitizer: (v) => JSON.stringify(sanitize(v)),
  messageOf: (v) => messageOf(v),
  serializeError: (v) => JSON.stringify(serializeError(v)),
  handleApiError: (v) =>
    handleApiError(v, { route: '/x' }, { reporter: { captureException: () => 'id' }, logger }),
  errorStatus: (v) => errorStatus(v),
  isCriticalError: (v) => isCriticalError(v),
  'limitCardinality(tags)': (v) => {
    const metrics = limitCardinality(multiMetrics(noopMetrics), { maxTagSets: 2 })
    for (let i = 0; i < 4; i++) metrics.increment('m', 1, v as Tags)
    metrics.timing('m', 1, { route: v } as unknown as Tags)
  },
  'requestId(header)': (v) => createHttpTelemetry().requestId(typeof v === 'string' ? v : undefined),
}

describe('DoS: every core entry point survives the worst values', () => {
  for (const [name, call] of Object.entries(ENTRY_POINTS)) {
    it(name, () => {
      fc.assert(
        fc.property(hostileValue(), (hostile) => {
          sinkLines.length = 0
          survives(name, hostile, call)
          for (const line of sinkLines) expect(() => JSON.parse(line)).not.toThrow()
        }),
        runs,
      )
    })
  }

  it('observeFetch answers 500 whatever the handler throws, and the caller sees no rejection', async () => {
    const cases: unknown[] = [
      throwingProxy(),
      10n,
      Symbol('s'),
      { message: { nested: 1 } },
      'x'.repeat(10_000_000),
    ]
    for (const thrown of cases) {
      const handler = observeFetch(
        async () => {
          throw thrown
        },
        '/x',
        { logger },
      )
      const response = await handler(
        new Request('http://localhost/x', { headers: { 'x-request-id': 'r'.repeat(200) } }),
      )
      expect(response.status).toBe(500)
      expect((await response.text()).length).toBeLessThan(2000)
    }
  })
})
