import { UNMATCHED_ROUTE } from '@vivr/core'
import type { Request } from 'express'

export function pathOf(url: string): string {
  if (typeof url !== 'string') return ''
  const query = url.indexOf('?')
  return query < 0 ? url : url.slice(0, query)
}

/** Where a tracked request keeps its matched route, and the mount path of the router it matched in. */
const ROUTE = Symbol.for('@vivr/adapter-express/route')
const MOUNT_PATH = Symbol.for('@vivr/adapter-express/mountPath')
type Tracked = Request & { [ROUTE]?: unknown; [MOUNT_PATH]?: string }

/**
 * `req.route` as an accessor that also records `req.baseUrl` whenever Express assigns it. One descriptor for
 * every request, so V8 shares the objects' shape (a closure per request costs some 30 times more), and plain
 * symbol properties (Reflect.get/set on these objects are slower still).
 */
const TRACKED_ROUTE = {
  configurable: true,
  enumerable: true,
  get(this: Tracked): unknown {
    return this[ROUTE]
  },
  set(this: Tracked, route: unknown) {
    this[ROUTE] = route
    this[MOUNT_PATH] = this.baseUrl ?? ''
  },
}

/**
 * Makes `req.route` remember the mount path it matched under. Express assigns `req.route` when a route matches,
 * while `req.baseUrl` is still that route's router's mount path; it restores `req.baseUrl` as the request leaves
 * each router (the parent's mount path for the app's error handler, undefined in its final handler), so by the
 * time the response closes `req.baseUrl` no longer says where the route was.
 */
export function trackRoute(req: Request): void {
  const tracked: Tracked = req
  tracked[ROUTE] = req.route
  tracked[MOUNT_PATH] = req.baseUrl ?? ''
  Object.defineProperty(req, 'route', TRACKED_ROUTE)
}

function segments(path: string): number {
  let count = 0
  for (let i = 0; i < path.length; i++)
    if (path[i] === '/' && i + 1 < path.length && path[i + 1] !== '/') count++
  return count
}

/**
 * Without trackRoute (errorHandler used without observe): the mount path guessed while the request is still in
 * the app's router. The raw path has more segments than baseUrl + template when an error left a sub-router for
 * the app's error handler, and the extra leading ones are the mount path.
 */
function guessMountPath(req: Request, template: string): string {
  const baseUrl = typeof req.baseUrl === 'string' ? req.baseUrl : ''
  const path = pathOf(req.originalUrl)
  const extra = segments(path) - segments(baseUrl) - segments(template)
  if (extra <= 0 || /[*?{}()[\]]/.test(template)) return baseUrl
  let end = 0
  for (let seen = 0; seen < segments(baseUrl) + extra; seen++) end = path.indexOf('/', end + 1)
  return end < 0 ? baseUrl : path.slice(0, end)
}

/** The template of the route that matched (`/api` + `/products/:id`), never the raw path; `unmatched` if none. */
export function routeOf(req: Request): string {
  const path: unknown = req.route?.path
  if (path === undefined) return UNMATCHED_ROUTE
  const template = Array.isArray(path) ? path.map(String).join('|') : String(path)
  const tracked: Tracked = req
  const mountPath = tracked[MOUNT_PATH]
  const base =
    mountPath !== undefined
      ? mountPath
      : typeof path === 'string'
        ? guessMountPath(req, template)
        : (req.baseUrl ?? '')
  return template === '/' && base ? base : `${base}${template}`
}
