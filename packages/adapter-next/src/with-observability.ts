import { OptionError } from '@vivr/core'
import { type FetchHandler, type ObserveFetchOptions, observeFetch } from '@vivr/core/node'
import { getObservability, type Observability } from './registry.js'

export interface WithObservabilityOptions extends ObserveFetchOptions {
  /** The route template, e.g. `/api/products/[id]`: the `route` tag, never the raw path. */
  route: string
}

/**
 * Wraps a route handler: request id, request context, `http.requests` / `http.request.duration` by route and
 * status, and a thrown error reported and answered with `{ error, requestId }`. Logger, metrics, reporter and
 * request-rate meter default to those registerObservability set up.
 */
export function withObservability<R extends Request, A extends unknown[]>(
  handler: FetchHandler<R, A>,
  options: WithObservabilityOptions,
): (request: R, ...rest: A) => Promise<Response> {
  if (typeof options?.route !== 'string' || !options.route.startsWith('/')) {
    throw new OptionError('route', options?.route, "a route template starting with '/'")
  }
  let bound:
    | { to: Observability | undefined; handle: (request: R, ...rest: A) => Promise<Response> }
    | undefined
  return (request, ...rest) => {
    // Resolved per process registration, not at import: `next build` imports routes without calling register().
    const current = getObservability()
    if (bound?.to !== current || !bound) {
      const handle = observeFetch(handler, options.route, {
        ...options,
        logger: options.logger ?? current?.logger,
        metrics: options.metrics ?? current?.metrics,
        reporter: options.reporter ?? current?.reporter,
        requestRate: options.requestRate ?? current?.requestRate,
      })
      bound = { to: current, handle }
    }
    return bound.handle(request, ...rest)
  }
}
