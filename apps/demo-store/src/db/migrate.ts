import { createHash, randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The two calls the runner needs, implemented over `pg` and over PGlite below. */
export interface SqlConnection {
  /** One or more statements without parameters. */
  exec(sql: string): Promise<void>
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>
}

export interface MigrationResult {
  /** Names applied by this run, in order. */
  applied: string[]
  /** Migrations on disk that were already applied. */
  alreadyApplied: number
}

// Prisma's own bookkeeping table, so `prisma migrate deploy` (for those who have the schema engine) agrees.
const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`
// The advisory lock key Prisma Migrate uses: two runners (two terminals, parallel tests) never migrate at once.
const LOCK_KEY = 72707369

export const MIGRATIONS_DIR = join(import.meta.dirname, '../../prisma/migrations')

async function readMigrations(dir: string): Promise<Array<{ name: string; sql: string; checksum: string }>> {
  const entries = await readdir(dir, { withFileTypes: true })
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8')
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') }
    }),
  )
}

/**
 * Applies `prisma/migrations/<name>/migration.sql` files not applied yet, in name order, each in its own
 * transaction. Refuses to run when an applied migration's file changed since (its checksum differs).
 */
export async function migrate(db: SqlConnection, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const migrations = await readMigrations(dir)
  await db.query('SELECT pg_advisory_lock($1)', [LOCK_KEY])
  try {
    await db.exec(BOOKKEEPING)
    const rows = await db.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    )
    const done = new Map(rows.map((r) => [r.migration_name, r.checksum]))
    const applied: string[] = []
    for (const migration of migrations) {
      const checksum = done.get(migration.name)
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(
            `migration ${migration.name} was changed after it was applied: add a new migration instead of editing it`,
          )
        }
        continue
      }
      await db.exec('BEGIN')
      try {
        await db.exec(migration.sql)
        await db.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        )
        await db.exec('COMMIT')
      } catch (error) {
        await db.exec('ROLLBACK')
        throw new Error(
          `migration ${migration.name} failed: ${error instanceof Error ? error.message : error}`,
          {
            cause: error,
          },
        )
      }
      applied.push(migration.name)
    }
    return { applied, alreadyApplied: migrations.length - applied.length }
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY])
  }
}

/** Over one `pg` client (not a pool: the lock and the transactions need a single session). */
export function pgConnection(client: {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>
}): SqlConnection {
  return {
    exec: async (sql) => {
      await client.query(sql)
    },
    query: async <Row>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as Row[],
  }
}

/** Over a PGlite instance (embedded mode, before it is served to the apps). */
export function pgliteConnection(db: {
  exec(sql: string): Promise<unknown>
  query<Row>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>
}): SqlConnection {
  return {
    exec: async (sql) => {
      await db.exec(sql)
    },
    query: async <Row>(sql: string, params?: unknown[]) => (await db.query<Row>(sql, params)).rows,
  }
}
