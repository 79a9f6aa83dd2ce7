import { type QueryMetricsExtension, withQueryMetrics } from '@vivr/checks-prisma'
import {
  createBusinessMetrics,
  createHealth,
  defineCheck,
  METRIC,
  type MetricSink,
  publishHealth,
} from '@vivr/core'
import { observeFetch, runtimeMetrics } from '@vivr/core/node'
import { cloudwatchMetrics, SERVICE_ROLLUPS } from '@vivr/sink-cloudwatch'
import { type EmfMetric, extractEmfMetrics } from '@vivr/testkit'

/**
 * The EMF a kit app writes, wired like the demo store: @vivr/sink-cloudwatch's `cloudwatchMetrics` with the
 * `service` / `environment` dimensions and `rollups: SERVICE_ROLLUPS`, fed by the kit's own calls — observeFetch
 * (the request telemetry every adapter uses) on a few routes (one fails), checks-prisma's withQueryMetrics
 * (a fast and a slow query), publishHealth over a health run, the business KPIs and runtimeMetrics. The records
 * are read back with @vivr/testkit's EMF parser, the way CloudWatch extracts them.
 */
export interface EmfRun {
  /** The raw EMF lines. */
  readonly lines: readonly string[]
  /** The metrics CloudWatch would extract (one per dimension set). */
  readonly metrics: readonly EmfMetric[]
}

const RUNTIME_INTERVAL_MS = 100
const FLUSH_INTERVAL_MS = 100
/** What a runtime collection writes: the run waits until each has been flushed at least once. */
const RUNTIME_METRICS = [
  METRIC.eventLoopDelayP50,
  METRIC.eventLoopDelayP99,
  METRIC.eventLoopDelayMax,
  METRIC.eventLoopUtilization,
  METRIC.gcPause,
  METRIC.heapUsed,
  METRIC.heapTotal,
  METRIC.rss,
  METRIC.activeHandles,
]

/** A stand-in for PrismaClient: `$extends` keeps the extension, whose query hook stands for Prisma's engine. */
function queryHook(metrics: MetricSink) {
  let extension: QueryMetricsExtension | undefined
  withQueryMetrics(
    {
      $extends: (ext) => {
        extension = ext
        return {}
      },
    },
    { metrics, slowQueryMs: 20 },
  )
  const hook = extension!.query.$allModels.$allOperations
  return (model: string, operation: string, ms: number) =>
    hook({ model, operation, args: {}, query: () => new Promise((resolve) => setTimeout(resolve, ms)) })
}

export async function runEmfApp(options: {
  service: string
  environment: string
  rollups?: boolean
}): Promise<EmfRun> {
  const lines: string[] = []
  const sink = cloudwatchMetrics({
    namespace: 'VIVR',
    dimensions: { service: options.service, environment: options.environment },
    destination: { write: (line) => lines.push(line) },
    flushIntervalMs: FLUSH_INTERVAL_MS,
    ...(options.rollups !== false && { rollups: SERVICE_ROLLUPS }),
  })
  const business = createBusinessMetrics(sink)
  const health = createHealth({
    checks: [
      defineCheck({ name: 'database', tags: ['ready'], run: () => ({ status: 'ok' }) }),
      defineCheck({ name: 'redis', tags: ['ready'], run: () => ({ status: 'ok' }) }),
      defineCheck({ name: 'stripe', critical: false, run: () => ({ status: 'degraded', message: 'slow' }) }),
    ],
  })
  const unpublish = publishHealth(health, sink)
  const runtime = runtimeMetrics({ metrics: sink, intervalMs: RUNTIME_INTERVAL_MS })
  const query = queryHook(sink)
  const telemetry = { metrics: sink }
  const route = (path: string, handler: () => Promise<Response>) => observeFetch(handler, path, telemetry)

  const routes: [string, string, (request: Request) => Promise<Response>][] = [
    [
      'GET',
      '/api/products',
      route('/api/products', async () => {
        await query('Product', 'findMany', 1)
        return Response.json([])
      }),
    ],
    [
      'GET',
      '/api/search',
      route('/api/search', async () => {
        await query('Product', 'findMany', 30)
        return Response.json([])
      }),
    ],
    [
      'POST',
      '/api/checkout',
      route('/api/checkout', async () => {
        await query('Order', 'create', 1)
        business.ordersCreated(1)
        business.revenueProcessed(129.9)
        return Response.json({ id: 'ord_1' }, { status: 201 })
      }),
    ],
    [
      'POST',
      '/api/checkout',
      route('/api/checkout', async () => {
        throw new Error('payment declined by the provider: 502')
      }),
    ],
    [
      'GET',
      '/api/fail',
      route('/api/fail', async () => {
        throw new Error('payment provider unreachable')
      }),
    ],
  ]
  try {
    for (const [method, path, handler] of routes) {
      const response = await handler(new Request(`http://127.0.0.1${path}`, { method }))
      await response.arrayBuffer()
    }
    await health.run()
    // Garbage for the GC, then two runtime collections (the first sends every GC kind, the loop's delay needs one).
    let kept = 0
    for (let i = 0; i < 200_000; i++) kept += new Array(16).fill(i).length
    if (kept === 0) throw new Error('unreachable')
    const deadline = Date.now() + 5000
    const written = () => lines.join('\n')
    while (!RUNTIME_METRICS.every((name) => written().includes(`"${name}"`))) {
      if (Date.now() > deadline) throw new Error('runtimeMetrics wrote not every runtime metric in 5 s')
      await new Promise((resolve) => setTimeout(resolve, RUNTIME_INTERVAL_MS))
    }
  } finally {
    runtime.stop()
    unpublish()
    await sink.close?.()
  }
  const { metrics, errors } = extractEmfMetrics(lines)
  if (errors.length > 0) throw new Error(`the sink wrote invalid EMF: ${errors.join('; ')}`)
  return { lines, metrics }
}
