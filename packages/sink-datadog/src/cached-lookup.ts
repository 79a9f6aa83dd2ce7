import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { isIP } from 'node:net'
import type { Clock } from '@vivr/core'

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void

export interface CachedLookupOptions {
  /** An answer is used at once and refreshed in the background after this long. */
  refreshMs: number
  /** A failed lookup is answered from cache (with its error) for this long before DNS is asked again. */
  retryMs: number
  family: 4 | 6
  clock: Clock
}

export interface CachedLookup {
  /** The `lookup` function of `dgram.createSocket` options. */
  lookup(hostname: string, options: unknown, callback: LookupCallback): void
  /** DNS queries made so far. */
  readonly queries: number
}

function resolve(host: string, family: 4 | 6, done: (error: Error | null, address?: string) => void) {
  dnsLookup(
    host,
    { family },
    (error: NodeJS.ErrnoException | null, address: string | LookupAddress[] | undefined) =>
      done(error, typeof address === 'string' ? address : address?.[0]?.address),
  )
}

/**
 * dgram calls its `lookup` before every send; with a hostname that is one getaddrinfo per datagram on libuv's
 * 4-thread pool (and for an unknown host a resolver timeout each), which starves the app's file and crypto work.
 * This resolves once, answers every later send from memory, refreshes in the background, and remembers failures.
 */
export function createCachedLookup(options: CachedLookupOptions): CachedLookup {
  const { clock, family } = options
  let address: string | undefined
  let failure: { error: Error; at: number } | undefined
  let resolvedAt = Number.NEGATIVE_INFINITY
  let waiting: LookupCallback[] | undefined
  let queries = 0

  function query(hostname: string, callback?: LookupCallback): void {
    if (waiting) {
      if (callback) waiting.push(callback)
      return
    }
    waiting = callback ? [callback] : []
    queries++
    resolve(hostname, family, (error, answer) => {
      const callbacks = waiting ?? []
      waiting = undefined
      if (error || !answer) {
        // Keep a good address we had: a refresh that fails must not cut the app off from a working agent.
        failure = { error: error ?? new Error(`no address for ${hostname}`), at: clock.now() }
      } else {
        address = answer
        failure = undefined
        resolvedAt = clock.now()
      }
      for (const callback of callbacks) answerFromCache(callback)
    })
  }

  function answerFromCache(callback: LookupCallback): void {
    if (address !== undefined) callback(null, address, family)
    else callback(failure?.error ?? new Error('DNS lookup pending'), '', family)
  }

  return {
    lookup(hostname, _options, callback) {
      const literal = isIP(hostname)
      if (literal) return callback(null, hostname, literal)
      const now = clock.now()
      if (address !== undefined) {
        callback(null, address, family)
        if (now - resolvedAt >= options.refreshMs && (!failure || now - failure.at >= options.retryMs)) {
          query(hostname)
        }
        return
      }
      if (failure && now - failure.at < options.retryMs) return answerFromCache(callback)
      query(hostname, callback)
    },
    get queries() {
      return queries
    },
  }
}
