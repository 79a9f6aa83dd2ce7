import { CLIENT_CLOSED_REQUEST } from '@vivr/core'
import { neverThrows } from '@vivr/core/internal'
import { createHttpTelemetry, type HttpTelemetryOptions } from '@vivr/core/node'
import type { Request, RequestHandler, Response } from 'express'
import { pathOf, routeOf, trackRoute } from './route.js'

export type ObserveOptions = HttpTelemetryOptions

/** A response the server cut short (an error after its headers were sent, `res.destroy()`): a truncated body. */
const SERVER_ABORTED = 500

/** The status the request is counted with: what was sent if it finished, else who ended the connection. */
function statusOf(req: Request, res: Response): number {
  if (res.writableFinished) return res.statusCode
  // The client's side ended (FIN) or reset; a cut by the server (Express's final handler after an error,
  // res.destroy()) leaves the socket's readable side open, or errors the response itself.
  const socket = req.socket
  const clientLeft = socket?.readableEnded || (socket?.errored != null && res.errored == null)
  return clientLeft ? CLIENT_CLOSED_REQUEST : SERVER_ABORTED
}

/**
 * Request id and W3C trace context in and out (`x-request-id`, `traceparent` → `traceresponse`), the rest of the
 * request inside core's request context, the request-rate meter, and on completion `http.requests`,
 * `http.request.duration` and `errors.count` by route template plus one access log.
 */
export function observe(options: ObserveOptions = {}): RequestHandler {
  const http = createHttpTelemetry(options)
  return (req, res, next) => {
    const request = http.begin((name) => req.headers[name])
    for (const [name, value] of request.responseHeaders) res.setHeader(name, value)
    trackRoute(req)
    // 'close' comes once per response, finished or not, so `on` is enough (and cheaper than `once`). The
    // listener runs outside any try/catch of Express's: a throw from it would end the process.
    res.on(
      'close',
      neverThrows(() => {
        const route = routeOf(req)
        request.finish({
          method: req.method,
          route,
          statusCode: statusOf(req, res),
          path: pathOf(req.originalUrl),
        })
      }),
    )
    request.run(next)
  }
}
