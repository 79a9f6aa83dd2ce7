// Trace context's cost (docs/tracing.md). The logger: lines in a request context with its trace against the same
// without one, with Datadog's decimal ids, with the OpenTelemetry source in an active span of the real SDK — and,
// beside it, pino with @opentelemetry/instrumentation-pino doing the same job (trace_id / span_id from the active
// span). Express: observe() with trace context on (traceparent read, traceresponse answered, ids on every line)
// against `traceContext: false`, each server in its own child process pinned to CPU 0 with autocannon on CPU 1,
// taking turns in rounds and keeping each side's best (as adapters.bench does).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import type { Express } from 'express'
import {
  type Bench,
  bestOfRounds,
  CONTEXT,
  cpuSeconds,
  type Figure,
  linesPerSecond,
  loadFromOtherCpu,
  onServerCpu,
  pinnable,
} from './lib.js'

const LINES = 200_000
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

const row = (figure: string, ours: number, anchor: number, anchorName: string): Figure => ({
  figure,
  unit: 'lines/s',
  ours: Math.round(ours),
  anchor: Math.round(anchor),
  anchorName,
  higherIsBetter: true,
})

const logger: Bench = {
  name: 'trace: logger',
  async run() {
    const api = await import('@opentelemetry/api')
    const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node')
    const { PinoInstrumentation } = await import('@opentelemetry/instrumentation-pino')
    const {
      createHttpTelemetry,
      createLogger,
      fileDestination,
      otelTraceSource,
      registerTraceSource,
      withContext,
    } = await import('@vivr/core/node')
    // The SDK as an app sets it up (no exporter: spans are made and ended, nothing is sent).
    const provider = new NodeTracerProvider()
    provider.register()
    // instrumentation-pino wraps the `pino` a `require` returns once enabled: the anchor's pino comes from there,
    // while the kit's logger keeps the one it imported.
    const instrumentation = new PinoInstrumentation({ disableLogSending: true })
    instrumentation.setTracerProvider(provider)
    instrumentation.enable()
    const pino = createRequire(import.meta.url)('pino') as typeof import('pino').default
    const devNull = () => pino.destination({ dest: '/dev/null', sync: true })
    const instrumented = pino({ base: null }, devNull())
    const ours = createLogger({ destinations: [fileDestination('/dev/null')] })
    const oursDatadog = createLogger({ destinations: [fileDestination('/dev/null')], datadogTraceIds: true })
    const http = createHttpTelemetry()
    const request = http.begin((name) => (name === 'traceparent' ? TRACEPARENT : undefined))
    const untraced = createHttpTelemetry({ traceContext: false }).begin(() => undefined)
    const tracer = api.trace.getTracer('bench')
    const inSpan = <T>(fn: () => T): T =>
      tracer.startActiveSpan('request', (span) => {
        try {
          return fn()
        } finally {
          span.end()
        }
      })

    const plain = <T>(fn: () => T) => fn()
    // The same bytes as plain context fields: what writing the ids costs, apart from how they are found.
    const sameBytes = {
      requestId: request.requestId,
      traceId: request.trace?.traceId,
      spanId: request.trace?.spanId,
    }
    // Every contender in one interleaved group (load on a shared machine hits all alike); the OpenTelemetry source
    // is registered only while its contenders run.
    const measure =
      (run: <T>(fn: () => T) => T, log: () => void, withSource = false) =>
      (lines: number) => {
        const unregister = withSource ? registerTraceSource(otelTraceSource(api)) : undefined
        try {
          return run(() => linesPerSecond(log, lines))
        } finally {
          unregister?.()
        }
      }
    const inContext = <T>(fn: () => T) => withContext(sameBytes, fn)
    const inRequest = <T>(fn: () => T) => withContext({ requestId: 'r-1' }, fn)
    let figures: number[]
    try {
      figures = bestOfRounds(
        [
          measure(untraced.run, () => ours.info('order placed', CONTEXT)),
          measure(request.run, () => ours.info('order placed', CONTEXT)),
          measure(inContext, () => ours.info('order placed', CONTEXT)),
          measure(request.run, () => oursDatadog.info('order placed', CONTEXT)),
          measure(plain, () => ours.info('order placed', CONTEXT)),
          measure(inSpan, () => ours.info('order placed', CONTEXT), true),
          measure(plain, () => instrumented.info(CONTEXT, 'order placed')),
          measure(inSpan, () => instrumented.info(CONTEXT, 'order placed')),
          measure(inRequest, () => ours.info('order placed', CONTEXT)),
          measure(inRequest, () => ours.info('order placed', CONTEXT), true),
        ],
        LINES,
      )
    } finally {
      instrumentation.disable()
      api.trace.disable()
      api.context.disable()
      api.propagation.disable()
    }
    const [
      off = 0,
      on = 0,
      plainFields = 0,
      datadog = 0,
      noTrace = 0,
      sourced = 0,
      pinoNoSpan = 0,
      pinoInstrumented = 0,
      noSource = 0,
      sourcedNoSpan = 0,
    ] = figures
    return [
      row(
        'logger in a request context with its trace (trace_id, span_id)',
        on,
        off,
        'same context without trace',
      ),
      row(
        'logger in a request context with its trace (trace_id, span_id)',
        on,
        plainFields,
        'the same ids as plain context fields',
      ),
      row('…with Datadog ids too (dd.trace_id, dd.span_id)', datadog, off, 'same context without trace'),
      row(
        'logger with the OpenTelemetry source, in an active SDK span',
        sourced,
        noTrace,
        'ours, no trace at all',
      ),
      row(
        'pino + @opentelemetry/instrumentation-pino, in the same span (for comparison)',
        pinoInstrumented,
        pinoNoSpan,
        'the same pino outside any span',
      ),
      row(
        'logger with the OpenTelemetry source, in an active SDK span',
        sourced,
        pinoInstrumented,
        'pino + instrumentation-pino, same span',
      ),
      row(
        'logger in a request context, OpenTelemetry source registered, no span active',
        sourcedNoSpan,
        noSource,
        'request context, no source',
      ),
    ]
  },
}

