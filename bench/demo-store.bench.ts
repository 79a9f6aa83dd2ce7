import type { TechnicalMetrics } from '@vivr/core'
import { createTechnicalMetrics, noopMetrics } from '@vivr/core'
import { createLogger } from '@vivr/core/node'
import pg from 'pg'
import { generateClient } from '../apps/demo-store/scripts/generate-client.mjs'
import { serveEmbeddedPostgres } from '../apps/demo-store/src/db/embedded-postgres.js'
import { migrate, pgliteConnection } from '../apps/demo-store/src/db/migrate.js'
import { openPGlite, pgliteAdapter } from '../apps/demo-store/src/db/pglite.js'
import { seed } from '../apps/demo-store/src/db/seed.js'
import { createCatalog, memoryTextCache } from '../apps/demo-store/src/server/catalog.js'
import type { Bench } from './lib.js'

/** Runs `fn` `concurrency` at a time for about `durationMs`; operations per second. */
async function concurrentOpsPerSecond(fn: () => Promise<unknown>, concurrency: number, durationMs = 1500) {
  const warm = Date.now() + 300
  while (Date.now() < warm) await Promise.all(Array.from({ length: concurrency }, fn))
  let ops = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - started < durationMs) {
        await fn()
        ops++
      }
    }),
  )
  return ops / ((performance.now() - started) / 1000)
}

const embeddedWire: Bench = {
  name: 'demo-store: embedded PostgreSQL over the wire',
  async run() {
    const db = await openPGlite()
    await db.exec('CREATE TABLE items (id int PRIMARY KEY, name text)')
    await db.exec("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g")
    const server = await serveEmbeddedPostgres(db)
    // What the storefront and the API do together: two pools, parameterized queries, all at once.
    const pools = [0, 1].map(() => new pg.Pool({ connectionString: server.url, max: 4 }))
    let next = 0
    const viaWire = () => pools[next++ % 2]!.query('SELECT name FROM items WHERE id = $1', [(next % 100) + 1])
    const inProcess = () => db.query('SELECT name FROM items WHERE id = $1', [(next++ % 100) + 1])
    const wire = await concurrentOpsPerSecond(viaWire, 8)
    const direct = await concurrentOpsPerSecond(inProcess, 8)
    await Promise.all(pools.map((p) => p.end()))
    await server.close()
    await db.close()
    return [
      {
        figure: 'parameterized SELECT, 8 concurrent clients in 2 pools',
        unit: 'queries/s',
        ours: Math.round(wire),
        anchor: Math.round(direct),
        anchorName: 'PGlite in process (no wire, one process)',
        higherIsBetter: true,
      },
    ]
  },
}

const catalogCache: Bench = {
  name: 'demo-store: catalog reads',
  async run() {
    generateClient()
    const { PrismaClient } = await import('../apps/demo-store/src/generated/prisma/client.js')
    const db = await openPGlite()
    await migrate(pgliteConnection(db))
    const prisma = new PrismaClient({ adapter: pgliteAdapter(db) })
    await seed(prisma)
    const technical: TechnicalMetrics = createTechnicalMetrics(noopMetrics)
    const catalog = createCatalog({
      db: prisma,
      cache: memoryTextCache(),
      technical,
      logger: createLogger({ destinations: [{ write() {} }] }),
    })
    const cached = await concurrentOpsPerSecond(() => catalog.list(), 4)
    // The guide's way: every product page asks the database.
    const uncached = await concurrentOpsPerSecond(
      () => prisma.product.findMany({ orderBy: [{ category: 'asc' }, { name: 'asc' }] }),
      4,
    )
    await prisma.$disconnect()
    await db.close()
    return [
      {
        figure: 'product list (36 products), 4 concurrent readers',
        unit: 'reads/s',
        ours: Math.round(cached),
        anchor: Math.round(uncached),
        anchorName: 'findMany per request (no cache)',
        higherIsBetter: true,
      },
    ]
  },
}

export const benches: Bench[] = [embeddedWire, catalogCache]
