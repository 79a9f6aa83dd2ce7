import type { ErrorReporter } from '@vivr/core'
import { describe, expect, it } from 'vitest'
import { throwingProxy } from './unreadable.js'

/** What the backend received for one captured exception, in a backend-neutral shape. */
export interface ReceivedError {
  eventId?: string
  /** The exception message as the backend shows it. */
  message: string
  tags: Record<string, unknown>
  extra: Record<string, unknown>
  level?: string
}

export interface ErrorReporterHarness {
  reporter: ErrorReporter
  /** Everything the backend received so far (called after `flush()`). */
  received(): Promise<ReceivedError[]> | ReceivedError[]
  dispose?(): Promise<void> | void
}

/**
 * The behaviour every ErrorReporter must show against its real backend (or a loopback server speaking its
 * protocol). Each test marks its errors with a unique token, so harnesses may share one backend.
 */
export function describeErrorReporterContract(
  name: string,
  create: () => Promise<ErrorReporterHarness> | ErrorReporterHarness,
) {
  async function withHarness(body: (h: ErrorReporterHarness, token: string) => Promise<void>) {
    const harness = await create()
    try {
      await body(harness, `t${Math.random().toString(36).slice(2, 10)}`)
    } finally {
      await harness.dispose?.()
    }
  }

  const mine = (received: ReceivedError[], token: string) => received.filter((r) => r.message.includes(token))

  describe(`${name} satisfies the ErrorReporter contract`, () => {
    it('delivers the exception with its tags, extra and level, under the returned event id', async () => {
      await withHarness(async (h, token) => {
        const eventId = h.reporter.captureException(new Error(`Database unreachable ${token}`), {
          tags: { type: 'api_error', route: '/api/orders' },
          extra: { userId: 'u_42' },
          level: 'error',
        })
        await expect(h.reporter.flush?.(5000) ?? Promise.resolve(true)).resolves.toBe(true)
        const [event, ...more] = mine(await h.received(), token)
        expect(more).toEqual([])
        expect(event).toBeDefined()
        expect(event!.tags).toMatchObject({ type: 'api_error', route: '/api/orders' })
        expect(event!.extra).toMatchObject({ userId: 'u_42' })
        expect(event!.level).toBe('error')
        if (eventId !== undefined && event!.eventId !== undefined) expect(event!.eventId).toBe(eventId)
      })
    })

    it('keeps the level it was given', async () => {
      await withHarness(async (h, token) => {
        h.reporter.captureException(new Error(`slow checkout ${token}`), { level: 'warning' })
        await h.reporter.flush?.(5000)
        expect(mine(await h.received(), token).map((r) => r.level)).toEqual(['warning'])
      })
    })

    it('never throws, whatever is thrown at it, and keeps delivering', async () => {
      await withHarness(async (h, token) => {
        const circular: Record<string, unknown> = { message: `circular ${token}` }
        circular.self = circular
        const odd: unknown[] = [
          `a string ${token}`,
          undefined,
          null,
          42,
          10n,
          circular,
          { nested: { deep: token } },
          // Values a backend's SDK may fail to read (and, @sentry/node 8–11, stop settling its flush over).
          Symbol(`symbol ${token}`),
          Object.assign(new Error(`numeric stack ${token}`), { stack: 42 }),
          Object.defineProperty(new Error(`odd ${token}`), 'message', {
            get() {
              throw new Error('message getter')
            },
          }),
          Object.defineProperty({}, 'boom', {
            enumerable: true,
            get() {
              throw new Error('getter')
            },
          }),
          throwingProxy(),
          new Error(`hostile cause ${token}`, { cause: throwingProxy() }),
        ]
        for (const value of odd) {
          expect(() => h.reporter.captureException(value, { extra: { value } })).not.toThrow()
        }
        expect(() =>
          h.reporter.captureException(new Error(`odd context ${token}`), {
            tags: { empty: '', long: 'v'.repeat(500) },
            extra: { circular, big: 'x'.repeat(100_000) },
          }),
        ).not.toThrow()
        h.reporter.captureException(new Error(`after the odd ones ${token}`))
        await expect(h.reporter.flush?.(5000) ?? Promise.resolve(true)).resolves.toBe(true)
        expect(mine(await h.received(), `after the odd ones ${token}`)).toHaveLength(1)
      })
    })
  })
}
