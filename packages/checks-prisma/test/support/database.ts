import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'

const packageDir = join(import.meta.dirname, '../..')

// The generated client is not committed: make sure it exists before anything imports it.
execFileSync(process.execPath, [join(packageDir, 'scripts/generate-test-client.mjs')], { stdio: 'inherit' })
const { PrismaClient } = await import('../prisma/generated/client.js')

export type TestPrismaClient = InstanceType<typeof PrismaClient>

export const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test'

/** A Prisma 7 client over the pg driver adapter, on one PostgreSQL schema of the test database. */
export function createPrisma(options: { schema: string; connectionString?: string; max?: number }) {
  const adapter = new PrismaPg(
    { connectionString: options.connectionString ?? databaseUrl, max: options.max ?? 4 },
    { schema: options.schema },
  )
  return new PrismaClient({ adapter })
}

const migrationsDir = join(packageDir, 'test/prisma/migrations')

/**
 * Applies test/prisma/migrations/<name>/migration.sql (Prisma's layout) to `schema` in order, once each, as
 * `prisma migrate deploy` would; an advisory lock keeps parallel test files from racing.
 */
export async function migrate(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [schema])
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
    await client.query(`SET search_path TO "${schema}"`)
    await client.query(
      'CREATE TABLE IF NOT EXISTS _migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    )
    const applied = new Set(
      (await client.query<{ name: string }>('SELECT name FROM _migrations')).rows.map((r) => r.name),
    )
    for (const name of readdirSync(migrationsDir).sort()) {
      if (applied.has(name)) continue
      const sql = readFileSync(join(migrationsDir, name, 'migration.sql'), 'utf8')
      await client.query('BEGIN')
      try {
        await client.query(sql)
        await client.query('INSERT INTO _migrations (name) VALUES ($1)', [name])
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK')
        throw error
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [schema]).catch(() => {})
    await client.end()
  }
}

/** A plain pg session for the test's own statements (locks, cleanup). */
export async function openSession(schema: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  await client.query(`SET search_path TO "${schema}"`)
  return client
}
