// `@/lib/db` in README examples: the app's PostgreSQL pool.
import pg from 'pg'

export const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
