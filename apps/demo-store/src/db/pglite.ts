import { PGlite } from '@electric-sql/pglite'
import { PrismaPGlite } from 'pglite-prisma-adapter'

export type { PGlite }

/** PGlite in `dataDir` (created when missing), or in memory without one. */
export function openPGlite(dataDir?: string): Promise<PGlite> {
  return dataDir === undefined ? PGlite.create() : PGlite.create(dataDir)
}

/** The Prisma driver adapter over an open PGlite: Prisma queries run in this process, no wire in between. */
export function pgliteAdapter(db: PGlite): PrismaPGlite {
  return new PrismaPGlite(db)
}
