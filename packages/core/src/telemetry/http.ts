import { neverThrows } from '../guard.js'
import { mayHoldSecret, scrubSecrets } from '../scrub.js'
import { OptionError } from '../validate.js'
import { httpTags, METRIC } from '../vocabulary.js'
import { type ApiErrorDeps, handleApiError } from './api-error.js'
import { getContext, withContext } from './context.js'
import { type ErrorReporter, noopReporter } from './errors.js'
import { type Logger, noopLogger } from './log-types.js'
import { type MetricSink, noopMetrics } from './metrics.js'
import { CLIENT_CLOSED_REQUEST, errorStatus } from './routes.js'

/** What a framework adapter knows about one finished request. */
export interface HttpRequestOutcome {
  method: string
  /** The route template (`/products/:id`), never the raw path; `unmatched` when no route matched. */
  route: string
  statusCode: number
  /** The raw path, for the access log only (never a metric tag). */
  path?: string
}

export interface HttpTelemetryOptions {
  logger?: Logger
  metrics?: MetricSink
  /** Marked once per request; pass `health.requestRate` so health reports a real `requestsPerSecond`. */
  requestRate?: { mark(): void }
  /** Carries the request id in and out. @default 'x-request-id' */
  requestIdHeader?: string
}

export interface HttpTelemetry {
  /** Lower-cased header name. */
  readonly requestIdHeader: string
  /** The incoming id when it is safe to echo and log (1–128 of `A-Za-z0-9._:@/+=-`), else a new UUID. */
  requestId(incoming: string | null | undefined): string
  /**
   * Call when a request arrives: marks the request-rate meter and returns `finish`, to call once when the
   * response is done. `finish` counts `http.requests`, times `http.request.duration` (both tagged
   * `{ method, route, status_code }`), counts `errors.count` for 5xx, and writes one INFO access-log line.
   */
  start(requestId: string): (outcome: HttpRequestOutcome) => void
}

const SAFE_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/

/** Echoed and logged as it came only when short, plain, and not a secret (a `sk_live_…` key is not an id). */
function isSafeRequestId(incoming: string | null | undefined): incoming is string {
  if (typeof incoming !== 'string' || !SAFE_REQUEST_ID.test(incoming)) return false
  return !mayHoldSecret(incoming) || scrubSecrets(incoming, SAFE_ID_LENGTH) === incoming
}
const SAFE_ID_LENGTH = 128

