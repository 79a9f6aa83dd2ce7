import { type Health, type HealthHandler, healthEndpoints } from '@vivr/core'

/**
 * Route handlers over core's health handlers. In the route file, also export the segment config
 * `export const dynamic = 'force-dynamic'` and `export const runtime = 'nodejs'` (Next.js reads it statically).
 */
export function createHealthRoute(health: Health): { GET: HealthHandler } {
  return { GET: healthEndpoints(health).health }
}

/** `app/api/health/live/route.ts`: checks tagged `live` (usually none): 200 unless the process is broken. */
export function createLiveRoute(health: Health): { GET: HealthHandler } {
  return { GET: healthEndpoints(health).live }
}

/**
 * `app/api/health/ready/route.ts`: checks tagged `ready`, or all when none is; 503 while marked not ready,
 * blocked by a task, or shutting down.
 */
export function createReadyRoute(health: Health): { GET: HealthHandler } {
  return { GET: healthEndpoints(health).ready }
}

/** `app/api/health/startup/route.ts`, for Kubernetes' startup probe: 503 until every critical check passed once. */
export function createStartupRoute(health: Health): { GET: HealthHandler } {
  return { GET: healthEndpoints(health).startup }
}
