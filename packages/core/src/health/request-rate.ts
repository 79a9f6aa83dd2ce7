import { type Clock, systemClock } from '../clock.js'
import { durationOption } from '../validate.js'

export interface RequestRateMeter {
  /** Count one request now. */
  mark(): void
  /** Requests per second over the sliding window (or the meter's lifetime while shorter). */
  perSecond(): number
}

export interface RequestRateOptions {
  /** Length of the sliding window. @default 60000 */
  windowMs?: number
  clock?: Clock
}

const BUCKET_MS = 1000

/** A sliding-window request counter in one-second buckets: O(1) per mark, bounded memory. */
export function createRequestRateMeter(options: RequestRateOptions = {}): RequestRateMeter {
  const windowMs = durationOption('windowMs', options.windowMs, { allowZero: false }) ?? 60_000
  const clock = options.clock ?? systemClock
  const bucketCount = Math.max(1, Math.ceil(windowMs / BUCKET_MS))
  const counts = new Array<number>(bucketCount).fill(0)
  const epochs = new Array<number>(bucketCount).fill(-1)
  const createdAt = clock.now()

  return {
    mark() {
      const epoch = Math.floor(clock.now() / BUCKET_MS)
      const slot = epoch % bucketCount
      if (epochs[slot] !== epoch) {
        epochs[slot] = epoch
        counts[slot] = 0
      }
      counts[slot] = (counts[slot] ?? 0) + 1
    },
    perSecond() {
      const now = clock.now()
      const current = Math.floor(now / BUCKET_MS)
      let total = 0
      for (let i = 0; i < bucketCount; i++) {
        const epoch = epochs[i] ?? -1
        if (epoch > current - bucketCount && epoch <= current) total += counts[i] ?? 0
      }
      const spanMs = Math.min(bucketCount * BUCKET_MS, Math.max(BUCKET_MS, now - createdAt))
      return Math.round((total / (spanMs / 1000)) * 100) / 100
    },
  } satisfies RequestRateMeter
}
