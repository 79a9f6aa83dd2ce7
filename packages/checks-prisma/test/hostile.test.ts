import { createHealth } from '@vivr/core'
import { expectScrubbedFailure } from '@vivr/testkit/contracts'
import { type ThrownCase, thrownValue } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type PrismaQueryable, prismaCheck } from '../src/index.js'

/*
 * A Prisma client whose query throws or rejects with anything: the check answers an `error` entry with a
 * scrubbed, bounded message, never a throw, never a stall. The clients are structural fakes (prismaCheck takes
 * any object with `$queryRaw`); check.integration.test.ts runs the real client against a real PostgreSQL.
 */

const runs = { seed: 424_242, numRuns: 200 }
const DEADLINE_MS = 1000
const never = () => new AbortController().signal

type How = 'throws' | 'rejects' | 'hostile thenable'

function failingClient(thrown: ThrownCase, how: How): PrismaQueryable {
  return {
    $queryRaw() {
      const value = thrown.make()
      if (how === 'throws') throw value
      if (how === 'rejects') return Promise.reject(value)
      // A thenable whose `then` throws the value: what a broken client extension may return.
      return {
        // biome-ignore lint/suspicious/noThenProperty: the point is a hostile thenable.
        then() {
          throw value
        },
      } as unknown as PromiseLike<unknown>
    },
  }
}

describe('prismaCheck when the client throws hostile values', () => {
  it('answers error with a scrubbed, bounded message and never rejects', async () => {
    await fc.assert(
      fc.asyncProperty(
        thrownValue(),
        fc.constantFrom<How>('throws', 'rejects', 'hostile thenable'),
        async (thrown, how) => {
          const check = prismaCheck(failingClient(thrown, how))
          await expectScrubbedFailure(check, thrown)
        },
      ),
      runs,
    )
  })

  it('keeps the driver message of a wrapped error, without the password', async () => {
    const wrapped = new Error(
      '\nInvalid `prisma.$queryRaw()` invocation:\n\n\nRaw query failed. Code: `28P01`. Message: `password authentication failed for postgres://app:pgPass9Q@db:5432/app`',
    )
    const outcome = await prismaCheck(
      failingClient(
        { name: 'wrapped', kind: 'url-password', secret: 'pgPass9Q', make: () => wrapped },
        'rejects',
      ),
    ).run({ signal: never() })
    expect(outcome).toEqual({
      status: 'error',
      message: 'password authentication failed for postgres://***@db:5432/app (28P01)',
    })
  })

  it('a message with a long run of white space costs linear time, wherever the run stands', async () => {
    for (const message of [
      `a${' '.repeat(200_000)}b`,
      `a${' \t'.repeat(100_000)}\nb`,
      `${'\n'.repeat(200_000)}x`,
    ]) {
      const started = performance.now()
      const outcome = await prismaCheck(
        failingClient(
          { name: 'spaces', kind: 'hostile', secret: '', make: () => new Error(message) },
          'rejects',
        ),
      ).run({ signal: never() })
      expect(performance.now() - started).toBeLessThan(DEADLINE_MS)
      expect(outcome?.status).toBe('error')
    }
  })

  it('through a health run: the report carries the error entry and no secret', async () => {
    const secret = 'hunter2pgQ'
    const health = createHealth({
      checks: [
        prismaCheck(
          failingClient(
            {
              name: 'url',
              kind: 'url-password',
              secret,
              make: () => new Error(`connect to postgres://app:${secret}@db/app failed`),
            },
            'throws',
          ),
        ),
      ],
    })
    const report = await health.run()
    expect(report.checks.database).toMatchObject({
      status: 'error',
      message: 'connect to postgres://***@db/app failed',
    })
    expect(JSON.stringify(report)).not.toContain(secret)
  })
})
