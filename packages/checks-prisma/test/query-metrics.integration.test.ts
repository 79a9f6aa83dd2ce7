import { type MetricSink, OptionError } from '@vivr/core'
import { memoryLogger, memoryMetrics } from '@vivr/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { withQueryMetrics } from '../src/index.js'
import { createPrisma, migrate, openSession } from './support/database.js'

const SCHEMA = 'vivr_checks_prisma_metrics'

const prisma = createPrisma({ schema: SCHEMA })

beforeAll(async () => {
  await migrate(SCHEMA)
  await prisma.product.deleteMany()
})
afterAll(() => prisma.$disconnect())

describe('withQueryMetrics on a real model', () => {
  const savedLogQueries = process.env.LOG_QUERIES
  afterEach(() => {
    if (savedLogQueries === undefined) delete process.env.LOG_QUERIES
    else process.env.LOG_QUERIES = savedLogQueries
  })

  it('times every model operation as database.query.duration tagged { model, operation }', async () => {
    const metrics = memoryMetrics()
    const db = withQueryMetrics(prisma, { metrics })
    const created = await db.product.create({ data: { name: 'Tea', priceCents: 450 } })
    const found = await db.product.findMany({ where: { id: created.id } })
    expect(found).toEqual([created])
    await db.product.count()

    const timings = metrics.find('database.query.duration', 'timing')
    expect(timings.map((t) => t.tags)).toEqual([
      { model: 'Product', operation: 'create' },
      { model: 'Product', operation: 'findMany' },
      { model: 'Product', operation: 'count' },
    ])
    for (const timing of timings) expect(timing.value).toBeGreaterThan(0)
    expect(metrics.total('database.slow_queries')).toBe(0)
  })

  it('counts and logs a slow query (one blocked behind a lock) at WARN with model, operation and duration', async () => {
    const metrics = memoryMetrics()
    const logger = memoryLogger()
    const db = withQueryMetrics(prisma, { metrics, logger, slowQueryMs: 100 })
    const locker = await openSession(SCHEMA)
    try {
      await locker.query('BEGIN')
      await locker.query('LOCK TABLE product IN ACCESS EXCLUSIVE MODE')
      const slow = db.product.findMany()
      const released = new Promise((resolve) => setTimeout(resolve, 300)).then(() => locker.query('COMMIT'))
      await Promise.all([slow, released])
    } finally {
      await locker.end()
    }

    expect(metrics.total('database.slow_queries')).toBe(1)
    expect(metrics.find('database.slow_queries')[0]?.tags).toEqual({
      model: 'Product',
      operation: 'findMany',
    })
    const [warning, ...others] = logger.find({ level: 'WARN' })
    expect(others).toEqual([])
    expect(warning).toMatchObject({ message: 'Slow database query', model: 'Product', operation: 'findMany' })
    expect(warning?.duration).toBeGreaterThanOrEqual(250)
    const slowTiming = metrics.find('database.query.duration').find((t) => t.tags.operation === 'findMany')
    expect(slowTiming?.value).toBeGreaterThanOrEqual(250)
  })

  it('logs each query at DEBUG when LOG_QUERIES=true, and not otherwise', async () => {
    process.env.LOG_QUERIES = 'true'
    const verbose = memoryLogger()
    await withQueryMetrics(prisma, { metrics: memoryMetrics(), logger: verbose }).product.count()
    expect(verbose.find({ level: 'DEBUG' })).toEqual([
      expect.objectContaining({ message: 'Database query', model: 'Product', operation: 'count' }),
    ])

    delete process.env.LOG_QUERIES
    const quiet = memoryLogger()
    await withQueryMetrics(prisma, { metrics: memoryMetrics(), logger: quiet }).product.count()
    expect(quiet.lines).toEqual([])

    const forced = memoryLogger()
    await withQueryMetrics(prisma, {
      metrics: memoryMetrics(),
      logger: forced,
      logQueries: true,
    }).product.count()
    expect(forced.find({ level: 'DEBUG' })).toHaveLength(1)
  })

  it('times failed queries too and rethrows the error unchanged', async () => {
    const metrics = memoryMetrics()
    const db = withQueryMetrics(prisma, { metrics })
    const existing = await db.product.create({ data: { name: 'Coffee', priceCents: 300 } })
    const failure = await db.product
      .create({ data: { id: existing.id, name: 'Duplicate', priceCents: 1 } })
      .catch((error: unknown) => error)
    expect(failure).toMatchObject({ code: 'P2002' })
    expect(metrics.find('database.query.duration').map((t) => t.tags.operation)).toEqual(['create', 'create'])
  })

  it('never lets a broken sink break the query', async () => {
    const broken: MetricSink = {
      increment() {},
      gauge() {},
      histogram() {},
      timing() {
        throw new Error('sink down')
      },
    }
    const db = withQueryMetrics(prisma, { metrics: broken })
    await expect(db.product.count()).resolves.toEqual(expect.any(Number))
  })

  it('leaves the original client untouched and keeps the model types', async () => {
    const metrics = memoryMetrics()
    const db = withQueryMetrics(prisma, { metrics })
    await prisma.product.count()
    expect(metrics.calls).toEqual([])

    const rows = await db.product.findMany({ select: { name: true } })
    expectTypeOf(rows).toEqualTypeOf<{ name: string }[]>()
    expectTypeOf(db.product.create).parameter(0).toHaveProperty('data')
    expectTypeOf(db).not.toHaveProperty('$on')
    // Extensions compose: the extended client can be extended again.
    const twice = withQueryMetrics(db, { metrics })
    await twice.product.count()
    expect(metrics.find('database.query.duration')).toHaveLength(3)
  })

  it('rejects bad options at construction, naming the option', () => {
    expect(() => withQueryMetrics(prisma, { metrics: undefined as unknown as MetricSink })).toThrow(
      OptionError,
    )
    expect(() => withQueryMetrics(prisma, { metrics: memoryMetrics(), slowQueryMs: -1 })).toThrow(
      /slowQueryMs/,
    )
    expect(() => withQueryMetrics(prisma, { metrics: memoryMetrics(), logger: {} as never })).toThrow(
      /logger/,
    )
    expect(() => withQueryMetrics(prisma, { metrics: memoryMetrics(), logQueries: 1 as never })).toThrow(
      /logQueries/,
    )
    expect(() => withQueryMetrics({} as never, { metrics: memoryMetrics() })).toThrow(/\$extends/)
  })
})
