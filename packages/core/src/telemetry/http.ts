import { neverThrows } from '../guard.js'
import type { Health, HealthHandler } from '../health/health.js'
import { mayHoldSecret, scrubSecrets } from '../scrub.js'
import { OptionError } from '../validate.js'
import { type ApiErrorDeps, handleApiError } from './api-error.js'
import { getContext, withContext } from './context.js'
import { type ErrorReporter, noopReporter } from './errors.js'
import { type Logger, noopLogger } from './log-types.js'
import { type MetricSink, noopMetrics } from './metrics.js'

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

export const UNMATCHED_ROUTE = 'unmatched'
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
        const duration = Math.round((performance.now() - startedAt) * 100) / 100
        const tags = { method, route, status_code: statusCode }
        metrics.increment('http.requests', 1, tags)
        metrics.timing('http.request.duration', duration, tags)
        if (statusCode >= 500) metrics.increment('errors.count', 1, tags)
        if (logs) logger.info('request completed', { method, route, path, statusCode, duration, requestId })
      }
    },
  } satisfies HttpTelemetry
}

/** An error's own HTTP status (`status` or `statusCode`, 400–599, as http-errors and most frameworks set), else 500. */
export function errorStatus(error: unknown): number {
  if (typeof error !== 'object' || error === null) return 500
  let status: unknown
  try {
    status = Reflect.get(error, 'status') ?? Reflect.get(error, 'statusCode')
  } catch {
    return 500
  }
  return typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599
    ? status
    : 500
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

/** Statuses of responses whose client went away before they were sent (nginx's convention). */
export const CLIENT_CLOSED_REQUEST = 499

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

/**
 * The three health endpoints every adapter mounts: all checks; `live` (checks tagged `live`: usually none, so
 * 200 unless the process is broken); `ready` (checks tagged `ready` — or, when no check carries that tag, all
 * checks, where under the default policy only a critical one turns the answer into 503).
 */
export function healthEndpoints(health: Health): {
  health: HealthHandler
  live: HealthHandler
  ready: HealthHandler
} {
  return {
    health: health.handler,
    live: health.handlerFor({ tags: ['live'] }),
    ready: health.tags.includes('ready') ? health.handlerFor({ tags: ['ready'] }) : health.handler,
  }
}

interface Segment {
  kind: 'static' | 'param' | 'catchAll' | 'optionalCatchAll'
  text: string
}

function parsePattern(pattern: string): Segment[] {
  return pattern
    .split('/')
    .filter(Boolean)
    .map((text): Segment => {
      if (/^\[\[\.\.\.[^\]]+\]\]$/.test(text)) return { kind: 'optionalCatchAll', text }
      if (/^\[\.\.\.[^\]]+\]$/.test(text) || text === '*' || /^:\w+\*$/.test(text))
        return { kind: 'catchAll', text }
      if (/^\[[^\]]+\]$/.test(text) || /^:\w+$/.test(text)) return { kind: 'param', text }
      return { kind: 'static', text }
    })
}

function matches(segments: Segment[], parts: string[]): boolean {
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!
    if (segment.kind === 'optionalCatchAll') return true
    if (segment.kind === 'catchAll') return parts.length > i
    const part = parts[i]
    if (part === undefined || (segment.kind === 'static' && segment.text !== part)) return false
  }
  return parts.length === segments.length
}

/** Static segments first, then parameters, catch-alls last: `/products/new` wins over `/products/[id]`. */
function specificity(segments: Segment[]): number[] {
  const rank = { static: 0, param: 1, catchAll: 2, optionalCatchAll: 3 }
  return segments.map((s) => rank[s.kind])
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1)
    if (diff !== 0) return diff
  }
  return 0
}

/**
 * Maps a raw path to the route pattern it belongs to, for metric tags. Patterns use Next.js (`[id]`,
 * `[...slug]`, `[[...slug]]`) or Express (`:id`, `*`) segments; the most specific match wins.
 */
export function createRouteMatcher(patterns: readonly string[]): (pathname: string) => string | undefined {
  if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string' || !p.startsWith('/'))) {
    throw new OptionError('routes', patterns, "an array of route patterns starting with '/'")
  }
  const compiled = patterns
    .map((pattern) => ({ pattern, segments: parsePattern(pattern) }))
    .sort((a, b) => compare(specificity(a.segments), specificity(b.segments)))
  return (pathname) => {
    const parts = pathname.split('/').filter(Boolean)
    return compiled.find((route) => matches(route.segments, parts))?.pattern
  }
}

const ID_SEGMENT =
  /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|[\w-]{32,})$/i

/** Without known routes: ids (numbers, UUIDs, long hex or tokens) become `[id]`, so `/orders/812` → `/orders/[id]`. */
export function normalizePath(pathname: string, placeholder = '[id]'): string {
  const path = pathname.split('?')[0] ?? ''
  const normalized = path
    .split('/')
    .map((segment) => (ID_SEGMENT.test(segment) ? placeholder : segment))
    .join('/')
  return normalized === '' ? '/' : normalized
}
