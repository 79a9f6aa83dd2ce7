import { createHealth, OptionError } from '@vivr/core'
import { startMuteTcpServer, unusedPort } from '@vivr/testkit'
import { describeCheckContract } from '@vivr/testkit/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prismaCheck } from '../src/index.js'
import { createPrisma, migrate, openSession, type TestPrismaClient } from './support/database.js'

const SCHEMA = 'vivr_checks_prisma_check'
const PASSWORD = 's3cret-db-pass'

beforeAll(() => migrate(SCHEMA))

interface Dependency {
  prisma: TestPrismaClient
  close?: () => Promise<void>
}

async function dispose({ prisma, close }: Dependency) {
  // Drop mute connections first: a pool waiting on a server that never answers cannot end gracefully.
  await close?.()
  await prisma.$disconnect()
}

describeCheckContract(
  'prismaCheck',
  ({ prisma }: Dependency, { timeoutMs }) => prismaCheck(prisma, { timeoutMs }),
  {
    healthy: () => ({ prisma: createPrisma({ schema: SCHEMA }) }),
    failing: async () => ({
      prisma: createPrisma({
        schema: SCHEMA,
        connectionString: `postgresql://postgres:${PASSWORD}@127.0.0.1:${await unusedPort()}/test`,
      }),
    }),
    hanging: async () => {
      const mute = await startMuteTcpServer()
      return {
        prisma: createPrisma({
          schema: SCHEMA,
          connectionString: `postgresql://postgres:${PASSWORD}@127.0.0.1:${mute.port}/test`,
        }),
        close: () => mute.close(),
      }
    },
    secrets: [PASSWORD],
    dispose,
  },
)

