import { createHttpTelemetry, type HttpTelemetryOptions, withContext } from '@vivr/core'
import type { RequestHandler } from 'express'
import { pathOf, routeOf } from './route.js'

export type ObserveOptions = HttpTelemetryOptions

/** Statuses of responses whose client went away before they were sent (nginx's convention). */
const CLIENT_CLOSED_REQUEST = 499

/**
 * Request id in and out, the rest of the request inside core's request context, the request-rate meter, and
 * on completion `http.requests`, `http.request.duration` and `errors.count` by route template plus one access log.
 */
export function observe(options: ObserveOptions = {}): RequestHandler {
  const http = createHttpTelemetry(options)
  return (req, res, next) => {
    const requestId = http.requestId(req.get(http.requestIdHeader))
    const finish = http.start(requestId)
    res.setHeader(http.requestIdHeader, requestId)
    // 'close' comes once per response, finished or not, so `on` is enough (and cheaper than `once`).
    res.on('close', () => {
      const statusCode = res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST
      finish({ method: req.method, route: routeOf(req), statusCode, path: pathOf(req.originalUrl) })
    })
    withContext({ requestId }, next)
  }
}
