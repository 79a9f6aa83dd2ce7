import { neverThrows } from '../guard.js'
import { randomIds, sourcedTrace, traceFromRequest } from '../node/trace-context.js'
import { mayHoldSecret, scrubSecrets } from '../scrub.js'
import { formatTraceparent, type TraceContext } from '../trace.js'
import { booleanOption, OptionError } from '../validate.js'
import { httpTags, METRIC } from '../vocabulary.js'
import { type ApiErrorDeps, handleApiError } from './api-error.js'
import { getContext, mergeContext, runInContext } from './context.js'
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
  /**
   * W3C Trace Context (docs/tracing.md#headers): read `traceparent` / `tracestate`, hold the request's trace in its
   * context (every log line inside carries `trace_id` and `span_id`) and answer `traceresponse`. `false` reads and
   * answers nothing (log lines still carry a tracer's ids when a trace source yields them).
   * @default true
   */
  traceContext?: boolean
}

/** One request as it arrives (HttpTelemetry.begin): its ids, the headers to answer with, its context. */
export interface ObservedRequest {
  readonly requestId: string
  /** The request's trace: the tracer's span when a trace source yields one, else from its headers. */
  readonly trace: Readonly<TraceContext> | undefined
  /** Set these on the response: the request id, and `traceresponse` (`00-<trace id>-<span id>-<flags>`). */
  readonly responseHeaders: ReadonlyArray<readonly [name: string, value: string]>
  /** Runs `fn` in the request context (request id and trace, over the context current when the request began). */
  run<T>(fn: () => T): T
  /** Call once, when the response is done: what `start()`'s function does, the access log line in the context. */
  finish(outcome: HttpRequestOutcome): void
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
  /**
   * Everything an adapter does when a request arrives, from a reader of its headers (lower-case names; any
   * value that is not a string counts as absent): the request id and the trace read (a malformed header is
   * ignored, never echoed), the headers to answer with, the request context to run in, and `finish`.
   */
  begin(header: (name: string) => unknown): ObservedRequest
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
  const traceContext = booleanOption('traceContext', options.traceContext) ?? true
  const ids = traceContext ? randomIds() : undefined
  const logs = logger.isLevelEnabled('info')
  const requestIdHeader = header.toLowerCase()
  const requestId = (incoming: unknown) =>
    typeof incoming === 'string' && isSafeRequestId(incoming) ? incoming : globalThis.crypto.randomUUID()
  const start = (requestId: string) => {
    requestRate?.mark()
    const startedAt = performance.now()
    return ({ method, route, statusCode, path }: HttpRequestOutcome) => {
      const duration = recordHttpRequest(
        metrics,
        { method, route, statusCode },
        performance.now() - startedAt,
      )
      if (!logs) return
      // Inside the request's own context (begin) the line has the id from there: scanned and written once.
      if (getContext()?.requestId === requestId)
        logger.info('request completed', { method, route, path, statusCode, duration })
      else logger.info('request completed', { method, route, path, statusCode, duration, requestId })
    }
  }
  return {
    requestIdHeader,
    requestId,
    start,
    begin(read) {
      const id = requestId(read(requestIdHeader))
      const trace = ids === undefined ? undefined : requestTrace(read, ids)
      const context = mergeContext(getContext(), { requestId: id }, trace)
      const done = start(id)
      const run = <T>(fn: () => T): T => runInContext(context, fn)
      return {
        requestId: id,
        trace,
        responseHeaders:
          trace === undefined
            ? [[requestIdHeader, id]]
            : [
                [requestIdHeader, id],
                ['traceresponse', formatTraceparent(trace)],
              ],
        run,
        finish: (outcome) => run(() => done(outcome)),
      }
    },
  } satisfies HttpTelemetry
}

/**
 * The trace a request runs in: a tracer's, when a registered source yields one as the request begins (its span
 * for this request, so the kit's ids and the tracer's agree), else a child of a valid incoming `traceparent`, else
 * a new trace. Frozen: it is what every log line of the request says.
 */
function requestTrace(
  read: (name: string) => unknown,
  ids: ReturnType<typeof randomIds>,
): Readonly<TraceContext> {
  const sourced = sourcedTrace()
  if (sourced !== undefined) {
    return Object.freeze({
      traceId: sourced.traceId,
      spanId: sourced.spanId,
      sampled: sourced.sampled ?? true,
    })
  }
  let traceparent: unknown
  let tracestate: unknown
  try {
    traceparent = read('traceparent')
    tracestate = traceparent === undefined || traceparent === null ? undefined : read('tracestate')
  } catch {
    traceparent = undefined
  }
  return Object.freeze(traceFromRequest(traceparent, tracestate, ids))
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
    const observed = http.begin((name) => request.headers.get(name))
    const { requestId } = observed
    return observed.run(async () => {
      let response: Response
      try {
        response = await handler(request, ...rest)
      } catch (error) {
        const userId = getContext()?.userId
        const body = handleApiError(error, { route, requestId, userId }, deps)
        response = Response.json(body, { status: errorStatus(error) })
      }
      response = withHeaders(response, observed.responseHeaders)
      const done = (statusCode: number) =>
        observed.finish({ method: request.method, route, statusCode, path: pathnameOf(request.url) })
      return recordWhenSent(response, done)
    })
  }
}

/** The response with these headers set; a response from Response.redirect() or fetch() is immutable: copied then. */
function withHeaders(response: Response, headers: ObservedRequest['responseHeaders']): Response {
  if (headers.every(([name, value]) => safeSetHeader(response.headers, name, value))) return response
  const copy = new Response(response.body, response)
  for (const [name, value] of headers) copy.headers.set(name, value)
  return copy
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
