import { UNMATCHED_ROUTE } from '@vivr/core'
import type { Request } from 'express'

export function pathOf(url: string): string {
  const query = url.indexOf('?')
  return query < 0 ? url : url.slice(0, query)
}

function segments(path: string): number {
  let count = 0
  for (let i = 0; i < path.length; i++)
    if (path[i] === '/' && i + 1 < path.length && path[i + 1] !== '/') count++
  return count
}

/**
 * The mount path of the router whose route matched. `req.baseUrl` holds it while the request is inside that
 * router, but Express restores it when an error leaves the router for the app's error handler; the raw path
 * then has more segments than baseUrl + template, and the extra leading ones are the mount path.
 */
function mountPath(req: Request, template: string): string {
  const path = pathOf(req.originalUrl)
  const extra = segments(path) - segments(req.baseUrl) - segments(template)
  if (extra <= 0 || /[*?{}()[\]]/.test(template)) return req.baseUrl
  let end = 0
  for (let seen = 0; seen < segments(req.baseUrl) + extra; seen++) end = path.indexOf('/', end + 1)
  return end < 0 ? req.baseUrl : path.slice(0, end)
}

/** The template of the route that matched (`/api` + `/products/:id`), never the raw path; `unmatched` if none. */
export function routeOf(req: Request): string {
  const path: unknown = req.route?.path
  if (path === undefined) return UNMATCHED_ROUTE
  const template = Array.isArray(path) ? path.map(String).join('|') : String(path)
  const base = typeof path === 'string' ? mountPath(req, template) : req.baseUrl
  return template === '/' && base ? base : `${base}${template}`
}
