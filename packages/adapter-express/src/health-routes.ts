import { type Health, type HealthHandler, healthEndpoints, OptionError } from '@vivr/core'
import { neverThrows } from '@vivr/core/internal'
import express, { type Request, type Response, type Router } from 'express'

export interface HealthRoutesOptions {
  /** Base path; `/live`, `/ready` and `/startup` hang below it. @default '/health' */
  path?: string
  /** Add the routes to this router instead of a new `express.Router()`. */
  router?: Router
}

/**
 * `GET <path>` (all checks), `<path>/live`, `<path>/ready` and `<path>/startup` (Kubernetes' startup probe),
 * answered by core's handlers (docs/health.md#endpoints).
 */
export function healthRoutes(health: Health, options: HealthRoutesOptions = {}): Router {
  const path = options.path ?? '/health'
  if (typeof path !== 'string' || !/^\/(.*[^/])?$/.test(path)) {
    throw new OptionError('path', path, "a path starting with '/' and not ending with '/'")
  }
  const endpoints = healthEndpoints(health)
  const router = options.router ?? express.Router()
  const route = (handler: HealthHandler) => (req: Request, res: Response, next: (error: unknown) => void) => {
    Promise.resolve()
      .then(() => handler(toWebRequest(req)))
      .then((response) => sendWebResponse(res, response))
      // A throw from `next` here would be an unhandled rejection, which ends the process.
      .catch(neverThrows(next))
  }
  const base = path === '/' ? '' : path
  router.get(path, route(endpoints.health))
  router.get(`${base}/live`, route(endpoints.live))
  router.get(`${base}/ready`, route(endpoints.ready))
  router.get(`${base}/startup`, route(endpoints.startup))
  return router
}

function toWebRequest(req: Request): globalThis.Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(':') || value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item)
  }
  let url: URL
  try {
    url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`)
  } catch {
    url = new URL(req.originalUrl, 'http://localhost')
  }
  return new globalThis.Request(url, { method: req.method, headers })
}

async function sendWebResponse(res: Response, response: globalThis.Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer())
  res.status(response.status)
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value)
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) res.setHeader('set-cookie', cookies)
  res.end(body)
}
