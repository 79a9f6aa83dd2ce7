// The first example of packages/core/README.md, run as written against the real PostgreSQL on 127.0.0.1:5432:
// a README example is a test.
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createHealth, defineCheck, untilAborted } from '../src/index.js'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const pools: pg.Pool[] = []
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()))
})

function readmeHealth(connectionString: string) {
  const db = new pg.Pool({ connectionString, connectionTimeoutMillis: 2000 })
  pools.push(db)
  db.on('error', () => {})
  const database = defineCheck({
    name: 'database',
    tags: ['ready'],
    timeoutMs: 500,
    run: ({ signal }) => untilAborted(() => db.query('SELECT 1'), signal),
  })
  return createHealth({ checks: [database], includeMetrics: false })
}

// The lines below are the README's; if the README's example changes, this test must change with it.
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const README_LINES = [
  'const db = new pg.Pool({ connectionString: process.env.DATABASE_URL })',
  "run: ({ signal }) => untilAborted(() => db.query('SELECT 1'), signal),",
]

describe("core README's health example against PostgreSQL", () => {
  it('runs the check the README shows', () => {
    for (const line of README_LINES) expect(README).toContain(line)
  })

  it('reports a reachable database as ok and the endpoint 200', async () => {
    const health = readmeHealth(DATABASE_URL)
    const response = await health.handler(new Request('http://localhost/api/health'))
    const body = await response.json()
    expect(response.status, JSON.stringify(body)).toBe(200)
    expect(body.checks.database.status).toBe('ok')
  })

  it('reports a database that refuses as error, without the password in the message', async () => {
    const health = readmeHealth('postgres://app:readme-s3cret@127.0.0.1:1/test')
    const report = await health.run()
    expect(report.status).toBe('unhealthy')
    expect(report.checks.database?.status).toBe('error')
    expect(JSON.stringify(report)).not.toContain('readme-s3cret')
  })
})
