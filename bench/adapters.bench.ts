// Express overhead: the same Express 5 app bare, with the kit (observe() + the Datadog sink to a loopback UDP
// port + the logger writing to /dev/null), and with the usual hand-written version (a hot-shots + pino
// access-log middleware). Each server runs in its own child process pinned to CPU 0; the load generator
// (autocannon) runs here on CPU 1. The three take turns in 2.5 s rounds, each order once per cycle, 10 s per side
// in all, and each side keeps its best round (as telemetry.bench does): load from elsewhere on a shared machine
// only ever slows a round down. Server CPU time is read from /proc as well: requests per CPU-second.
import { type ChildProcess, spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import autocannon from 'autocannon'
import type { Express } from 'express'
import { type Bench, cpuSeconds, type Figure, loadFromOtherCpu, onServerCpu, pinnable } from './lib.js'

export type Side = 'bare' | 'kit' | 'handWritten'
const SIDES: readonly Side[] = ['bare', 'kit', 'handWritten']
const ROLE = process.env.VIVR_ADAPTERS_BENCH_ROLE
const ROUND_SECONDS = 2.5
const CONNECTIONS = 32

async function withKit(app: Express, statsdPort: number): Promise<void> {
  const { createHealth } = await import('@vivr/core')
  const { createLogger, fileDestination } = await import('@vivr/core/node')
  const { observe } = await import('@vivr/adapter-express')
  const { datadogMetrics } = await import('@vivr/sink-datadog')
  const logger = createLogger({ service: 'bench', destinations: [fileDestination('/dev/null')] })
  const metrics = datadogMetrics({ host: '127.0.0.1', port: statsdPort, service: 'bench' })
  app.use(observe({ logger, metrics, requestRate: createHealth({ checks: [] }).requestRate }))
}

/** What teams usually write by hand: timing on `finish`, hot-shots with string tags, one pino line. */
async function withHandWritten(app: Express, statsdPort: number): Promise<void> {
  const { StatsD } = await import('hot-shots')
  const { default: pino } = await import('pino')
  const statsd = new StatsD({
    host: '127.0.0.1',
    port: statsdPort,
    prefix: 'vivr.',
    globalTags: { env: 'production', service: 'bench' },
    maxBufferSize: 1432,
    cacheDns: true,
  })
  const log = pino(pino.destination({ dest: '/dev/null', sync: true }))
  app.use((req, res, next) => {
    const started = performance.now()
    res.on('finish', () => {
      const duration = performance.now() - started
      const route = req.route ? `${req.baseUrl}${req.route.path}` : 'unmatched'
      const tags = [`method:${req.method}`, `route:${route}`, `status_code:${res.statusCode}`]
      statsd.increment('http.requests', 1, tags)
      statsd.timing('http.request.duration', duration, tags)
      if (res.statusCode >= 500) statsd.increment('errors.count', 1, tags)
      log.info({ method: req.method, route, statusCode: res.statusCode, duration }, 'request completed')
    })
    next()
  })
}

/** The server side, when this file runs as a child process. */
async function runServer(side: Side): Promise<void> {
  const { default: express } = await import('express')
  const app = express()
  const statsdPort = Number(process.env.STATSD_PORT)
  if (side === 'kit') await withKit(app, statsdPort)
  if (side === 'handWritten') await withHandWritten(app, statsdPort)
  app.get('/products/:id', (req, res) => {
    res.json({ id: req.params.id, name: 'Linen shirt', price: 49.9 })
  })
  // Exit on SIGTERM, so a --cpu-prof child writes its profile (bench/profile-express.ts).
  process.on('SIGTERM', () => process.exit(0))
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address()
    if (typeof address === 'object' && address)
      process.stdout.write(`${JSON.stringify({ port: address.port })}\n`)
  })
}

if (ROLE && (SIDES as readonly string[]).includes(ROLE)) await runServer(ROLE as Side)

