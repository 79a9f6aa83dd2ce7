import { createRouteMatcher, type MetricSink, normalizePath, UNMATCHED_ROUTE } from '@vivr/core'
import { getObservability } from './registry.js'

export interface CountRequestsOptions {
  /** Route patterns (`/products/[id]`); a path matching none counts as `unmatched`. @default none: ids in paths become `[id]` */
  routes?: readonly string[]
  /** @default the metrics registerObservability set up */
  metrics?: MetricSink
}

/**
 * For proxy.ts: counts `http.requests` tagged `{ endpoint, method }` (the guide's middleware metric) with the
 * endpoint as a route pattern, never the raw path. Returns nothing, so the request continues. Exclude routes
 * wrapped by withObservability (`/api`) in `config.matcher`, or they are counted twice.
 */
export function countRequests(options: CountRequestsOptions = {}): (request: Request) => void {
  const match = options.routes ? createRouteMatcher(options.routes) : undefined
  return (request) => {
    try {
      const metrics = options.metrics ?? getObservability()?.metrics
      if (!metrics) return
      const pathname = new URL(request.url).pathname
      const endpoint = match ? (match(pathname) ?? UNMATCHED_ROUTE) : normalizePath(pathname)
      metrics.increment('http.requests', 1, { endpoint, method: request.method })
    } catch {
      // Counting must never fail the request it counts.
    }
  }
}
