import type { Health, HealthHandler } from '../health/health.js'
import { OptionError } from '../validate.js'

/** The route tag of a request no route pattern matched. */
export const UNMATCHED_ROUTE = 'unmatched'

/** Statuses of responses whose client went away before they were sent (nginx's convention). */
export const CLIENT_CLOSED_REQUEST = 499

/** An error's own HTTP status (`status` or `statusCode`, 400–599, as http-errors and most frameworks set), else 500. */
export function errorStatus(error: unknown): number {
  if (typeof error !== 'object' || error === null) return 500
  let status: unknown
  try {
    status = Reflect.get(error, 'status') ?? Reflect.get(error, 'statusCode')
  } catch {
    return 500
  }
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599
    ? status
    : 500
}

/**
 * The four health endpoints every adapter mounts (docs/health.md#endpoints): all checks; `live` (checks tagged
 * `live`: usually none, so 200 unless the process is broken; never depends on the phase); `ready` (checks tagged
 * `ready`, or all checks when none is, and the phase must be `ready`); `startup` (503 until every critical check
 * has passed once).
 */
export function healthEndpoints(health: Health): {
  health: HealthHandler
  live: HealthHandler
  ready: HealthHandler
  startup: HealthHandler
} {
  return {
    health: health.handler,
    live: health.handlerFor({ tags: ['live'] }),
    ready: health.readinessHandler,
    startup: health.startupHandler,
  }
}

interface Segment {
  kind: 'static' | 'param' | 'catchAll' | 'optionalCatchAll'
  text: string
}

function parsePattern(pattern: string): Segment[] {
  return pattern
    .split('/')
    .filter(Boolean)
    .map((text): Segment => {
      if (/^\[\[\.\.\.[^\]]+\]\]$/.test(text)) return { kind: 'optionalCatchAll', text }
      if (/^\[\.\.\.[^\]]+\]$/.test(text) || text === '*' || /^:\w+\*$/.test(text))
        return { kind: 'catchAll', text }
      if (/^\[[^\]]+\]$/.test(text) || /^:\w+$/.test(text)) return { kind: 'param', text }
      return { kind: 'static', text }
    })
}

function matches(segments: Segment[], parts: string[]): boolean {
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    if (segment.kind === 'optionalCatchAll') return true
    if (segment.kind === 'catchAll') return parts.length > i
    const part = parts[i]
    if (part === undefined || (segment.kind === 'static' && segment.text !== part)) return false
  }
  return parts.length === segments.length
}

/** Static segments first, then parameters, catch-alls last: `/products/new` wins over `/products/[id]`. */
function specificity(segments: Segment[]): number[] {
  const rank = { static: 0, param: 1, catchAll: 2, optionalCatchAll: 3 }
  return segments.map((s) => rank[s.kind])
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1)
    if (diff !== 0) return diff
  }
  return 0
}

/**
 * Maps a raw path to the route pattern it belongs to, for metric tags. Patterns use Next.js (`[id]`,
 * `[...slug]`, `[[...slug]]`) or Express (`:id`, `*`) segments; the most specific match wins.
 */
export function createRouteMatcher(patterns: readonly string[]): (pathname: string) => string | undefined {
  if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string' || !p.startsWith('/'))) {
    throw new OptionError('routes', patterns, "an array of route patterns starting with '/'")
  }
  const compiled = patterns
    .map((pattern) => ({ pattern, segments: parsePattern(pattern) }))
    .sort((a, b) => compare(specificity(a.segments), specificity(b.segments)))
  return (pathname) => {
    const parts = pathname.split('/').filter(Boolean)
    return compiled.find((route) => matches(route.segments, parts))?.pattern
  }
}

const ID_SEGMENT =
  /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|[\w-]{32,})$/i

/** Without known routes: ids (numbers, UUIDs, long hex or tokens) become `[id]`, so `/orders/812` → `/orders/[id]`. */
export function normalizePath(pathname: string, placeholder = '[id]'): string {
  const path = pathname.split('?')[0] ?? ''
  const normalized = path
    .split('/')
    .map((segment) => (ID_SEGMENT.test(segment) ? placeholder : segment))
    .join('/')
  return normalized === '' ? '/' : normalized
}
