import * as Sentry from '@sentry/node'
import { type SentryServer, startSentryServer } from '@vivr/testkit'
import { hostileValue, leaks, plantedValue, unreadableThrows } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sentryOptions, sentryReporter } from '../src/index.js'

/*
 * The denial-of-service suite for the Sentry sink: the worst values a caller can hand `captureException` — as
 * the thrown value, in `extra`, in `tags` — go through the real @sentry/node SDK, the kit's beforeSend and a real
 * HTTP transport to a loopback Sentry. Nothing may throw, stall, reject unhandled, or leave the process unscrubbed.
 */

const runs = (numRuns: number) => ({ seed: 1212, numRuns })
// Generous: a loaded CI machine. A quadratic path on a 10 MB input takes minutes, not this.
const DEADLINE_MS = 2000

let server: SentryServer
const faults: unknown[] = []
const onFault = (error: unknown) => faults.push(error)

beforeAll(async () => {
  server = await startSentryServer()
  Sentry.init({ ...sentryOptions({ dsn: server.dsn, environment: 'test' }) })
})
afterAll(async () => {
  await Sentry.close(2000)
  await server.close()
})
beforeEach(() => {
  faults.length = 0
  process.on('uncaughtException', onFault)
  process.on('unhandledRejection', onFault)
})
afterEach(async () => {
  await new Promise((resolve) => setTimeout(resolve, 10))
  process.off('uncaughtException', onFault)
  process.off('unhandledRejection', onFault)
  expect(faults).toEqual([])
})

type Slot = 'thrown' | 'extra' | 'tag'
const capture = (slot: Slot, value: unknown) => {
  const reporter = sentryReporter(Sentry)
  if (slot === 'thrown') return reporter.captureException(value)
  if (slot === 'extra') return reporter.captureException(new Error('hostile extra'), { extra: { value } })
  return reporter.captureException(new Error('hostile tag'), { tags: { value: value as string } })
}

describe('sentryReporter over the real SDK survives the worst values', () => {
  it('a thrown value the SDK cannot read does not wedge it: the event is sent and flush() still answers true', async () => {
    const unreadable = unreadableThrows()
    const reporter = sentryReporter(Sentry)
    for (const [name, thrown] of Object.entries(unreadable)) {
      server.clear()
      const eventId = reporter.captureException(thrown, { tags: { case: 'unreadable' } })
      expect(eventId, name).toEqual(expect.any(String))
      expect(await reporter.flush(3000), name).toBe(true)
      expect(
        server.events().map((event) => event.event_id),
        name,
      ).toEqual([eventId])
    }
  })

  it('as the thrown value, in extra or as a tag: no throw, no stall, and the events still go out', async () => {
    const slot = fc.constantFrom<Slot>('thrown', 'extra', 'tag')
    fc.assert(
      fc.property(hostileValue(), slot, (hostile, where) => {
        const value = hostile.make()
        const started = performance.now()
        expect(() => capture(where, value), `${where}: ${hostile.name}`).not.toThrow()
        expect(performance.now() - started, `${where}: ${hostile.name}`).toBeLessThan(DEADLINE_MS)
      }),
      runs(60),
    )
    const started = performance.now()
    expect(await sentryReporter(Sentry).flush(10_000)).toBe(true)
    expect(performance.now() - started).toBeLessThan(10_000)
    expect(server.rejected).toEqual([])
    expect(server.events().length).toBeGreaterThan(0)
  })

  it('a planted secret, thrown or in extra, never reaches the wire', async () => {
    const planted = await fc.sample(plantedValue(), { seed: 1313, numRuns: 40 })
    const secrets: string[] = []
    server.clear()
    for (const [i, p] of planted.entries()) {
      secrets.push(p.secret)
      capture(i % 2 === 0 ? 'thrown' : 'extra', p.value)
    }
    expect(await sentryReporter(Sentry).flush(10_000)).toBe(true)
    const wire = JSON.stringify(server.envelopes)
    for (const [i, secret] of secrets.entries()) {
      expect(leaks(wire, secret), `${planted[i]!.kind}: ${secret}`).toBe(false)
    }
  })
})
