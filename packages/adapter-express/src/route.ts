import { UNMATCHED_ROUTE } from '@vivr/core'
import type { Request } from 'express'

export function pathOf(url: string): string {
  if (typeof url !== 'string') return ''
  const query = url.indexOf('?')
  return query < 0 ? url : url.slice(0, query)
}

/** What a tracked request's route was assigned, and the mount path of the router it matched in. */
interface Matched {
  route: unknown
  mountPath: string
}

/**
 * Kept beside the request, not on it: every property added to an Express request (a large object by then) cost a
 * few microseconds in profiles, where a WeakMap entry costs a fraction of one.
 */
const matched = new WeakMap<object, Matched>()

/**
 * `req.route` as an accessor that also records `req.baseUrl` whenever Express assigns it. Installed once, on the
 * request prototype every app of one Express copy shares (`app.request`'s own prototype): defining it on each
 * request cost some 2–8 µs and turned the request into a dictionary-mode object that every later property read
 * in Express paid for. `req.route` is then no own property of the request (Express only assigns and reads it).
 */
const TRACKED_ROUTE = {
  configurable: true,
  enumerable: true,
  get(this: object): unknown {
    return matched.get(this)?.route
  },
  set(this: Request, route: unknown) {
    matched.set(this, { route, mountPath: this.baseUrl ?? '' })
  },
}

const tracking = new WeakSet<object>()

/** The prototype Express requests of this request's Express copy share: the one below `app.request`. */
function sharedPrototype(req: Request): object | null {
  const appRequest: unknown = Object.getPrototypeOf(req)
  if (typeof appRequest !== 'object' || appRequest === null) return null
  const shared: unknown = Object.getPrototypeOf(appRequest)
  return typeof shared === 'object' && shared !== null && shared !== Object.prototype ? shared : null
}

/**
 * Makes `req.route` remember the mount path it matched under. Express assigns `req.route` when a route matches,
 * while `req.baseUrl` is still that route's router's mount path; it restores `req.baseUrl` as the request leaves
 * each router (the parent's mount path for the app's error handler, undefined in its final handler), so by the
 * time the response closes `req.baseUrl` no longer says where the route was.
 */
export function trackRoute(req: Request): void {
  try {
    if (Object.hasOwn(req, 'route')) {
      // Already assigned as a plain field (observe() as route middleware before the accessor was installed, or
      // something else defined it): this request gets an accessor of its own.
      matched.set(req, { route: req.route, mountPath: req.baseUrl ?? '' })
      Object.defineProperty(req, 'route', TRACKED_ROUTE)
      return
    }
    const shared = sharedPrototype(req)
    if (shared !== null && tracking.has(shared)) return
    const target = shared ?? req
    const own = Object.getOwnPropertyDescriptor(target, 'route')
    if (own === undefined || own.configurable === true) Object.defineProperty(target, 'route', TRACKED_ROUTE)
    if (shared !== null) tracking.add(shared)
  } catch {
    // A frozen or non-extensible request (or prototype), a Proxy: untracked, the route's mount path is guessed at
    // the end (routeOf), and the request goes on; observe() never fails a request over its own bookkeeping.
  }
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
  const mountPath = matched.get(req)?.mountPath
  const base =
    mountPath !== undefined
      ? mountPath
      : typeof path === 'string'
        ? guessMountPath(req, template)
        : (req.baseUrl ?? '')
  return template === '/' && base ? base : `${base}${template}`
}
