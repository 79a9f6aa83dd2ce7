import { createSocket } from 'node:dgram'
import { datadogMetrics } from '@vivr/sink-datadog'
import { OTEL_HTTP_DURATION_BUCKETS, prometheusMetrics } from '@vivr/sink-prometheus'
import { StatsD } from 'hot-shots'
import { Counter, Histogram, Registry } from 'prom-client'
import { type Bench, percentile, sleep } from './lib.js'

/** A loopback UDP sink that only counts, so receiving costs the sender as little as possible. */
async function countingReceiver() {
  const socket = createSocket('udp4')
  let datagrams = 0
  let lines = 0
  socket.on('message', (message) => {
    datagrams++
    lines += 1
    for (const byte of message) if (byte === 10) lines++
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  // Loopback UDP drops what arrives while the receive buffer is full; the kernel caps this at rmem_max.
  socket.setRecvBufferSize(4 * 1024 * 1024)
  return {
    port: socket.address().port,
    get datagrams() {
      return datagrams
    },
    get lines() {
      return lines
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}

const GLOBAL_TAGS = { env: 'bench', service: 'vivr-api', version: '1.0.0' }
const TAGS = { endpoint: '/api/products', method: 'GET' }
const CALLS = 1_000_000

interface Target {
  increment(name: string, value: number, tags: Record<string, string>): void
  timing(name: string, ms: number, tags: Record<string, string>): void
  close(): Promise<void>
}

function rawHotShots(port: number): Target {
  const client = new StatsD({
    host: '127.0.0.1',
    port,
    prefix: 'vivr.',
    globalTags: GLOBAL_TAGS,
    maxBufferSize: 1432,
    bufferFlushInterval: 1000,
    includeDataDogTags: false,
  })
  return {
    increment: (name, value, tags) => client.increment(name, value, tags),
    timing: (name, ms, tags) => client.timing(name, ms, tags),
    close: () => new Promise<void>((resolve) => client.close(() => resolve())),
  }
}

export function ourSink(port: number, aggregation = true, multiValue = true): Target {
  const sink = datadogMetrics({
    host: '127.0.0.1',
    port,
    prefix: 'vivr.',
    globalTags: GLOBAL_TAGS,
    aggregation,
    multiValue,
  })
  return {
    increment: (name, value, tags) => sink.increment(name, value, tags),
    timing: (name, ms, tags) => sink.timing(name, ms, tags),
    close: () => sink.close(),
  }
}

async function callsPerSecond(make: () => Target): Promise<number> {
  const target = make()
  for (let i = 0; i < 10_000; i++) target.increment('http.requests', 1, TAGS)
  const started = performance.now()
  for (let i = 0; i < CALLS; i++) target.increment('http.requests', 1, TAGS)
  const seconds = (performance.now() - started) / 1000
  await target.close()
  return CALLS / seconds
}

const ENDPOINTS = Array.from({ length: 50 }, (_, i) => ({ endpoint: `/api/products/${i}`, method: 'GET' }))

/** One chunk of the 10,000-metric workload: 500 calls over 50 endpoints, all increments or half timings. */
function sendChunk(target: Target, mix: 'increments' | 'mixed'): void {
  for (let i = 0; i < 500; i++) {
    const tags = ENDPOINTS[i % ENDPOINTS.length]!
    if (mix === 'mixed' && i % 2 === 1) target.timing('http.request.duration', i % 300, tags)
    else target.increment('http.requests', 1, tags)
  }
}

/**
 * 10,000 metrics over 50 endpoints, as an app sends them: either all increments (the throughput workload) or half
 * request counts, half request durations. Counted at the receiver.
 */
export async function datagramsPer10k(make: (port: number) => Target, mix: 'increments' | 'mixed') {
  // A receiver of its own: the throughput runs leave datagrams queued in the shared one.
  const receiver = await countingReceiver()
  const target = make(receiver.port)
  for (let chunk = 0; chunk < 20; chunk++) {
    sendChunk(target, mix)
    // Let the receiver drain between chunks: loopback UDP drops what a full socket buffer cannot hold.
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  await target.close()
  await sleep(100)
  await receiver.close()
  return { datagrams: receiver.datagrams, lines: receiver.lines }
}

/** A loopback UDP port nobody reads: the sender pays for every datagram, and no receiver's CPU is counted. */
async function unreadPort(): Promise<number> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const { port } = socket.address()
  await new Promise<void>((resolve) => socket.close(() => resolve()))
  return port
}

/**
 * CPU time (user + system, every thread of the process) to send the 10,000-metric mix, half timings, from client
 * construction to a closed client: calls, formatting, packing and the send syscalls. Sides alternate; the median
 * of each is kept.
 */
async function cpuMsPer10kMixed(sides: Record<'ours' | 'anchor', (port: number) => Target>, rounds = 15) {
  const port = await unreadPort()
  const samples = { ours: [] as number[], anchor: [] as number[] }
  for (let round = -3; round < rounds; round++) {
    for (const side of ['ours', 'anchor'] as const) {
      const started = process.cpuUsage()
      const target = sides[side](port)
      for (let chunk = 0; chunk < 20; chunk++) sendChunk(target, 'mixed')
      await target.close()
      const used = process.cpuUsage(started)
      // The first rounds warm the JIT up on both sides.
      if (round >= 0) samples[side].push((used.user + used.system) / 1000)
    }
  }
  return { ours: percentile(samples.ours, 50), anchor: percentile(samples.anchor, 50) }
}

const datadogThroughput: Bench = {
  name: 'sinks-metrics: datadog',
  async run() {
    const receiver = await countingReceiver()
    try {
      let ours = 0
      let oursUnaggregated = 0
      let anchor = 0
      // Alternate and keep the best of each, so neither side pays for a cold JIT or a GC the other caused.
      for (let round = 0; round < 3; round++) {
        anchor = Math.max(anchor, await callsPerSecond(() => rawHotShots(receiver.port)))
        ours = Math.max(ours, await callsPerSecond(() => ourSink(receiver.port)))
        oursUnaggregated = Math.max(
          oursUnaggregated,
          await callsPerSecond(() => ourSink(receiver.port, false)),
        )
      }
      const packing = {
        ours: await datagramsPer10k((port) => ourSink(port), 'increments'),
        anchor: await datagramsPer10k((port) => rawHotShots(port), 'increments'),
        oursMixed: await datagramsPer10k((port) => ourSink(port), 'mixed'),
        oursMixedSingle: await datagramsPer10k((port) => ourSink(port, true, false), 'mixed'),
        anchorMixed: await datagramsPer10k((port) => rawHotShots(port), 'mixed'),
      }
      const cpu = await cpuMsPer10kMixed({ ours: (port) => ourSink(port), anchor: rawHotShots })
      const cpuSingle = await cpuMsPer10kMixed({
        ours: (port) => ourSink(port, true, false),
        anchor: rawHotShots,
      })
      const perDatagram = (p: { datagrams: number }) => 10_000 / Math.max(1, p.datagrams)
      return [
        {
          figure: 'datadog: 1M increments with tags to loopback UDP',
          unit: 'calls/s',
          ours: Math.round(ours),
          anchor: Math.round(anchor),
          anchorName: 'raw hot-shots, maxBufferSize 1432',
          higherIsBetter: true,
        },
        {
          figure: 'datadog: same, sink with aggregation: false',
          unit: 'calls/s',
          ours: Math.round(oursUnaggregated),
          anchor: Math.round(anchor),
          anchorName: 'raw hot-shots, maxBufferSize 1432',
          higherIsBetter: true,
        },
        {
          figure: 'datadog: datagrams per 10,000 increments (50 endpoints)',
          unit: 'datagrams',
          ours: packing.ours.datagrams,
          anchor: packing.anchor.datagrams,
          anchorName: 'raw hot-shots, maxBufferSize 1432',
          higherIsBetter: false,
        },
        {
          figure: 'datadog: datagrams per 10,000 metrics, half timings',
          unit: 'datagrams',
          ours: packing.oursMixed.datagrams,
          anchor: packing.anchorMixed.datagrams,
          anchorName: 'raw hot-shots, maxBufferSize 1432',
          higherIsBetter: false,
        },
        {
          figure: 'datadog: metrics per datagram, half timings',
          unit: 'metrics',
          ours: perDatagram(packing.oursMixed),
          anchor: perDatagram(packing.anchorMixed),
          anchorName: 'raw hot-shots, maxBufferSize 1432',
          higherIsBetter: true,
        },
        {
          figure: 'datadog: same, sink with multiValue: false',
          unit: 'metrics',
          ours: perDatagram(packing.oursMixedSingle),
          anchor: perDatagram(packing.anchorMixed),
          anchorName: 'raw hot-shots, maxBufferSize 1432',
          higherIsBetter: true,
        },
        {
          figure: 'datadog: CPU to send 10,000 metrics, half timings (median)',
          unit: 'ms',
          ours: cpu.ours,
          anchor: cpu.anchor,
          anchorName: 'raw hot-shots, maxBufferSize 1432',
          higherIsBetter: false,
        },
        {
          figure: 'datadog: same, sink with multiValue: false',
          unit: 'ms',
          ours: cpuSingle.ours,
          anchor: cpuSingle.anchor,
          anchorName: 'raw hot-shots, maxBufferSize 1432',
          higherIsBetter: false,
        },
        {
          figure: 'datadog: lines per datagram, half timings (a packed line holds many values)',
          unit: 'lines',
          ours: packing.oursMixed.lines / Math.max(1, packing.oursMixed.datagrams),
          anchor: packing.anchorMixed.lines / Math.max(1, packing.anchorMixed.datagrams),
          anchorName: 'raw hot-shots, maxBufferSize 1432',
          higherIsBetter: true,
        },
      ]
    } finally {
      await receiver.close()
    }
  },
}

const SERIES_METRICS = 10
const SERIES_PER_METRIC = 1000

/** Median milliseconds of ours and the anchor, measured alternately. */
async function medianMs(runs: number, ours: () => Promise<unknown>, anchor: () => Promise<unknown>) {
  for (let i = 0; i < 3; i++) await Promise.all([ours(), anchor()])
  const samples = { ours: [] as number[], anchor: [] as number[] }
  for (let i = 0; i < runs; i++) {
    for (const side of ['ours', 'anchor'] as const) {
      const started = performance.now()
      await (side === 'ours' ? ours() : anchor())
      samples[side].push(performance.now() - started)
    }
  }
  return { ours: percentile(samples.ours, 50), anchor: percentile(samples.anchor, 50) }
}

/**
 * Nanoseconds per call for ours and the anchor, over `calls` calls per round. Rounds alternate and the best of
 * each side is kept, so neither pays for a cold JIT or a GC the other caused.
 */
function nsPerCall(calls: number, ours: (i: number) => void, anchor: (i: number) => void) {
  const best = { ours: Number.POSITIVE_INFINITY, anchor: Number.POSITIVE_INFINITY }
  for (let round = 0; round < 4; round++) {
    for (const side of ['ours', 'anchor'] as const) {
      const call = side === 'ours' ? ours : anchor
      const started = performance.now()
      for (let i = 0; i < calls; i++) call(i)
      best[side] = Math.min(best[side], ((performance.now() - started) * 1e6) / calls)
    }
  }
  return best
}

const prometheusScrape: Bench = {
  name: 'sinks-metrics: prometheus',
  async run() {
    // 10 counters × 1,000 label sets each (the sink's default per-metric limit) = 10,000 series.
    const ours = prometheusMetrics()
    const registry = new Registry()
    const raw = Array.from(
      { length: SERIES_METRICS },
      (_, m) =>
        new Counter({
          name: `bench_${m}_total`,
          help: 'h',
          labelNames: ['route', 'method'],
          registers: [registry],
        }),
    )
    for (let m = 0; m < SERIES_METRICS; m++) {
      for (let s = 0; s < SERIES_PER_METRIC; s++) {
        ours.increment(`bench.${m}`, 1, { route: `/api/products/${s}`, method: 'GET' })
        raw[m]!.inc({ route: `/api/products/${s}`, method: 'GET' }, 1)
      }
    }
    const request = new Request('http://127.0.0.1/metrics')
    const scrapeMs = await medianMs(
      30,
      async () => (await ours.metricsHandler(request)).text(),
      () => registry.metrics(),
    )

    const tags = { route: '/api/products', method: 'GET', status: 200 }
    const sink = prometheusMetrics()
    const rawRegistry = new Registry()
    const counter = new Counter({
      name: 'http_requests_total',
      help: 'h',
      labelNames: ['route', 'method', 'status'],
      registers: [rawRegistry],
    })
    const histogram = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'h',
      labelNames: ['route', 'method', 'status'],
      buckets: [...OTEL_HTTP_DURATION_BUCKETS],
      registers: [rawRegistry],
    })
    const calls = 1_000_000
    const increment = nsPerCall(
      calls,
      () => sink.increment('http.requests', 1, tags),
      () => counter.inc(tags, 1),
    )
    const timing = nsPerCall(
      calls,
      (i) => sink.timing('http.request.duration', i % 500, tags),
      (i) => histogram.observe(tags, (i % 500) / 1000),
    )
    const anchorName = 'raw prom-client'
    return [
      {
        figure: 'prometheus: scrape of 10,000 series (median)',
        unit: 'ms',
        ours: scrapeMs.ours,
        anchor: scrapeMs.anchor,
        anchorName: `${anchorName} registry.metrics()`,
        higherIsBetter: false,
      },
      {
        figure: 'prometheus: increment with 3 tags',
        unit: 'ns/call',
        ours: increment.ours,
        anchor: increment.anchor,
        anchorName: `${anchorName} counter.inc`,
        higherIsBetter: false,
      },
      {
        figure: 'prometheus: timing with 3 tags',
        unit: 'ns/call',
        ours: timing.ours,
        anchor: timing.anchor,
        anchorName: `${anchorName} histogram.observe`,
        higherIsBetter: false,
      },
    ]
  },
}

export const benches: Bench[] = [datadogThroughput, prometheusScrape]
