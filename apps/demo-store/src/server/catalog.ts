import type { Logger, TechnicalMetrics } from '@vivr/core'
import type { Redis } from 'ioredis'
import type { Database } from './db.js'

export interface Product {
  id: number
  slug: string
  name: string
  description: string
  category: string
  priceCents: number
  currency: string
  hue: number
}

/** A string cache with expiry: Redis when configured, else a small in-process map. */
export interface TextCache {
  get(key: string): Promise<string | undefined>
  set(key: string, value: string, ttlSeconds: number): Promise<void>
}

export function redisTextCache(redis: Redis): TextCache {
  return {
    get: async (key) => (await redis.get(key)) ?? undefined,
    set: async (key, value, ttlSeconds) => {
      await redis.set(key, value, 'EX', ttlSeconds)
    },
  }
}

export function memoryTextCache(): TextCache {
  const entries = new Map<string, { value: string; expiresAt: number }>()
  return {
    async get(key) {
      const entry = entries.get(key)
      if (!entry) return undefined
      if (entry.expiresAt <= Date.now()) {
        entries.delete(key)
        return undefined
      }
      return entry.value
    },
    async set(key, value, ttlSeconds) {
      entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 })
    },
  }
}

export interface Catalog {
  /** Every product, from the cache when fresh (the storefront's hot path). */
  list(): Promise<Product[]>
  bySlug(slug: string): Promise<Product | undefined>
  /** Straight from the database: prices for carts and orders are never served from a cache. */
  byIds(ids: number[]): Promise<Map<number, Product>>
}

export interface CatalogOptions {
  db: Database
  cache: TextCache
  technical: TechnicalMetrics
  logger: Logger
  /** @default 60 */
  ttlSeconds?: number
  /** Lookups the cache.hit_rate gauge averages over. @default 100 */
  hitRateWindow?: number
}

const CACHE_KEY = 'catalog:products:v1'
const WARN_INTERVAL_MS = 30_000

const toProduct = (row: Product): Product => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  description: row.description,
  category: row.category,
  priceCents: row.priceCents,
  currency: row.currency,
  hue: row.hue,
})

/**
 * Read-through cache over the products table. A cache that fails (Redis down) is a miss, never an error: the
 * store keeps serving pages from the database, and says so in one warning per interval.
 */
export function createCatalog(options: CatalogOptions): Catalog {
  const { db, cache, technical, logger } = options
  const ttlSeconds = options.ttlSeconds ?? 60
  const window = options.hitRateWindow ?? 100
  const recent: boolean[] = []
  let lastWarning = 0

  function record(hit: boolean) {
    recent.push(hit)
    if (recent.length > window) recent.shift()
    technical.cacheHitRate(recent.filter(Boolean).length / recent.length, { cache: 'catalog' })
  }

  function warn(operation: string, error: unknown) {
    const now = Date.now()
    if (now - lastWarning < WARN_INTERVAL_MS) return
    lastWarning = now
    logger.warn('Catalog cache unavailable; reading from the database', {
      operation,
      error: error instanceof Error ? error.message : String(error),
    })
  }

  async function list(): Promise<Product[]> {
    try {
      const cached = await cache.get(CACHE_KEY)
      if (cached !== undefined) {
        record(true)
        return JSON.parse(cached) as Product[]
      }
    } catch (error) {
      warn('get', error)
    }
    record(false)
    const products = (await db.product.findMany({ orderBy: [{ category: 'asc' }, { name: 'asc' }] })).map(
      toProduct,
    )
    cache.set(CACHE_KEY, JSON.stringify(products), ttlSeconds).catch((error) => warn('set', error))
    return products
  }

  return {
    list,
    async bySlug(slug) {
      return (await list()).find((p) => p.slug === slug)
    },
    async byIds(ids) {
      if (ids.length === 0) return new Map()
      const rows = await db.product.findMany({ where: { id: { in: ids } } })
      return new Map(rows.map((row) => [row.id, toProduct(row)]))
    },
  }
}

export function formatPrice(cents: number, currency = 'usd'): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(
    cents / 100,
  )
}
