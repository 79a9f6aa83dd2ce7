import { type Check, createHealth, publishHealth } from '@vivr/core'
import { prometheusMetrics } from '@vivr/sink-prometheus'
import { type Bench, opsPerSecond, percentile, sleep } from './lib.js'

/** The guide's handler, faithfully: sequential awaits, no timeout, no sharing, no cache, same JSON. */
function guideStyleHandler(dependencies: Record<string, () => Promise<unknown>>) {
  return async (_request: Request): Promise<Response> => {
    const checks: Record<string, { status: string; latency: number; message?: string }> = {}
    for (const [name, call] of Object.entries(dependencies)) {
      const start = Date.now()
      try {
        await call()
        checks[name] = { status: 'ok', latency: Date.now() - start }
      } catch (error) {
        checks[name] = { status: 'error', latency: Date.now() - start, message: (error as Error).message }
      }
    }
    const errors = Object.values(checks).filter((c) => c.status === 'error').length
    const status = errors === 0 ? 'healthy' : errors === 1 ? 'degraded' : 'unhealthy'
    return Response.json(
      {
        status,
        timestamp: new Date().toISOString(),
        uptime: process.uptime(),
        environment: process.env.NODE_ENV || 'unknown',
        version: process.env.APP_VERSION || '1.0.0',
        checks,
        metrics: {
          memoryUsage: process.memoryUsage().heapUsed / 1024 / 1024,
          cpuUsage: process.cpuUsage().user / 1000,
          requestsPerSecond: 0,
        },
      },
      {
        status: status === 'unhealthy' ? 503 : 200,
        headers: { 'Cache-Control': 'no-cache, no-store, must-revalidate' },
      },
    )
  }
}

const request = () => new Request('http://localhost/api/health')

async function storm(handler: (r: Request) => Promise<Response>, probes: number) {
  const latencies: number[] = []
  await Promise.all(
    Array.from({ length: probes }, async () => {
      const started = performance.now()
      const response = await handler(request())
      await response.arrayBuffer()
      latencies.push(performance.now() - started)
    }),
  )
  return percentile(latencies, 99)
}

const probeStorm: Bench = {
  name: 'health: probe storm',
  async run() {
    let ourCalls = 0
    let guideCalls = 0
    const slowDependency = (count: () => void) => async () => {
      count()
      await sleep(50)
    }
    const ours = createHealth({
      checks: [{ name: 'database', run: slowDependency(() => ourCalls++) }],
      environment: 'bench',
    })
    const guide = guideStyleHandler({ database: slowDependency(() => guideCalls++) })
    const oursP99 = await storm(ours.handler, 1000)
    const guideP99 = await storm(guide, 1000)
    return [
      {
        figure: 'probe storm (1,000 concurrent, 50 ms check): dependency calls',
        unit: 'calls',
        ours: ourCalls,
        anchor: guideCalls,
        anchorName: 'guide-style handler',
        higherIsBetter: false,
      },
      {
        figure: 'probe storm: p99 latency',
        unit: 'ms',
        ours: oursP99,
        anchor: guideP99,
        anchorName: 'guide-style handler',
        higherIsBetter: false,
      },
    ]
  },
}

const hungDependency: Bench = {
  name: 'health: hung dependency',
  async run() {
    const capMs = 2000
    const never = () => new Promise<never>(() => {})
    const ours = createHealth({
      checks: [{ name: 'database', timeoutMs: 200, run: never }],
      environment: 'bench',
    })
    const guide = guideStyleHandler({ database: never })
    const time = async (handler: (r: Request) => Promise<Response>) => {
      const started = performance.now()
      const finished = await Promise.race([
        handler(request()).then(() => true),
        sleep(capMs).then(() => false),
      ])
      return finished ? performance.now() - started : `> ${capMs}`
    }
    return [
      {
        figure: 'hung dependency (timeout 200 ms): response time',
        unit: 'ms',
        ours: await time(ours.handler),
        anchor: await time(guide),
        anchorName: 'guide-style handler (capped)',
        higherIsBetter: false,
      },
    ]
  },
}

const throughput: Bench = {
  name: 'health: handler throughput',
  async run() {
    const instant = async () => {}
    const names = ['database', 'cache', 'payment']
    const checks: Check[] = names.map((name) => ({ name, run: instant, cacheTtlMs: 60_000 }))
    const ours = createHealth({ checks, environment: 'bench' })
    const guide = guideStyleHandler(Object.fromEntries(names.map((n) => [n, instant])))
    const call = (handler: (r: Request) => Promise<Response>) => async () =>
      (await handler(request())).arrayBuffer()
    const oursRps = await opsPerSecond(call(ours.handler), 2000)
    const guideRps = await opsPerSecond(call(guide), 2000)
    return [
      {
        figure: 'handler throughput, 3 cached checks',
        unit: 'req/s',
        ours: Math.round(oursRps),
        anchor: Math.round(guideRps),
        anchorName: 'guide-style handler (3 instant checks)',
        higherIsBetter: true,
      },
    ]
  },
}

const publishing: Bench = {
  name: 'health: publishing',
  async run() {
    const instant = async () => {}
    const checks = (): Check[] => ['database', 'cache', 'payment'].map((name) => ({ name, run: instant }))
    const plain = createHealth({ checks: checks(), environment: 'bench', includeMetrics: false })
    const published = createHealth({ checks: checks(), environment: 'bench', includeMetrics: false })
    publishHealth(published, prometheusMetrics())
    const plainRps = await opsPerSecond(() => plain.run(), 2000)
    const publishedRps = await opsPerSecond(() => published.run(), 2000)
    return [
      {
        figure: 'full health run, 3 instant checks, publishHealth to Prometheus (cost per run = the gap)',
        unit: 'runs/s',
        ours: Math.round(publishedRps),
        anchor: Math.round(plainRps),
        anchorName: 'the same run without publishHealth',
        higherIsBetter: true,
      },
      {
        figure: 'publishHealth cost per run',
        unit: 'µs',
        ours: Math.max(0, 1e6 / publishedRps - 1e6 / plainRps),
        anchor: 1e6 / plainRps,
        anchorName: 'the run itself',
        higherIsBetter: false,
      },
    ]
  },
}

export const benches: Bench[] = [probeStorm, hungDependency, throughput, publishing]
