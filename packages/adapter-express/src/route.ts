import { UNMATCHED_ROUTE } from '@vivr/core'
import type { Request } from 'express'

const ROUTE = Symbol('vivr.route')
const BASE_URL = Symbol('vivr.route-base-url')
const tracked = new WeakSet<object>()
type Slots = { [ROUTE]?: { path?: unknown }; [BASE_URL]?: string; baseUrl: string }

function join(baseUrl: string, path: unknown): string {
  const template = Array.isArray(path) ? path.map(String).join('|') : String(path)
  return template === '/' && baseUrl ? baseUrl : `${baseUrl}${template}`
}

/**
 * Express 4 and 5 both do `req.route = route` on every match, while `req.baseUrl` still holds the mount path of
 * the matching router; it is restored when the request leaves that router (an error handled by the app, say).
 * An accessor on the app's request prototype (installed once) keeps the mount path as it was at the match.
 */
export function trackRouteTemplates(req: Request): void {
  const prototype: object = Object.getPrototypeOf(req)
  if (tracked.has(prototype)) return
  tracked.add(prototype)
  Object.defineProperty(prototype, 'route', {
    configurable: true,
    get(this: Slots) {
      return this[ROUTE]
    },
    set(this: Slots, route: { path?: unknown } | undefined) {
      this[ROUTE] = route
      this[BASE_URL] = this.baseUrl
    },
  })
}

/** The template of the route that matched (`/api` + `/products/:id`), never the raw path; `unmatched` if none. */
export function routeOf(req: Request): string {
  const path: unknown = req.route?.path
  if (path === undefined) return UNMATCHED_ROUTE
  return join((req as unknown as Slots)[BASE_URL] ?? req.baseUrl, path)
}
