import { createSocket } from 'node:dgram'
import { datadogMetrics } from '@vivr/sink-datadog'
import { StatsD } from 'hot-shots'
import { type Bench, sleep } from './lib.js'

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
  return {
    port: socket.address().port,
    reset() {
      datagrams = 0
      lines = 0
    },
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

interface Increments {
  increment(name: string, value: number, tags: Record<string, string>): void
  close(): Promise<void>
}

function rawHotShots(port: number): Increments {
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
    close: () => new Promise<void>((resolve) => client.close(() => resolve())),
  }
}

function ourSink(port: number, aggregation = true): Increments {
  const sink = datadogMetrics({
    host: '127.0.0.1',
    port,
    prefix: 'vivr.',
    globalTags: GLOBAL_TAGS,
    aggregation,
  })
  return { increment: (name, value, tags) => sink.increment(name, value, tags), close: () => sink.close() }
}

async function callsPerSecond(make: () => Increments): Promise<number> {
  const target = make()
  for (let i = 0; i < 10_000; i++) target.increment('http.requests', 1, TAGS)
  const started = performance.now()
  for (let i = 0; i < CALLS; i++) target.increment('http.requests', 1, TAGS)
  const seconds = (performance.now() - started) / 1000
  await target.close()
  return CALLS / seconds
}

async function datagramsPer10k(
  make: () => Increments,
  receiver: Awaited<ReturnType<typeof countingReceiver>>,
) {
  receiver.reset()
  const target = make()
  for (let chunk = 0; chunk < 20; chunk++) {
    for (let i = 0; i < 500; i++) target.increment('http.requests', 1, TAGS)
    // Let the receiver drain between chunks: loopback UDP drops what a full socket buffer cannot hold.
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  await target.close()
  await sleep(100)
  return { datagrams: receiver.datagrams, lines: receiver.lines }
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
      const oursPacking = await datagramsPer10k(() => ourSink(receiver.port), receiver)
      const anchorPacking = await datagramsPer10k(() => rawHotShots(receiver.port), receiver)
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
          figure: 'datadog: datagrams per 10,000 metrics',
          unit: 'datagrams',
          ours: oursPacking.datagrams,
          anchor: anchorPacking.datagrams,
          anchorName: 'raw hot-shots, maxBufferSize 1432',
          higherIsBetter: false,
        },
        {
          figure: 'datadog: lines per datagram (received)',
          unit: 'lines',
          ours: oursPacking.lines / Math.max(1, oursPacking.datagrams),
          anchor: anchorPacking.lines / Math.max(1, anchorPacking.datagrams),
          anchorName: 'raw hot-shots, maxBufferSize 1432',
          higherIsBetter: true,
        },
      ]
    } finally {
      await receiver.close()
    }
  },
}

export const benches: Bench[] = [datadogThroughput]
