import { connect } from 'node:net'
import type { ErrorReporter, Logger, MetricSink } from '@vivr/core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { memoryLogger } from './memory-logger.js'
import { memoryMetrics } from './memory-metrics.js'
import { memoryReporter } from './memory-reporter.js'

/** What a contract route does; each implementation does it its framework's way. */
export type HttpContractBehaviour =
  /** Answers `body` as JSON with `status`. */
  | { kind: 'json'; status: number; body: Record<string, unknown> }
  /** Hands the request on (Express: `next()`), so it ends in the framework's not-found answer. */
  | { kind: 'pass' }
  /** Fails before answering (Express: `next(error)`; a fetch handler: throws). */
  | { kind: 'fail'; error: Error }
  /**
   * Sends `chunks` with `contentType`, each flushed on its own, `intervalMs` apart; then ends the response
   * ('end'), fails with `error` (Express: `next(error)`; a stream: errors), or keeps it open until the client
   * goes away ('hold'), then stops.
   */
  | HttpContractStream

export type HttpContractStream = {
  kind: 'stream'
  contentType: string
  chunks: readonly string[]
  intervalMs: number
} & ({ ending: 'end' | 'hold' } | { ending: 'fail'; error: Error })

export interface HttpContractRoute {
  /** `GET` only. Static segments and one `:id` parameter, e.g. `/contract/items/:id`. */
  path: string
  does: HttpContractBehaviour
}

export interface HttpContractApp {
  logger: Logger
  metrics: MetricSink
  reporter: ErrorReporter
  routes: readonly HttpContractRoute[]
  /**
   * Mount the kit's error handler after the routes (Express: `errorHandler({ reporter, logger })`). A wrapper
   * that answers errors itself (withObservability) has nothing more to mount: it ignores this.
   */
  errorHandler: boolean
}

export interface HttpContractServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  close(): Promise<void>
}