/** One side's server in a child process; `nodeFlags` such as `--cpu-prof` go to its node. */
export async function startServer(side: Side, statsdPort: number, nodeFlags: readonly string[] = []) {
  const node = [process.execPath, ...nodeFlags, '--import', 'tsx', import.meta.filename]
  const [command, ...args] = onServerCpu(node)
  const child = spawn(command!, args, {
    env: {
      ...process.env,
      VIVR_ADAPTERS_BENCH_ROLE: side,
      STATSD_PORT: String(statsdPort),
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer]
  const { port } = JSON.parse(chunk.toString()) as { port: number }
  return { child, url: `http://127.0.0.1:${port}/products/42` }
}

type Server = Awaited<ReturnType<typeof startServer>>
type Round = Awaited<ReturnType<typeof load>>

export async function load(server: Server, seconds: number) {
  const cpuBefore = cpuSeconds(server.child.pid)
  const result = await autocannon({ url: server.url, connections: CONNECTIONS, duration: seconds })
  return {
    requests: result.requests.total,
    cpu: cpuSeconds(server.child.pid) - cpuBefore,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  }
}

const expressOverhead: Bench = {
  name: 'adapters: express observe() overhead',
  async run(): Promise<Figure[]> {
    loadFromOtherCpu()
    let datagrams = 0
    const statsd = createSocket('udp4')
    statsd.on('message', () => datagrams++)
    await new Promise<void>((resolve) => statsd.bind(0, '127.0.0.1', resolve))
    const children: ChildProcess[] = []
    try {
      const servers = {} as Record<Side, Server>
      for (const side of SIDES) {
        servers[side] = await startServer(side, statsd.address().port)
        children.push(servers[side].child)
      }
      for (const side of [...SIDES, ...SIDES]) await load(servers[side], 1)
      const rounds = Object.fromEntries(SIDES.map((side) => [side, [] as Round[]])) as Record<Side, Round[]>
      // Every side goes first, second and third once, twice over: 4 rounds each.
      const orders: Side[][] = [
        ['bare', 'kit', 'handWritten'],
        ['kit', 'handWritten', 'bare'],
        ['handWritten', 'bare', 'kit'],
        ['bare', 'handWritten', 'kit'],
      ]
      for (const side of orders.flat()) rounds[side].push(await load(servers[side], ROUND_SECONDS))
      const best = (side: Side, value: (round: Round) => number, pick = Math.max) =>
        Math.round(pick(...rounds[side].map(value)))
      const rps = (side: Side) => best(side, (r) => r.requests / ROUND_SECONDS)
      const perCpu = (side: Side) => best(side, (r) => r.requests / r.cpu)
      const p99 = (side: Side) => best(side, (r) => r.p99, Math.min)
      const errors = SIDES.reduce((sum, side) => sum + rounds[side].reduce((n, r) => n + r.errors, 0), 0)
      const note = `${CONNECTIONS} connections, best of 4×${ROUND_SECONDS} s per side${pinnable ? ', server on CPU 0' : ''}`
      const bare = 'bare Express 5'
      const handWritten = 'hand-written hot-shots + pino middleware'
      const figure = (
        name: string,
        unit: string,
        ours: number,
        anchor: number,
        anchorName: string,
        higher = true,
      ) => ({ figure: name, unit, ours, anchor, anchorName, higherIsBetter: higher }) satisfies Figure
      return [
        figure(
          `Express + observe() + Datadog UDP + log to /dev/null: throughput (${note})`,
          'req/s',
          rps('kit'),
          rps('bare'),
          bare,
        ),
        figure(
          '…same: requests per server CPU-second (one dedicated core)',
          'req/CPU-s',
          perCpu('kit'),
          perCpu('bare'),
          bare,
        ),
        figure(
          `…same: p99 latency, best round (delta ${p99('kit') - p99('bare')} ms)`,
          'ms',
          p99('kit'),
          p99('bare'),
          bare,
          false,
        ),
        figure('…same: throughput', 'req/s', rps('kit'), rps('handWritten'), handWritten),
        figure(
          '…same: requests per server CPU-second',
          'req/CPU-s',
          perCpu('kit'),
          perCpu('handWritten'),
          handWritten,
        ),
        {
          figure: '…same: StatsD datagrams received / failed requests (all sides)',
          unit: '',
          ours: `${datagrams} / ${errors}`,
          anchor: '—',
          anchorName: '',
          higherIsBetter: true,
        },
      ]
    } finally {
      for (const child of children) child.kill('SIGKILL')
      statsd.close()
    }
  },
}

export const benches: Bench[] = ROLE ? [] : [expressOverhead]
