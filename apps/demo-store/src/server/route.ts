import { type FetchHandler, observeFetch } from '@vivr/core'
import { getServices } from './runtime.js'

/**
 * A Next.js route handler with the kit's request telemetry: request id in and out, request context on every log
 * line, `http.requests` / `http.request.duration` / `api.response_time` by route template, a thrown error
 * answered `{ error, requestId }` and reported, and shutdown waiting for it to finish.
 */
export function route<R extends Request, A extends unknown[]>(template: string, handler: FetchHandler<R, A>) {
  let observed: ((request: R, ...rest: A) => Promise<Response>) | undefined
  return async (request: R, ...rest: A): Promise<Response> => {
    const services = getServices()
    observed ??= observeFetch(handler, template, {
      logger: services.logger,
      metrics: services.metrics,
      requestRate: services.health.requestRate,
      reporter: services.reporter,
      environment: services.config.environment,
    })
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

/** 303 to a path of this site, so a form post lands on a page. */
export function redirectTo(request: Request, path: string, headers: Record<string, string> = {}): Response {
  return new Response(null, {
    status: 303,
    headers: { location: new URL(path, request.url).href, ...headers },
  })
}