type Side = 'off' | 'on'
const SIDES: readonly Side[] = ['off', 'on']
const ROLE = process.env.VIVR_TRACE_BENCH_ROLE
const ROUND_SECONDS = 2.5
const CONNECTIONS = 32

/** The server side, when this file runs as a child process: observe() + the logger to /dev/null. */
async function runServer(side: Side): Promise<void> {
  const { default: express } = await import('express')
  const { createLogger, fileDestination } = await import('@vivr/core/node')
  const { observe } = await import('@vivr/adapter-express')
  const app: Express = express()
  const log = createLogger({ service: 'bench', destinations: [fileDestination('/dev/null')] })
  app.use(observe({ logger: log, traceContext: side === 'on' }))
  app.get('/products/:id', (req, res) => {
    log.info('product viewed', { productId: req.params.id })
    res.json({ id: req.params.id, name: 'Linen shirt', price: 49.9 })
  })
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address()
    if (typeof address === 'object' && address)
      process.stdout.write(`${JSON.stringify({ port: address.port })}\n`)
  })
}

if (ROLE && (SIDES as readonly string[]).includes(ROLE)) await runServer(ROLE as Side)

async function startServer(side: Side) {
  const node = [process.execPath, '--import', 'tsx', import.meta.filename]
  const [command, ...args] = onServerCpu(node)
  const child = spawn(command!, args, {
    env: { ...process.env, VIVR_TRACE_BENCH_ROLE: side, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer]
  const { port } = JSON.parse(chunk.toString()) as { port: number }
  return { child, url: `http://127.0.0.1:${port}/products/42` }
}

type Server = Awaited<ReturnType<typeof startServer>>

async function load(server: Server, seconds: number) {
  const { default: autocannon } = await import('autocannon')
  const cpuBefore = cpuSeconds(server.child.pid)
  // Every request brings a traceparent, as behind a traced gateway: the `on` side reads and continues it.
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { traceparent: TRACEPARENT },
  })
  return {
    requests: result.requests.total,
    cpu: cpuSeconds(server.child.pid) - cpuBefore,
    p99: result.latency.p99,
  }
}

const express: Bench = {
  name: 'trace: express observe() trace context on vs off',
  async run(): Promise<Figure[]> {
    loadFromOtherCpu()
    const children: ChildProcess[] = []
    try {
      const servers = {} as Record<Side, Server>
      for (const side of SIDES) {
        servers[side] = await startServer(side)
        children.push(servers[side].child)
      }
      for (const side of [...SIDES, ...SIDES]) await load(servers[side], 1)
      const rounds: Record<Side, Array<Awaited<ReturnType<typeof load>>>> = { off: [], on: [] }
      for (const side of ['off', 'on', 'on', 'off', 'off', 'on', 'on', 'off'] as const) {
        rounds[side].push(await load(servers[side], ROUND_SECONDS))
      }
      const best = (side: Side, value: (round: (typeof rounds)[Side][number]) => number, pick = Math.max) =>
        Math.round(pick(...rounds[side].map(value)))
      const note = `${CONNECTIONS} connections, best of 4×${ROUND_SECONDS} s per side${pinnable ? ', server on CPU 0' : ''}`
      const off = 'observe({ traceContext: false })'
      return [
        {
          figure: `Express 5 + observe() + 2 log lines/request, trace context on: throughput (${note})`,
          unit: 'req/s',
          ours: best('on', (r) => r.requests / ROUND_SECONDS),
          anchor: best('off', (r) => r.requests / ROUND_SECONDS),
          anchorName: off,
          higherIsBetter: true,
        },
        {
          figure: '…same: requests per server CPU-second',
          unit: 'req/CPU-s',
          ours: best('on', (r) => r.requests / r.cpu),
          anchor: best('off', (r) => r.requests / r.cpu),
          anchorName: off,
          higherIsBetter: true,
        },
        {
          figure: '…same: p99 latency, best round',
          unit: 'ms',
          ours: best('on', (r) => r.p99, Math.min),
          anchor: best('off', (r) => r.p99, Math.min),
          anchorName: off,
          higherIsBetter: false,
        },
      ]
    } finally {
      for (const child of children) child.kill()
    }
  },
}

export const benches: Bench[] = ROLE ? [] : [logger, express]