export interface HttpAdapterHarness {
  /** Starts a real HTTP server on 127.0.0.1, the routes mounted and observed with these sinks. */
  start(app: HttpContractApp): Promise<HttpContractServer>
  /** The `route` tag the implementation records for a contract path. @default the path itself (`/items/:id`) */
  routeTemplate?(path: string): string
  /** Whether a route can hand a request on (`next()`). @default true; false for Next.js route handlers */
  fallThrough?: boolean
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const SECRET_KEY = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWc'
/** Time for a request's telemetry to arrive after the client is done; generous for a loaded machine. */
const SETTLE_MS = 3000
/** After the first count arrives: long enough for a second one to show up if there were one. */
const GRACE_MS = 40

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const ROUTES = {
  items: { path: '/contract/items/:id', does: { kind: 'json', status: 201, body: { ok: true } } },
  pass: { path: '/contract/pass/:id', does: { kind: 'pass' } },
  fail: { path: '/contract/fail/:id', does: { kind: 'fail', error: new Error('contract route failed') } },
  stream: {
    path: '/contract/stream/:id',
    does: {
      kind: 'stream',
      contentType: 'text/plain; charset=utf-8',
      chunks: ['one\n', 'two\n', 'three\n'],
      intervalMs: 30,
      ending: 'end',
    },
  },
  lateFail: {
    path: '/contract/late-fail/:id',
    does: {
      kind: 'stream',
      contentType: 'text/plain; charset=utf-8',
      chunks: ['partial\n'],
      intervalMs: 10,
      ending: 'fail',
      error: new Error('failed after the headers were sent'),
    },
  },
  events: {
    path: '/contract/events/:id',
    does: {
      kind: 'stream',
      contentType: 'text/event-stream',
      chunks: ['data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n'],
      intervalMs: 20,
      ending: 'end',
    },
  },
  live: {
    path: '/contract/live/:id',
    does: {
      kind: 'stream',
      contentType: 'text/event-stream',
      chunks: ['data: hello\n\n'],
      intervalMs: 10,
      ending: 'hold',
    },
  },
} satisfies Record<string, HttpContractRoute>

interface RawResponse {
  /** 0 when the server closed the connection without an answer. */
  status: number
  headers: Record<string, string>
}

/** One request over a raw socket, so header bytes fetch() refuses to send (CR, LF, non-ASCII) go out as written. */
function rawGet(url: string, path: string, headerLines: readonly Buffer[]): Promise<RawResponse> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    const received: Buffer[] = []
    socket.setTimeout(SETTLE_MS, () => socket.destroy(new Error(`no answer to ${path}`)))
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(received).toString('latin1')
      const [head = ''] = text.split('\r\n\r\n')
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers })
    })
    const host = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n`)
    const lines = headerLines.flatMap((line) => [line, Buffer.from('\r\n')])
    socket.end(Buffer.concat([host, ...lines, Buffer.from('\r\n')]))
  })
}

const header = (value: string | Buffer) =>
  Buffer.concat([
    Buffer.from('x-request-id: '),
    typeof value === 'string' ? Buffer.from(value, 'latin1') : value,
  ])

interface HostileId {
  name: string
  lines: Buffer[]
  /** 'echo': sent back as it came; 'fresh': replaced by a new UUID; 'secret': must reach no log line. */
  expect: 'echo' | 'fresh' | 'secret'
  /** Node's HTTP parser may refuse the request before any framework sees it (400, or the connection closed). */
  mayBeRefused?: boolean
}

const LONGEST_SAFE = 'trace-0123456789abcdef-'.repeat(6).slice(0, 128)

const HOSTILE_IDS: HostileId[] = [
  { name: 'the longest safe id (128 characters)', lines: [header(LONGEST_SAFE)], expect: 'echo' },
  { name: 'one character too long (129)', lines: [header(`${LONGEST_SAFE}x`)], expect: 'fresh' },
  { name: '10 KB', lines: [header('x'.repeat(10_000))], expect: 'fresh' },
  { name: 'empty', lines: [header('')], expect: 'fresh' },
  { name: 'a tab inside', lines: [header('abc\tdef')], expect: 'fresh' },
  { name: 'non-ASCII (UTF-8 bytes)', lines: [header(Buffer.from('req-ü-✓-id', 'utf8'))], expect: 'fresh' },
  { name: 'markup', lines: [header('<script>alert(1)</script>')], expect: 'fresh' },
  { name: 'sent twice', lines: [header('id-one'), header('id-two')], expect: 'fresh' },
  { name: 'a bare CR inside', lines: [header('abc\rset-cookie: a=b')], expect: 'fresh', mayBeRefused: true },
  {
    name: 'a folded line (CRLF + space)',
    lines: [header('abc\r\n def')],
    expect: 'fresh',
    mayBeRefused: true,
  },
  { name: 'a Stripe secret key', lines: [header(SECRET_KEY)], expect: 'secret' },
  { name: 'a JWT', lines: [header(JWT)], expect: 'secret' },
]

/**
 * The behaviour every HTTP adapter must show over real HTTP: one count per request with the route template and
 * the right status (fall-through 404, errors with and without the kit's error handler, errors after the headers
 * were sent, streams, server-sent events, clients that leave mid-response, hostile request ids), one access-log
 * line, and a process that survives all of it (no uncaught exception, no unhandled rejection).
 */
export function describeHttpAdapterContract(name: string, harness: HttpAdapterHarness): void {
  const template = (path: string) => harness.routeTemplate?.(path) ?? path
  const logger = memoryLogger()
  const metrics = memoryMetrics()
  const reporter = memoryReporter()
  const routes: HttpContractRoute[] = Object.values(ROUTES).filter(
    (route) => harness.fallThrough !== false || route.does.kind !== 'pass',
  )
  let handled: HttpContractServer | undefined
  let bare: HttpContractServer | undefined
  const faults: Array<{ event: string; error: unknown }> = []
  const onUncaught = (error: unknown) => faults.push({ event: 'uncaughtException', error })
  const onUnhandled = (error: unknown) => faults.push({ event: 'unhandledRejection', error })

  /** Waits for the request's count, then checks it is the only one, with its timing and access-log line. */
  async function expectOneRequest(path: string, route: HttpContractRoute, statusCode: number) {
    const deadline = performance.now() + SETTLE_MS
    while (metrics.find('http.requests').length === 0 && performance.now() < deadline) await sleep(5)
    await sleep(GRACE_MS)
    const tags = { method: 'GET', route: template(route.path), status_code: statusCode }
    expect(metrics.find('http.requests').map((c) => c.tags)).toEqual([tags])
    expect(metrics.find('http.request.duration', 'timing').map((c) => c.tags)).toEqual([tags])
    expect(metrics.total('errors.count')).toBe(statusCode >= 500 ? 1 : 0)
    const access = logger.find({ level: 'INFO', message: 'request completed' })
    expect(access).toHaveLength(1)
    expect(access[0]).toMatchObject({ method: 'GET', route: tags.route, statusCode, path })
    return access[0]!
  }

  describe(`${name} satisfies the HTTP adapter contract`, () => {
    beforeAll(async () => {
      handled = await harness.start({ logger, metrics, reporter, routes, errorHandler: true })
      bare = await harness.start({ logger, metrics, reporter, routes, errorHandler: false })
    })

    afterAll(async () => {
      await handled?.close()
      await bare?.close()
    })

    beforeEach(() => {
      logger.clear()
      metrics.clear()
      reporter.clear()
      faults.length = 0
      process.on('uncaughtException', onUncaught)
      process.on('unhandledRejection', onUnhandled)
    })

    afterEach(async () => {
      // A throw from a listener that runs after the response (close, finish) would land here.
      await sleep(10)
      process.off('uncaughtException', onUncaught)
      process.off('unhandledRejection', onUnhandled)
      expect(faults).toEqual([])
    })

    const servers = () => [
      { label: "with the kit's error handler", url: handled!.url },
      { label: 'without an error handler', url: bare!.url },
    ]

    it('counts a request once by route template, echoes its id and logs its path without the query', async () => {
      const response = await fetch(`${handled!.url}/contract/items/42?token=query-secret`, {
        headers: { 'x-request-id': 'contract-req-1' },
      })
      expect(response.status).toBe(201)
      expect(await response.json()).toEqual({ ok: true })
      expect(response.headers.get('x-request-id')).toBe('contract-req-1')
      const access = await expectOneRequest('/contract/items/42', ROUTES.items, 201)
      expect(access.requestId).toBe('contract-req-1')
      expect(JSON.stringify(logger.lines)).not.toContain('query-secret')
    })

    if (harness.fallThrough !== false) {
      it('counts a matched route that hands the request on as a 404 of that route', async () => {
        for (const server of servers()) {
          logger.clear()
          metrics.clear()
          const response = await fetch(`${server.url}/contract/pass/7`)
          expect(response.status, server.label).toBe(404)
          expect(response.headers.get('x-request-id'), server.label).toMatch(UUID)
          await response.arrayBuffer()
          await expectOneRequest('/contract/pass/7', ROUTES.pass, 404)
        }
      })
    }

    it('counts a failing route as a 500 of that route when no error handler is mounted', async () => {
      const response = await fetch(`${bare!.url}/contract/fail/3`, {
        headers: { 'x-request-id': 'contract-fail' },
      })
      expect(response.status).toBe(500)
      expect(response.headers.get('x-request-id')).toBe('contract-fail')
      await response.arrayBuffer()
      await expectOneRequest('/contract/fail/3', ROUTES.fail, 500)
    })

    it("answers a failing route with { error, requestId } and reports it, with the kit's error handler", async () => {
      const response = await fetch(`${handled!.url}/contract/fail/4`)
      expect(response.status).toBe(500)
      const body = await response.json()
      // One request, one id: the body, the header, the report and the log line share it; the event id is logged.
      const requestId = response.headers.get('x-request-id')
      expect(requestId).toEqual(expect.any(String))
      expect(body).toEqual({ error: expect.any(String), requestId })
      expect(reporter.captured).toHaveLength(1)
      expect(reporter.captured[0]!.eventId).not.toBe(requestId)
      expect(reporter.captured[0]!.context.extra).toMatchObject({ requestId })
      expect(logger.find({ message: 'API error' })).toMatchObject([
        { requestId, eventId: reporter.captured[0]!.eventId },
      ])
      expect(reporter.captured[0]!.context.tags).toMatchObject({ route: template(ROUTES.fail.path) })
      await expectOneRequest('/contract/fail/4', ROUTES.fail, 500)
    })

    it('survives an error after the headers were sent: the body is cut short, the request counted once', async () => {
      for (const server of servers()) {
        logger.clear()
        metrics.clear()
        const response = await fetch(`${server.url}/contract/late-fail/5`)
        expect(response.status, server.label).toBe(200)
        const outcome = await response.text().then(
          (text) => `complete: ${text}`,
          () => 'cut',
        )
        expect(outcome, server.label).toBe('cut')
        await expectOneRequest('/contract/late-fail/5', ROUTES.lateFail, 500)
      }
    })

    it('streams a response chunk by chunk and counts it once when done', async () => {
      const started = performance.now()
      const response = await fetch(`${bare!.url}/contract/stream/6`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/)
      const reader = response.body!.getReader()
      const decoder = new TextDecoder()
      const first = await reader.read()
      let text = decoder.decode(first.value, { stream: true })
      expect(text.length, 'the first read holds only part of the body').toBeLessThan(
        'one\ntwo\nthree\n'.length,
      )
      for (let read = await reader.read(); !read.done; read = await reader.read())
        text += decoder.decode(read.value, { stream: true })
      expect(text).toBe('one\ntwo\nthree\n')
      const elapsed = performance.now() - started
      await expectOneRequest('/contract/stream/6', ROUTES.stream, 200)
      const [duration] = metrics.find('http.request.duration', 'timing')
      // Timed to the last byte, not to the headers.
      expect(duration!.value).toBeGreaterThanOrEqual(2 * ROUTES.stream.does.intervalMs * 0.8)
      expect(duration!.value).toBeLessThanOrEqual(elapsed + 50)
    })

    it('sends server-sent events as they come and counts the stream once', async () => {
      const response = await fetch(`${handled!.url}/contract/events/8`, {
        headers: { accept: 'text/event-stream', 'x-request-id': 'contract-sse' },
      })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
      expect(response.headers.get('x-request-id')).toBe('contract-sse')
      const events = (await response.text()).split('\n\n').filter(Boolean)
      expect(events).toEqual(['data: 1', 'data: 2', 'data: 3'])
      const access = await expectOneRequest('/contract/events/8', ROUTES.events, 200)
      expect(access.requestId).toBe('contract-sse')
    })

    it('counts a client that leaves mid-response as 499', async () => {
      for (const server of servers()) {
        logger.clear()
        metrics.clear()
        const controller = new AbortController()
        const response = await fetch(`${server.url}/contract/live/9`, { signal: controller.signal })
        expect(response.status, server.label).toBe(200)
        const first = await response.body!.getReader().read()
        expect(new TextDecoder().decode(first.value), server.label).toBe('data: hello\n\n')
        controller.abort()
        await expectOneRequest('/contract/live/9', ROUTES.live, 499)
      }
    })

    describe('hostile x-request-id values: echoed only when safe, else a fresh UUID', () => {
      for (const hostile of HOSTILE_IDS) {
        it(hostile.name, async () => {
          const response = await rawGet(handled!.url, '/contract/items/1', hostile.lines)
          if (hostile.mayBeRefused && (response.status === 0 || response.status === 400)) {
            // Refused by the HTTP parser before any route ran: nothing to count, and the server lives on.
            await sleep(GRACE_MS)
            expect(metrics.find('http.requests')).toEqual([])
            expect((await fetch(`${handled!.url}/contract/items/2`)).status).toBe(201)
            return
          }
          expect(response.status).toBe(201)
          const echoed = response.headers['x-request-id']
          const access = await expectOneRequest('/contract/items/1', ROUTES.items, 201)
          if (hostile.expect === 'echo') expect(echoed).toBe(LONGEST_SAFE)
          if (hostile.expect === 'fresh') expect(echoed).toMatch(UUID)
          if (hostile.expect === 'secret') {
            const logged = JSON.stringify(logger.lines)
            for (const secret of [SECRET_KEY, JWT]) expect(logged).not.toContain(secret)
          } else {
            expect(access.requestId).toBe(echoed)
          }
        })
      }
    })
  })
}