export function createHttpTelemetry(options: HttpTelemetryOptions = {}): HttpTelemetry {
  const logger = options.logger ?? noopLogger
  const metrics = options.metrics ?? noopMetrics
  const requestRate = options.requestRate
  const header = options.requestIdHeader ?? 'x-request-id'
  if (typeof header !== 'string' || !/^[!#$%&'*+.^`|~\w-]+$/.test(header)) {
    throw new OptionError('requestIdHeader', header, 'an HTTP header name')
  }
  const logs = logger.isLevelEnabled('info')
  return {
    requestIdHeader: header.toLowerCase(),
    requestId: (incoming) => (isSafeRequestId(incoming) ? incoming : globalThis.crypto.randomUUID()),
    start(requestId) {
      requestRate?.mark()
      const startedAt = performance.now()
      return ({ method, route, statusCode, path }) => {
        const duration = recordHttpRequest(
          metrics,
          { method, route, statusCode },
          performance.now() - startedAt,
        )
        if (logs) logger.info('request completed', { method, route, path, statusCode, duration, requestId })
      }
    },
  } satisfies HttpTelemetry
}

/**
 * Counts one request that has finished: `http.requests`, `http.request.duration` (milliseconds, rounded to
 * 0.01) and, for a 5xx, `errors.count`, all tagged `{ method, route, status_code }`. For adapters that learn of a
 * request only once it is over (Next.js's request spans); `createHttpTelemetry().start()` records through it
 * too. Returns the rounded duration.
 */
export function recordHttpRequest(
  metrics: MetricSink,
  outcome: Pick<HttpRequestOutcome, 'method' | 'route' | 'statusCode'>,
  durationMs: number,
): number {
  const duration = Math.round(durationMs * 100) / 100
  const tags = httpTags(outcome.method, outcome.route, outcome.statusCode)
  metrics.increment(METRIC.httpRequests, 1, tags)
  metrics.timing(METRIC.httpRequestDuration, duration, tags)
  if (outcome.statusCode >= 500) metrics.increment(METRIC.errors, 1, tags)
  return duration
}

export interface ObserveFetchOptions extends HttpTelemetryOptions {
  reporter?: ErrorReporter
  /** 'production' keeps error messages out of responses. @default process.env.NODE_ENV */
  environment?: string
  levelFor?: ApiErrorDeps['levelFor']
}

export type FetchHandler<R extends Request = Request, A extends unknown[] = unknown[]> = (
  request: R,
  ...rest: A
) => Response | Promise<Response>

/**
 * Wraps a Web `Request → Response` handler for one route template: request id in and out, request context for
 * every log line inside, request metrics and access log, and a thrown error answered with handleApiError's
 * `{ error, requestId }` and the error's status.
 */
export function observeFetch<R extends Request, A extends unknown[]>(
  handler: FetchHandler<R, A>,
  route: string,
  options: ObserveFetchOptions = {},
): (request: R, ...rest: A) => Promise<Response> {
  const http = createHttpTelemetry(options)
  const deps: ApiErrorDeps = {
    reporter: options.reporter ?? noopReporter,
    logger: options.logger ?? noopLogger,
    environment: options.environment,
    levelFor: options.levelFor,
  }
  return (request, ...rest) => {
    const requestId = http.requestId(request.headers.get(http.requestIdHeader))
    const finish = http.start(requestId)
    return withContext({ requestId }, async () => {
      let response: Response
      try {
        response = await handler(request, ...rest)
      } catch (error) {
        const userId = getContext()?.userId
        const body = handleApiError(error, { route, requestId, userId }, deps)
        response = Response.json(body, { status: errorStatus(error) })
      }
      // A response from Response.redirect() or fetch() has immutable headers: copy it only then.
      if (!safeSetHeader(response.headers, http.requestIdHeader, requestId)) {
        response = new Response(response.body, response)
        response.headers.set(http.requestIdHeader, requestId)
      }
      const done = (statusCode: number) =>
        finish({ method: request.method, route, statusCode, path: pathnameOf(request.url) })
      return recordWhenSent(response, done)
    })
  }
}

function pathnameOf(url: string): string {
  try {
    return new URL(url).pathname
  } catch {
    return '/'
  }
}

/**
 * Calls `done` once, when the response has really been sent: at once for a response without a body, else when
 * its body ends (the response's status), fails after the headers went out (500: the client got a cut response)
 * or is cancelled because the client left (499). A streamed response is timed to its last byte, not its headers.
 */
function recordWhenSent(response: Response, done: (statusCode: number) => void): Response {
  const body = response.body
  if (body === null) {
    done(response.status)
    return response
  }
  let recorded = false
  const record = neverThrows((statusCode: number) => {
    if (recorded) return
    recorded = true
    done(statusCode)
  })
  const reader = body.getReader()
  const watched = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read()
        if (chunk.done) {
          controller.close()
          record(response.status)
        } else {
          controller.enqueue(chunk.value)
        }
      } catch (error) {
        record(500)
        controller.error(error)
      }
    },
    cancel(reason) {
      record(CLIENT_CLOSED_REQUEST)
      return reader.cancel(reason)
    },
  })
  return new Response(watched, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}

function safeSetHeader(headers: Headers, name: string, value: string): boolean {
  try {
    headers.set(name, value)
    return true
  } catch {
    return false
  }
}
