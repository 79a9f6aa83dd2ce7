import { expect, it } from 'vitest'

export type ErrorBodyEnvironment = 'development' | 'production'

/** What one failing request gave: the answer and every log line written for it. */
export interface FailedRequest {
  status: number
  /** The response body as text. */
  text: string
  /** The request's log lines, serialized. */
  logs: string
}

export interface ErrorBodyHarness {
  /** The ways a route of this framework can fail (`throw`, `next(error)`, a rejected promise…). */
  ways: readonly string[]
  /**
   * Sends one request to a route that fails, one `way`, with `make()`, answered by the kit's error handling set
   * up for `environment`; resolves once the request's telemetry is written.
   */
  fail(environment: ErrorBodyEnvironment, way: string, make: () => unknown): Promise<FailedRequest>
  /** fast-check runs per property (seeded). @default 100 */
  numRuns?: number
  seed?: number
}

const MARKER = 'planted-message-marker'

/**
 * API error bodies, as an HTTP adapter's error handling answers them: a route fails with an Error whose message
 * carries a planted secret (every kind `@vivr/testkit/hostile` knows, in any casing and position), or with
 * anything at all (Proxies, throwing getters, 10 MB messages). Neither the body — raw or escaped — nor any log
 * line may carry the secret; in development the scrubbed message is echoed, in production never. Call it inside a
 * `describe` that owns the server. Needs `fast-check` (loaded when the tests run).
 */
export function describeErrorBodyContract(harness: ErrorBodyHarness): void {
  const runs = (numRuns: number) => ({ seed: harness.seed ?? 737_373, numRuns })
  const full = harness.numRuns ?? 100
  const load = async () => {
    const [{ default: fc }, hostile] = await Promise.all([import('fast-check'), import('./hostile.js')])
    return { fc, ...hostile, way: fc.constantFrom(...harness.ways) }
  }

  it('development: the scrubbed message is echoed; no secret in the body or the logs', async () => {
    const { fc, leaks, secretInText, textAround, way } = await load()
    await fc.assert(
      fc.asyncProperty(textAround(secretInText()), way, async (planted, how) => {
        const { status, text, logs } = await harness.fail(
          'development',
          how,
          () => new Error(`${MARKER}: ${planted.text}`),
        )
        expect(status).toBe(500)
        const body = JSON.parse(text) as { error: string; requestId: string }
        expect(body.error.startsWith(`${MARKER}: `), text).toBe(true)
        expect(leaks(text, planted.secret), `${planted.kind} in body: ${text}`).toBe(false)
        expect(leaks(logs, planted.secret), `${planted.kind} in logs: ${logs}`).toBe(false)
        expect(logs).toContain('API error')
      }),
      runs(full),
    )
  })

  it('production: the body never carries the message', async () => {
    const { fc, leaks, secretInText, textAround, way } = await load()
    await fc.assert(
      fc.asyncProperty(textAround(secretInText()), way, async (planted, how) => {
        const { status, text, logs } = await harness.fail(
          'production',
          how,
          () => new Error(`${MARKER}: ${planted.text}`),
        )
        expect(status).toBe(500)
        expect(JSON.parse(text)).toEqual({ error: 'Internal Server Error', requestId: expect.any(String) })
        expect(text).not.toContain(MARKER)
        expect(leaks(logs, planted.secret), `${planted.kind} in logs: ${logs}`).toBe(false)
      }),
      runs(Math.ceil(full / 2)),
    )
  })

  it('anything thrown (Proxies, throwing getters, 10 MB messages) answers a bounded JSON body', async () => {
    const { fc, leaks, thrownValue, way } = await load()
    await fc.assert(
      fc.asyncProperty(
        thrownValue(),
        way,
        fc.constantFrom<ErrorBodyEnvironment>('development', 'production'),
        async (thrown, how, environment) => {
          const { status, text, logs } = await harness.fail(environment, how, thrown.make)
          expect(status, thrown.name).toBeGreaterThanOrEqual(400)
          expect(text.length, thrown.name).toBeLessThan(2048)
          expect(() => JSON.parse(text), `${thrown.name}: ${text}`).not.toThrow()
          if (thrown.secret !== '') {
            expect(leaks(text, thrown.secret), `${thrown.name} in body: ${text}`).toBe(false)
            expect(leaks(logs, thrown.secret), `${thrown.name} in logs`).toBe(false)
          }
        },
      ),
      runs(full),
    )
  })
}