async function waitForBlockedQueries(session: Awaited<ReturnType<typeof openSession>>, count: number) {
  for (let attempt = 0; attempt < 100; attempt++) {
    // Inside the locking transaction, activity statistics are a snapshot unless cleared.
    await session.query('SELECT pg_stat_clear_snapshot()')
    const { rows } = await session.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
       WHERE wait_event_type = 'Lock' AND query LIKE '%${SCHEMA}%'`,
    )
    if ((rows[0]?.waiting ?? 0) >= count) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`expected ${count} queries waiting on the lock`)
}

describe('prismaCheck against PostgreSQL', () => {
  it("is the guide's database check: named database, critical, ok with a latency", async () => {
    const prisma = createPrisma({ schema: SCHEMA })
    try {
      const check = prismaCheck(prisma)
      expect(check).toMatchObject({ name: 'database', critical: true })
      expect(check.timeoutMs).toBeUndefined()
      const report = await createHealth({ checks: [check] }).run()
      expect(report.status).toBe('healthy')
      expect(report.checks.database).toEqual({ status: 'ok', latency: expect.any(Number) })
    } finally {
      await prisma.$disconnect()
    }
  })

  it('reports a wrong port as a short error, without the password, well within the timeout', async () => {
    const port = await unusedPort()
    const prisma = createPrisma({
      schema: SCHEMA,
      connectionString: `postgresql://postgres:${PASSWORD}@127.0.0.1:${port}/test`,
    })
    try {
      const health = createHealth({ checks: [prismaCheck(prisma, { timeoutMs: 1000 })] })
      const started = performance.now()
      const report = await health.run()
      expect(performance.now() - started).toBeLessThan(2000)
      expect(report.status).toBe('unhealthy')
      expect(report.checks.database?.status).toBe('error')
      expect(report.checks.database?.message).toBe(`Can't reach database server at 127.0.0.1:${port}`)
    } finally {
      await prisma.$disconnect()
    }
  })

  it('reports a database error with its SQLSTATE code', async () => {
    const prisma = createPrisma({
      schema: SCHEMA,
      connectionString: `postgresql://no_such_role:${PASSWORD}@127.0.0.1:5432/test`,
    })
    try {
      const outcome = await prismaCheck(prisma).run({ signal: new AbortController().signal })
      expect(outcome).toEqual({ status: 'error', message: 'role "no_such_role" does not exist (28000)' })
    } finally {
      await prisma.$disconnect()
    }
  })

  it('times out a server that accepts and never answers, then keeps one query pending, not one per probe', async () => {
    const mute = await startMuteTcpServer()
    const prisma = createPrisma({
      schema: SCHEMA,
      connectionString: `postgresql://postgres@127.0.0.1:${mute.port}/test`,
    })
    try {
      const check = prismaCheck(prisma, { timeoutMs: 200 })
      for (let probe = 0; probe < 5; probe++) {
        const started = performance.now()
        const outcome = await check.run({ signal: AbortSignal.timeout(200) })
        expect(performance.now() - started).toBeLessThan(1200)
        expect(outcome).toMatchObject({ status: 'error' })
      }
      expect(mute.connections).toBe(1)
    } finally {
      await mute.close()
      await prisma.$disconnect()
    }
  })

  it('honours the timeout while the pool is exhausted by queries blocked on a lock, and recovers', async () => {
    const prisma = createPrisma({ schema: SCHEMA, max: 2 })
    const locker = await openSession(SCHEMA)
    try {
      await locker.query('BEGIN')
      await locker.query('LOCK TABLE product IN ACCESS EXCLUSIVE MODE')
      // The app's own queries take every pool connection and wait behind the lock.
      const blocked = Promise.all([prisma.product.count(), prisma.product.findMany()])
      await waitForBlockedQueries(locker, 2)
      const health = createHealth({ checks: [prismaCheck(prisma, { timeoutMs: 300 })] })

      const started = performance.now()
      const stuck = await health.run()
      expect(performance.now() - started).toBeLessThan(1500)
      expect(stuck.status).toBe('unhealthy')
      expect(stuck.checks.database).toMatchObject({ status: 'error', message: 'timed out after 300ms' })

      await locker.query('COMMIT')
      await blocked
      const recovered = await health.run()
      expect(recovered.checks.database?.status).toBe('ok')
      expect(recovered.status).toBe('healthy')
    } finally {
      await locker.query('ROLLBACK').catch(() => {})
      await locker.end()
      await prisma.$disconnect()
    }
  })

  it('works on a client extended with $extends', async () => {
    const prisma = createPrisma({ schema: SCHEMA })
    try {
      const extended = prisma.$extends({ result: { product: { label: { compute: () => 'x' } } } })
      const outcome = await prismaCheck(extended).run({ signal: new AbortController().signal })
      expect(outcome).toEqual({ status: 'ok' })
    } finally {
      await prisma.$disconnect()
    }
  })
})

describe('prismaCheck options', () => {
  const prisma = createPrisma({ schema: SCHEMA })
  afterAll(() => prisma.$disconnect())

  it('takes a name, a timeout, criticality and tags', () => {
    const check = prismaCheck(prisma, {
      name: 'primary-db',
      timeoutMs: 250,
      critical: false,
      tags: ['ready'],
    })
    expect(check).toMatchObject({ name: 'primary-db', timeoutMs: 250, critical: false, tags: ['ready'] })
  })

  it('rejects bad options at construction, naming the option', () => {
    expect(() => prismaCheck(prisma, { timeoutMs: 0 })).toThrow(OptionError)
    expect(() => prismaCheck(prisma, { timeoutMs: -5 })).toThrow(/timeoutMs/)
    expect(() => prismaCheck(prisma, { name: ' ' })).toThrow(/Invalid option name/)
    expect(() => prismaCheck(prisma, { critical: 'yes' as unknown as boolean })).toThrow(/critical/)
    expect(() => prismaCheck(prisma, { tags: 'ready' as unknown as string[] })).toThrow(/tags/)
    expect(() => prismaCheck({} as never)).toThrow(/\$queryRaw/)
  })
})
