import { createHealth } from '@vivr/core'
import { expectScrubbedFailure } from '@vivr/testkit/contracts'
import { type ThrownCase, throwingProxy, thrownValue } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type StripeLike, stripeCheck } from '../src/index.js'

/*
 * A Stripe client whose `balance.retrieve()` throws or rejects with anything — including error objects shaped like
 * the SDK's (`type: 'StripeConnectionError'`) whose message carries a key, and Proxies that throw when `type` or
 * `statusCode` is read: the check answers an `error` (or `degraded`) entry with a scrubbed, bounded message,
 * never a throw. The clients are structural fakes (stripeCheck takes any StripeLike); check.integration.test.ts
 * runs the real SDK against the loopback Stripe server.
 */

const runs = { seed: 616_161, numRuns: 200 }
const never = () => new AbortController().signal

type How = 'throws' | 'rejects'

function client(retrieve: () => Promise<unknown>): StripeLike {
  return { balance: { retrieve } }
}

function failing(make: () => unknown, how: How): () => Promise<unknown> {
  return () => {
    const value = make()
    if (how === 'throws') throw value
    return Promise.reject(value)
  }
}

const STRIPE_TYPES = [
  'StripeConnectionError',
  'StripeAPIError',
  'StripeAuthenticationError',
  'StripeRateLimitError',
  'StripeInvalidRequestError',
  'StripeCardError',
] as const

/** The thrown value as the SDK shapes it: an Error with `type` (and `statusCode`) beside the hostile message. */
function sdkShaped(thrown: ThrownCase, type: string | undefined): () => unknown {
  if (type === undefined) return thrown.make
  return () => {
    const value = thrown.make()
    if (typeof value !== 'object' || value === null) return value
    try {
      return Object.assign(value, { type, statusCode: 500 })
    } catch {
      return value // a Proxy whose traps throw keeps its own shape
    }
  }
}

describe('stripeCheck when the client throws hostile values', () => {
  it('answers with a scrubbed, bounded message and never rejects', async () => {
    await fc.assert(
      fc.asyncProperty(
        thrownValue(),
        fc.option(fc.constantFrom(...STRIPE_TYPES), { nil: undefined }),
        fc.constantFrom<How>('throws', 'rejects'),
        async (thrown, type, how) => {
          const check = stripeCheck(client(failing(sdkShaped(thrown, type), how)))
          await expectScrubbedFailure(check, thrown, { statuses: ['error', 'degraded'] })
        },
      ),
      runs,
    )
  })

  it('an error whose `type` or `statusCode` cannot be read is an error entry', async () => {
    const unreadableType = Object.defineProperty(new Error('boom'), 'type', {
      get() {
        throw new Error('type getter')
      },
    })
    const unreadableStatus = Object.defineProperty(
      Object.assign(new Error('api down'), { type: 'StripeAPIError' }),
      'statusCode',
      {
        get() {
          throw new Error('statusCode getter')
        },
      },
    )
    for (const thrown of [throwingProxy(), unreadableType, unreadableStatus]) {
      const outcome = await stripeCheck(client(failing(() => thrown, 'rejects'))).run({ signal: never() })
      expect(outcome?.status).toBe('error')
      expect(typeof outcome?.message).toBe('string')
    }
  })

  it('a connection error carrying the key is reported without it', async () => {
    const key = 'sk_live_51HostileKey0000000000abcd'
    const thrown = Object.assign(new Error(`connect ECONNREFUSED with Authorization: Bearer ${key}`), {
      type: 'StripeConnectionError',
    })
    const outcome = await stripeCheck(client(failing(() => thrown, 'rejects'))).run({ signal: never() })
    expect(outcome?.status).toBe('error')
    expect(outcome?.message).toMatch(/^Stripe unreachable: /)
    expect(outcome?.message).not.toContain('HostileKey')
  })

  it('through a health run: the report carries the error entry and no secret', async () => {
    const key = 'rk_test_51HostileRestricted00000zz'
    const health = createHealth({
      checks: [
        stripeCheck(
          client(async () => {
            throw Object.assign(new Error(`No such key ${key}`), { type: 'StripeInvalidRequestError' })
          }),
        ),
      ],
    })
    const report = await health.run()
    expect(report.checks.payment).toMatchObject({ status: 'error' })
    expect(JSON.stringify(report)).not.toContain('HostileRestricted')
  })
})
