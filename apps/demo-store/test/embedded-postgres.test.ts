import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmbeddedPostgres, serveEmbeddedPostgres } from '../src/db/embedded-postgres.js'

describe('embedded PostgreSQL (PGlite over the wire protocol)', () => {
  let db: PGlite
  let server: EmbeddedPostgres
  const pools: pg.Pool[] = []
  const pool = () => {
    const p = new pg.Pool({ connectionString: server.url, max: 4 })
    p.on('error', () => {})
    pools.push(p)
    return p
  }

  beforeAll(async () => {
    db = new PGlite()
    await db.exec('CREATE TABLE counters (name text PRIMARY KEY, value int NOT NULL)')
    server = await serveEmbeddedPostgres(db)
  })

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()))
    await server.close()
    await db.close()
  })

  it('answers parameterized queries from many connections of two pools at once, each with its own result', async () => {
    const web = pool()
    const api = pool()
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? web : api).query<{ n: number; label: string }>('SELECT $1::int AS n, $2::text AS label', [
          i,
          `q${i}`,
        ]),
      ),
    )
    expect(results.map((r) => r.rows)).toEqual(results.map((_, i) => [{ n: i, label: `q${i}` }]))
    expect(server.connections).toBeGreaterThan(2)
  })

  it('keeps a transaction of one connection isolated from statements of the others', async () => {
    const p = pool()
    await p.query("INSERT INTO counters VALUES ('tx', 0)")
    const increments = Array.from({ length: 8 }, async () => {
      const client = await p.connect()
      try {
        await client.query('BEGIN')
        const { rows } = await client.query<{ value: number }>('SELECT value FROM counters WHERE name = $1', [
          'tx',
        ])
        await new Promise((resolve) => setTimeout(resolve, 5))
        await client.query('UPDATE counters SET value = $1 WHERE name = $2', [rows[0]!.value + 1, 'tx'])
        await client.query('COMMIT')
      } finally {
        client.release()
      }
    })
    // Plain statements from another pool interleave with the transactions above.
    const other = pool()
    const reads = Array.from({ length: 8 }, () => other.query('SELECT count(*)::int AS c FROM counters'))
    await Promise.all([...increments, ...reads])
    const { rows } = await p.query<{ value: number }>("SELECT value FROM counters WHERE name = 'tx'")
    // Without a session per transaction, read-modify-write cycles would overlap and lose increments.
    expect(rows[0]!.value).toBe(8)
  })

  it('rolls back the transaction of a client that disconnects inside it, and serves the others afterwards', async () => {
    const client = new pg.Client({ connectionString: server.url })
    client.on('error', () => {})
    await client.connect()
    await client.query('BEGIN')
    await client.query("INSERT INTO counters VALUES ('orphan', 1)")
    const waiting = pool().query('SELECT count(*)::int AS c FROM counters WHERE name = $1', ['orphan'])
    // The other query waits for the session; the client leaves without COMMIT.
    await client.end()
    const { rows } = await waiting
    expect(rows[0]!.c).toBe(0)
    expect(db.isInTransaction()).toBe(false)
  })

  it('reports a failed statement to its client and keeps the session usable', async () => {
    const p = pool()
    await expect(p.query('SELECT * FROM missing_table WHERE id = $1', [1])).rejects.toThrow(/missing_table/)
    const { rows } = await p.query('SELECT 1 AS one')
    expect(rows).toEqual([{ one: 1 }])
  })
})
