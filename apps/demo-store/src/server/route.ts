import { withObservability } from '@vivr/adapter-next'
import type { FetchHandler } from '@vivr/core/node'
import { getServices } from './runtime.js'

/**
 * A Next.js route handler observed by @vivr/adapter-next (request id in and out, request context on every log
 * line, `http.requests` / `http.request.duration` by route template, a thrown error answered `{ error,
 * requestId }` and reported), plus `api.response_time`, and shutdown waiting for it to finish.
 */
export function route<R extends Request, A extends unknown[]>(template: string, handler: FetchHandler<R, A>) {
  const observed = withObservability(handler, { route: template })
  return async (request: R, ...rest: A): Promise<Response> => {
    const services = getServices()
    const done = services.beginRequest()
    const started = performance.now()
    try {
      return await observed(request, ...rest)
    } finally {
      services.technical.apiResponseTime(performance.now() - started, { route: template })
      done()
    }
  }
}

/**
 * 303 to a path of this site, so a form post lands on a page. The location stays relative: behind a proxy, or
 * on 127.0.0.1 vs localhost, the server's idea of its own origin may not be the browser's (and the cart cookie
 * belongs to the browser's).
 */
export function redirectTo(path: string, headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 303, headers: { location: path, ...headers } })
}
