// Express overhead: a bare Express 5 app vs the same app with observe() + the Datadog sink (to a loopback UDP
// port) + the logger writing to /dev/null. Each server runs in its own child process pinned to CPU 0, the load
// generator (autocannon) runs here on CPU 1. Sides alternate A-B-B-A in 5 s rounds (10 s per side in all) so
// drift in the machine's load hits both alike.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { availableParallelism } from 'node:os'
import autocannon from 'autocannon'
import type { Bench, Figure } from './lib.js'

const ROLE = process.env.VIVR_ADAPTERS_BENCH_ROLE
const ROUND_SECONDS = 5
const CONNECTIONS = 32

/** The server side, when this file runs as a child process. */
async function runServer(observed: boolean): Promise<void> {
  const { default: express } = await import('express')
  const app = express()
  if (observed) {
    const { createHealth, createLogger, fileDestination } = await import('@vivr/core')
    const { observe, errorHandler } = await import('@vivr/adapter-express')
    const { datadogMetrics } = await import('@vivr/sink-datadog')
    const logger = createLogger({ service: 'bench', destinations: [fileDestination('/dev/null')] })
    const metrics = datadogMetrics({
      host: '127.0.0.1',
      port: Number(process.env.STATSD_PORT),
      service: 'bench',
    })
    const health = createHealth({ checks: [] })
    app.use(observe({ logger, metrics, requestRate: health.requestRate }))
    app.get('/products/:id', (req, res) => {
      res.json({ id: req.params.id, name: 'Linen shirt', price: 49.9 })
    })
    app.use(errorHandler({ reporter: { captureException: () => undefined }, logger }))
  } else {
    app.get('/products/:id', (req, res) => {
      res.json({ id: req.params.id, name: 'Linen shirt', price: 49.9 })
    })
  }
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address()
    if (typeof address === 'object' && address)
      process.stdout.write(`${JSON.stringify({ port: address.port })}\n`)
  })
}

if (ROLE === 'bare' || ROLE === 'observed') await runServer(ROLE === 'observed')

const pinnable = availableParallelism() >= 2 && hasTaskset()

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function startServer(role: 'bare' | 'observed', statsdPort: number) {
  const node = [process.execPath, '--conditions=@vivr/source', '--import', 'tsx', import.meta.filename]
  const [command, ...args] = pinnable ? ['taskset', '-c', '0', ...node] : node
  const child = spawn(command!, args, {
    env: {
      ...process.env,
      VIVR_ADAPTERS_BENCH_ROLE: role,
      STATSD_PORT: String(statsdPort),
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer]
  const { port } = JSON.parse(chunk.toString()) as { port: number }
  return { child, url: `http://127.0.0.1:${port}/products/42` }
}

async function load(url: string, seconds: number) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds })
  return {
    requests: result.requests.total,
    seconds,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  }
}

const expressOverhead: Bench = {
  name: 'adapters: express observe() overhead',
  async run(): Promise<Figure[]> {
    if (pinnable) execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' })
    let datagrams = 0
    const statsd = createSocket('udp4')
    statsd.on('message', () => datagrams++)
    await new Promise<void>((resolve) => statsd.bind(0, '127.0.0.1', resolve))
    const children: ChildProcess[] = []
    try {
      const bare = await startServer('bare', statsd.address().port)
      const observed = await startServer('observed', statsd.address().port)
      children.push(bare.child, observed.child)
      await load(bare.url, 2)
      await load(observed.url, 2)
      datagrams = 0
      const totals = {
        bare: { requests: 0, seconds: 0, p99: [] as number[], errors: 0 },
        observed: { requests: 0, seconds: 0, p99: [] as number[], errors: 0 },
      }
      for (const side of ['bare', 'observed', 'observed', 'bare'] as const) {
        const round = await load(side === 'bare' ? bare.url : observed.url, ROUND_SECONDS)
        totals[side].requests += round.requests
        totals[side].seconds += round.seconds
        totals[side].p99.push(round.p99)
        totals[side].errors += round.errors
      }
      const rps = (side: 'bare' | 'observed') => Math.round(totals[side].requests / totals[side].seconds)
      const p99 = (side: 'bare' | 'observed') => Math.max(...totals[side].p99)
      const errors = totals.bare.errors + totals.observed.errors
      const note = `${CONNECTIONS} connections, 2×${ROUND_SECONDS} s per side${pinnable ? ', server on CPU 0' : ''}`
      return [
        {
          figure: `Express 5 + observe() + Datadog UDP + log to /dev/null: throughput (${note})`,
          unit: 'req/s',
          ours: rps('observed'),
          anchor: rps('bare'),
          anchorName: 'bare Express 5',
          higherIsBetter: true,
        },
        {
          figure: `…same: p99 latency (delta ${(p99('observed') - p99('bare')).toFixed(1)} ms)`,
          unit: 'ms',
          ours: p99('observed'),
          anchor: p99('bare'),
          anchorName: 'bare Express 5',
          higherIsBetter: false,
        },
        {
          figure: '…same: StatsD datagrams received / failed requests',
          unit: '',
          ours: `${datagrams} / ${errors}`,
          anchor: '—',
          anchorName: 'bare Express 5',
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
