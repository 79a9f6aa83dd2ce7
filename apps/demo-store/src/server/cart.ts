import type { Redis } from 'ioredis'

export interface CartLine {
  productId: number
  quantity: number
}

export interface CartStats {
  /** Carts that received their first item. */
  started: number
  /** Carts that became an order. */
  converted: number
}

/** Where carts live: Redis when REDIS_URL is set (shared by every instance), else this process's memory. */
export interface CartStore {
  readonly kind: 'redis' | 'memory'
  get(cartId: string): Promise<CartLine[]>
  /** Adds `quantity` to the line (creating it). */
  add(cartId: string, productId: number, quantity: number): Promise<void>
  /** Sets the line's quantity; 0 removes it. */
  set(cartId: string, productId: number, quantity: number): Promise<void>
  /** The cart became an order: empties it and counts a conversion. */
  convert(cartId: string): Promise<void>
  /** Stops tracking carts untouched for `idleMs` that still hold items; returns how many (each counted once). */
  sweepAbandoned(idleMs: number, now?: number): Promise<number>
  stats(): Promise<CartStats>
  close(): Promise<void>
}

const MAX_QUANTITY = 99
const CART_TTL_SECONDS = 7 * 24 * 3600
const clamp = (quantity: number) => Math.max(0, Math.min(MAX_QUANTITY, Math.trunc(quantity)))

/**
 * Keys (under the client's keyPrefix): `cart:<id>` hash productId → quantity; `carts:active` sorted set of carts
 * with items, scored by last change; `carts:started` / `carts:converted` counters.
 */
export function redisCartStore(redis: Redis): CartStore {
  const key = (cartId: string) => `cart:${cartId}`

  async function touch(cartId: string): Promise<void> {
    const now = Date.now()
    // NX tells a new cart (counted once) from one being updated.
    const added = await redis.zadd('carts:active', 'NX', now, cartId)
    if (added === 1) await redis.incr('carts:started')
    else await redis.zadd('carts:active', 'XX', now, cartId)
  }

  async function readLines(cartId: string): Promise<CartLine[]> {
    const fields = await redis.hgetall(key(cartId))
    return Object.entries(fields)
      .map(([productId, quantity]) => ({ productId: Number(productId), quantity: Number(quantity) }))
      .filter((line) => Number.isInteger(line.productId) && line.quantity > 0)
      .sort((a, b) => a.productId - b.productId)
  }

  return {
    kind: 'redis',
    get: readLines,
    async add(cartId, productId, quantity) {
      const total = await redis.hincrby(key(cartId), String(productId), clamp(quantity))
      if (total > MAX_QUANTITY) await redis.hset(key(cartId), String(productId), MAX_QUANTITY)
      await redis.expire(key(cartId), CART_TTL_SECONDS)
      await touch(cartId)
    },
    async set(cartId, productId, quantity) {
      const q = clamp(quantity)
      if (q === 0) await redis.hdel(key(cartId), String(productId))
      else await redis.hset(key(cartId), String(productId), q)
      if ((await redis.hlen(key(cartId))) === 0) await redis.zrem('carts:active', cartId)
      else await touch(cartId)
    },
    async convert(cartId) {
      await redis.del(key(cartId))
      await redis.zrem('carts:active', cartId)
      await redis.incr('carts:converted')
    },
    async sweepAbandoned(idleMs, now = Date.now()) {
      const idle = await redis.zrangebyscore('carts:active', '-inf', `(${now - idleMs}`, 'LIMIT', 0, 1000)
      let abandoned = 0
      // ZREM answers 1 to exactly one caller, so two instances sweeping at once never count a cart twice.
      for (const cartId of idle) abandoned += await redis.zrem('carts:active', cartId)
      return abandoned
    },
    async stats() {
      const [started, converted] = await redis.mget('carts:started', 'carts:converted')
      return { started: Number(started ?? 0), converted: Number(converted ?? 0) }
    },
    async close() {
      redis.disconnect()
    },
  }
}

/** In-process carts, bounded: past `maxCarts` the least recently changed cart is dropped. */
export function memoryCartStore({ maxCarts = 10_000 }: { maxCarts?: number } = {}): CartStore {
  const carts = new Map<string, { lines: Map<number, number>; touchedAt: number; tracked: boolean }>()
  const counters: CartStats = { started: 0, converted: 0 }

  function cart(cartId: string) {
    let entry = carts.get(cartId)
    if (entry) {
      carts.delete(cartId) // re-insert: Map order is our recency order
    } else {
      entry = { lines: new Map(), touchedAt: Date.now(), tracked: false }
      if (carts.size >= maxCarts) carts.delete(carts.keys().next().value!)
    }
    carts.set(cartId, entry)
    return entry
  }

  function touch(entry: { lines: Map<number, number>; touchedAt: number; tracked: boolean }) {
    entry.touchedAt = Date.now()
    if (entry.lines.size > 0 && !entry.tracked) {
      entry.tracked = true
      counters.started++
    } else if (entry.lines.size === 0) {
      entry.tracked = false
    }
  }

  return {
    kind: 'memory',
    async get(cartId) {
      const entry = carts.get(cartId)
      if (!entry) return []
      return [...entry.lines]
        .map(([productId, quantity]) => ({ productId, quantity }))
        .sort((a, b) => a.productId - b.productId)
    },
    async add(cartId, productId, quantity) {
      const entry = cart(cartId)
      entry.lines.set(productId, clamp((entry.lines.get(productId) ?? 0) + clamp(quantity)))
      touch(entry)
    },
    async set(cartId, productId, quantity) {
      const entry = cart(cartId)
      const q = clamp(quantity)
      if (q === 0) entry.lines.delete(productId)
      else entry.lines.set(productId, q)
      touch(entry)
    },
    async convert(cartId) {
      carts.delete(cartId)
      counters.converted++
    },
    async sweepAbandoned(idleMs, now = Date.now()) {
      let abandoned = 0
      for (const entry of carts.values()) {
        if (entry.tracked && entry.touchedAt < now - idleMs) {
          entry.tracked = false
          abandoned++
        }
      }
      return abandoned
    },
    async stats() {
      return { ...counters }
    },
    async close() {
      carts.clear()
    },
  }
}
