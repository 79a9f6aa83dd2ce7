import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { observeFetch } from '@vivr/core/node'
import { prometheusMetrics } from '@vivr/sink-prometheus'

/**
 * A small app built from the kit for the SLO end-to-end test, wired like the demo store's web service: core's
 * observeFetch on each route (the request telemetry every adapter records), @vivr/sink-prometheus with the
 * `service` default label the SLOs select on, its metricsHandler on /api/metrics. A request with `?fail=1`
 * throws, so the load decides which requests fail (answered 500 by observeFetch, as a real failure would be).
 */
export interface SloApp {
  readonly baseUrl: string
  readonly metricsUrl: string
  close(): Promise<void>
}

type Handler = (request: Request) => Promise<Response>

export const SLO_APP_ROUTES = [
  { method: 'GET', path: '/' },
  { method: 'POST', path: '/api/checkout' },
] as const

export async function startSloApp(service: string): Promise<SloApp> {
  const metrics = prometheusMetrics()
  metrics.registry.setDefaultLabels({ service })
  const telemetry = { metrics }
  const handle = (route: string): Handler =>
    observeFetch(
      async (request: Request) => {
        if (new URL(request.url).searchParams.get('fail') === '1')
          throw new Error('payment provider unreachable')
        return Response.json({ ok: true })
      },
      route,
      telemetry,
    )
  const routes: Record<string, Handler> = {
    ...Object.fromEntries(SLO_APP_ROUTES.map((r) => [`${r.method} ${r.path}`, handle(r.path)])),
    'GET /api/metrics': (request) => metrics.metricsHandler(request),
  }

  const server = createServer((req, res) => {
    void serve(req, res)
  })
  async function serve(req: IncomingMessage, res: ServerResponse) {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const handler = routes[`${req.method} ${url.pathname}`]
      const response = handler
        ? await handler(new Request(url, { method: req.method }))
        : new Response('not found\n', { status: 404 })
      res.writeHead(response.status, Object.fromEntries(response.headers))
      res.end(Buffer.from(await response.arrayBuffer()))
    } catch (error) {
      res.writeHead(500).end(String(error))
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const baseUrl = `http://127.0.0.1:${port}`
  return {
    baseUrl,
    metricsUrl: `${baseUrl}/api/metrics`,
    async close() {
      await metrics.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** mulberry32: a small seeded PRNG, so a run's failures are the same every time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export interface LoadPhase {
  /** Share of requests that fail, per route path (routes not listed never fail). */
  readonly errorShare: Readonly<Record<string, number>>
}

export interface Load {
  /** Switches the error shares from the next request on. */
  setPhase(phase: LoadPhase): void
  readonly sent: { total: number; failed: number }
  stop(): Promise<void>
}

/**
 * Sends `perSecond` requests a second, alternating between the app's routes; each fails with its route's share,
 * drawn from a PRNG seeded with `seed`.
 */
export function startLoad(app: SloApp, options: { perSecond: number; seed: number; phase: LoadPhase }): Load {
  const random = seededRandom(options.seed)
  let phase = options.phase
  const sent = { total: 0, failed: 0 }
  const inFlight = new Set<Promise<void>>()
  let i = 0
  const timer = setInterval(() => {
    const route = SLO_APP_ROUTES[i++ % SLO_APP_ROUTES.length]!
    const fail = random() < (phase.errorShare[route.path] ?? 0)
    sent.total++
    if (fail) sent.failed++
    const request = fetch(`${app.baseUrl}${route.path}${fail ? '?fail=1' : ''}`, {
      method: route.method,
      signal: AbortSignal.timeout(5000),
    })
      .then((response) => response.arrayBuffer())
      .then(
        () => {},
        () => {},
      )
    inFlight.add(request)
    void request.finally(() => inFlight.delete(request))
  }, 1000 / options.perSecond)
  return {
    setPhase(next) {
      phase = next
    },
    sent,
    async stop() {
      clearInterval(timer)
      await Promise.all(inFlight)
    },
  }
}
