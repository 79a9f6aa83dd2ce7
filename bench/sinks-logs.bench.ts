import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import {
  CloudWatchLogsClient,
  type CloudWatchLogsClientConfig,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import type { LogDestination } from '@vivr/core'
import { createLogger, fileDestination } from '@vivr/core/node'
import { cloudwatchLogs, cloudwatchLogsInWorker } from '@vivr/sink-cloudwatch'
import { type CloudWatchLogsServer, startCloudWatchLogsServer } from '@vivr/testkit'
import type { Bench, Figure } from './lib.js'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const MiB = 1024 * 1024

/** A CloudWatch Logs endpoint: in this process, or in a child so its parsing does not count against the sender. */
interface Endpoint {
  endpoint: string
  putCalls(): Promise<number>
  close(): Promise<void>
}

const config = (endpoint: { endpoint: string }): CloudWatchLogsClientConfig => ({
  endpoint: endpoint.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
})

async function inProcessEndpoint(): Promise<Endpoint & { server: CloudWatchLogsServer }> {
  const server = await startCloudWatchLogsServer()
  return {
    server,
    endpoint: server.endpoint,
    putCalls: async () => server.callCount('PutLogEvents'),
    close: () => server.close(),
  }
}

const CHILD_ENDPOINT = `
import { createInterface } from 'node:readline'
import { startCloudWatchLogsServer } from '@vivr/testkit'
const server = await startCloudWatchLogsServer()
console.log(JSON.stringify({ endpoint: server.endpoint }))
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'calls') console.log(JSON.stringify({ calls: server.callCount('PutLogEvents') }))
  if (line === 'close') { await server.close(); process.exit(0) }
}
`

/**
 * An endpoint that answers every call as CloudWatch does when all is well (`{}`) without parsing the body: the
 * stand-in for a remote service, whose CPU is not this machine's. On a machine with few cores, the loopback server's
 * JSON parsing competes with the process measured; this one costs next to nothing.
 */
const LIGHT_ENDPOINT = `
import { createServer } from 'node:http'
import { createInterface } from 'node:readline'
let calls = 0
const server = createServer((request, response) => {
  if (String(request.headers['x-amz-target']).endsWith('.PutLogEvents')) calls++
  request.on('data', () => {})
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
    response.end('{}')
  })
})
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ endpoint: 'http://127.0.0.1:' + server.address().port })))
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'calls') console.log(JSON.stringify({ calls }))
  if (line === 'close') process.exit(0)
}
`

async function childEndpoint(kind: 'loopback' | 'light' = 'loopback'): Promise<Endpoint> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', kind === 'light' ? LIGHT_ENDPOINT : CHILD_ENDPOINT],
    { cwd: join(import.meta.dirname, '..'), stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async () => JSON.parse(String((await lines.next()).value))
  const { endpoint } = await next()
  return {
    endpoint,
    async putCalls() {
      child.stdin.write('calls\n')
      return (await next()).calls
    },
    async close() {
      child.stdin.write('close\n')
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
}

/** A short structured line (~50 bytes). */
const shortLine = (i: number) => `{"level":"INFO","message":"order ${i} created"}`
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve))

/** The guide's lib/cloudwatch-logs.ts, faithfully: one PutLogEvents request per line, failures to the console. */
function guideLogToCloudWatch(client: CloudWatchLogsClient) {
  return async (message: string, level: string) => {
    try {
      await client.send(
        new PutLogEventsCommand({
          logGroupName: '/vivr/production/app',
          logStreamName: `${new Date().toISOString().split('T')[0]}`,
          logEvents: [
            {
              message: JSON.stringify({ timestamp: new Date().toISOString(), level, message }),
              timestamp: Date.now(),
            },
          ],
        }),
      )
    } catch (error) {
      console.error('Failed to write to CloudWatch:', error)
    }
  }
}

async function withGuideGroup(endpoint: Endpoint) {
  const client = new CloudWatchLogsClient(config(endpoint))
  await client.send(new CreateLogGroupCommand({ logGroupName: '/vivr/production/app' })).catch(() => {})
  const stream = new Date().toISOString().split('T')[0]!
  await client
    .send(new CreateLogStreamCommand({ logGroupName: '/vivr/production/app', logStreamName: stream }))
    .catch(() => {})
  return client
}

const GUIDE_SAMPLE = 2000

const requests: Bench = {
  name: 'sinks-logs: 100k lines → PutLogEvents calls',
  async run() {
    const server = await childEndpoint()
    try {
      const destination = cloudwatchLogs({ logGroupName: '/vivr/bench/calls', clientConfig: config(server) })
      const before = await server.putCalls()
      const started = performance.now()
      for (let i = 0; i < 100_000; i++) {
        destination.write(shortLine(i))
        if (i % 1000 === 0) await yieldToLoop() // an app logs between other work
      }
      await destination.close()
      const oursRate = destination.stats().delivered / ((performance.now() - started) / 1000)
      const ours = (await server.putCalls()) - before

      // The guide's path makes one call per line by construction; run it on a sample to show it, then scale.
      const client = await withGuideGroup(server)
      const log = guideLogToCloudWatch(client)
      const guideBefore = await server.putCalls()
      const guideStarted = performance.now()
      for (let i = 0; i < GUIDE_SAMPLE; i++) await log(`order ${i}`, 'INFO')
      const guideRate = GUIDE_SAMPLE / ((performance.now() - guideStarted) / 1000)
      const perLine = ((await server.putCalls()) - guideBefore) / GUIDE_SAMPLE
      client.destroy()
      const { delivered, dropped } = destination.stats()
      return [
        {
          figure: `100k short lines → PutLogEvents calls (goal ≤ 11; ${delivered} delivered, ${dropped} dropped)`,
          unit: 'calls',
          ours,
          anchor: Math.round(perLine * 100_000),
          anchorName: `guide logToCloudWatch (${perLine} call/line, measured on ${GUIDE_SAMPLE} lines)`,
          higherIsBetter: false,
        },
        {
          figure: 'lines stored at the endpoint per second, write → delivered',
          unit: 'lines/s',
          ours: Math.round(oursRate),
          anchor: Math.round(guideRate),
          anchorName: `guide logToCloudWatch, awaited (${GUIDE_SAMPLE} lines)`,
          higherIsBetter: true,
        },
      ]
    } finally {
      await server.close()
    }
  },
}

/**
 * CPU time of this process's main thread, in ms (Linux: /proc/self/task/<pid>/stat, in clock ticks of 10 ms), or
 * undefined elsewhere. What the logger's thread pays, whatever other threads (the worker) do meanwhile.
 */
function mainThreadCpuMs(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

/**
 * logger.info lines/s with stdout only, with CloudWatch on the main thread, and with cloudwatchLogsInWorker. `light`:
 * the endpoint answers without parsing (CloudWatch's CPU is not ours); `loopback`: the testkit server in a child, whose
 * parsing shares this machine's cores with the process measured.
 */
const throughput = (kind: 'light' | 'loopback'): Bench => ({
  name: `sinks-logs: logger throughput with the CloudWatch destination (${kind} endpoint)`,
  async run() {
    const server = await childEndpoint(kind)
    const where =
      kind === 'light' ? 'endpoint answering without parsing' : 'loopback endpoint parsing on this machine'
    const LINES = 200_000
    const ROUNDS = 3
    const context = { userId: 'u_42', orderId: 'ord_123', endpoint: '/api/orders', duration: 182 }
    interface Round {
      linesPerSecond: number
      /** µs of main-thread CPU per line, and of every other thread's (the worker, libuv, GC helpers). */
      mainCpuUs: number | undefined
      otherCpuUs: number
    }
    async function measure(destinations: LogDestination[]): Promise<Round> {
      const logger = createLogger({ service: 'bench', environment: 'bench', destinations })
      const mainBefore = mainThreadCpuMs()
      const before = process.cpuUsage()
      const started = performance.now()
      for (let i = 0; i < LINES; i++) {
        logger.info('Order created', context)
        if (i % 1000 === 0) await yieldToLoop()
      }
      const elapsedMs = performance.now() - started
      const used = process.cpuUsage(before)
      const mainAfter = mainThreadCpuMs()
      const mainMs = mainBefore === undefined || mainAfter === undefined ? undefined : mainAfter - mainBefore
      const totalMs = (used.user + used.system) / 1000
      return {
        linesPerSecond: LINES / (elapsedMs / 1000),
        mainCpuUs: mainMs === undefined ? undefined : (mainMs * 1000) / LINES,
        otherCpuUs: mainMs === undefined ? Number.NaN : (Math.max(0, totalMs - mainMs) * 1000) / LINES,
      }
    }
    try {
      await measure([fileDestination('/dev/null')]) // warm-up for the logger itself
      const clientConfig = config(server)
      const mainThread = cloudwatchLogs({
        logGroupName: '/vivr/bench/throughput',
        clientConfig,
        fallback: () => {},
      })
      const inWorker = cloudwatchLogsInWorker({
        logGroupName: '/vivr/bench/throughput-worker',
        clientConfig,
        fallback: () => {},
      })
      // Warm up: the SDK loads its HTTP handler and signer on the first request (and the worker starts); that is
      // start-up, not throughput.
      for (const destination of [mainThread, inWorker]) {
        destination.write(shortLine(-1))
        await destination.flush()
      }
      // Rounds interleaved (the machine is shared: drift hits every side alike); each side's best round counts.
      // Each CloudWatch round ends with a flush, so its delivery does not spill into the next side's round.
      const sides = {
        stdout: { destinations: [fileDestination('/dev/null')], rounds: [] as Round[] },
        mainThread: { destinations: [fileDestination('/dev/null'), mainThread], rounds: [] as Round[] },
        inWorker: { destinations: [fileDestination('/dev/null'), inWorker], rounds: [] as Round[] },
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (const side of Object.values(sides)) {
          side.rounds.push(await measure(side.destinations))
          await Promise.all(side.destinations.map((d) => d.flush?.()))
        }
      }
      await mainThread.close()
      await inWorker.close()
      const best = (side: { rounds: Round[] }) =>
        side.rounds.reduce((a, b) => (b.linesPerSecond > a.linesPerSecond ? b : a))
      const leastCpu = (side: { rounds: Round[] }) =>
        side.rounds.reduce((a, b) => ((b.mainCpuUs ?? 0) < (a.mainCpuUs ?? 0) ? b : a))
      const summary = (d: typeof mainThread) => {
        const { delivered, dropped, requests: calls } = d.stats()
        return `${delivered} delivered in ${calls} requests, ${dropped} dropped`
      }
      const anchor = Math.round(best(sides.stdout).linesPerSecond)
      const anchorName = 'same logger, stdout (/dev/null) only'
      const cpu = (value: number | undefined) => (value === undefined ? '—' : Math.round(value * 100) / 100)
      const workerCpu = leastCpu(sides.inWorker)
      const figures: Figure[] = [
        {
          figure: `logger.info lines/s, stdout + CloudWatch on the main thread vs stdout only (${where}; ${summary(mainThread)})`,
          unit: 'lines/s',
          ours: Math.round(best(sides.mainThread).linesPerSecond),
          anchor,
          anchorName,
          higherIsBetter: true,
        },
        {
          figure: `logger.info lines/s, stdout + cloudwatchLogsInWorker vs stdout only (goal ≥ 0.85×; ${where}; ${summary(inWorker)})`,
          unit: 'lines/s',
          ours: Math.round(best(sides.inWorker).linesPerSecond),
          anchor,
          anchorName,
          higherIsBetter: true,
        },
      ]
      if (kind === 'loopback') return figures
      figures.push({
        figure: `main-thread CPU per line, stdout + cloudwatchLogsInWorker (other threads: ${cpu(workerCpu.otherCpuUs)} µs; CloudWatch on the main thread: ${cpu(leastCpu(sides.mainThread).mainCpuUs)} µs)`,
        unit: 'µs',
        ours: cpu(workerCpu.mainCpuUs),
        anchor: cpu(leastCpu(sides.stdout).mainCpuUs),
        anchorName: 'stdout only',
        higherIsBetter: false,
      })
      return figures
    } finally {
      await server.close()
    }
  },
})

// Each side runs in its own process (RSS is per process; what ran before would blur it), with the endpoint down.
type OutageSide = 'ours' | 'worker' | 'naive'
const OUTAGE_CHILD = (side: OutageSide, endpoint: string) => `
import { cloudwatchLogs, cloudwatchLogsInWorker } from '@vivr/sink-cloudwatch'
const LINES = 1_000_000
const line = (i) => '{"level":"INFO","message":"order ' + i + ' created"}'
// The worker form: the worker's 8 MiB plus the 4 MiB hand-off, both allocated up front; the worker's own heap counts
// in this process's RSS too.
const destination = ('${side}' === 'worker' ? cloudwatchLogsInWorker : cloudwatchLogs)({
  logGroupName: '/vivr/bench/outage',
  clientConfig: { endpoint: '${endpoint}', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
  maxBufferBytes: 8 * 1024 * 1024,
  flushTimeoutMs: 200,
  fallback: () => {},
})
const naive = []
// Load the SDK's lazily imported parts (HTTP handler, signer) before the baseline: one failed attempt does it.
destination.write('warm-up')
await destination.flush()
globalThis.gc()
const before = process.memoryUsage().rss
let peak = before
for (let i = 0; i < LINES; i++) {
  if ('${side}' !== 'naive') destination.write(line(i))
  else naive.push({ message: line(i), timestamp: Date.now() })
  if (i % 20_000 === 0) {
    await new Promise((resolve) => setImmediate(resolve))
    peak = Math.max(peak, process.memoryUsage().rss)
  }
}
peak = Math.max(peak, process.memoryUsage().rss)
const { dropped, bufferedBytes } = destination.stats()
console.log(JSON.stringify({ growth: peak - before, dropped, bufferedBytes, kept: naive.length }))
await destination.close()
`

async function outageRun(side: OutageSide, endpoint: string) {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', OUTAGE_CHILD(side, endpoint)],
    {
      cwd: join(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  )
  let out = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  await new Promise((resolve) => child.once('exit', resolve))
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
    growth: number
    dropped: number
    bufferedBytes: number
  }
}

const outage: Bench = {
  name: 'sinks-logs: RSS with the endpoint down, 1M lines',
  async run() {
    const { server } = await inProcessEndpoint()
    await server.stop() // connections refused from here on
    try {
      const ours = await outageRun('ours', server.endpoint)
      const worker = await outageRun('worker', server.endpoint)
      const naive = await outageRun('naive', server.endpoint)
      const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10
      return [
        {
          figure: `RSS growth, endpoint down, 1M lines, cap 8 MiB (goal ≤ 40 MiB; ${ours.dropped} dropped, ${Math.round(ours.bufferedBytes / 1024)} KiB held)`,
          unit: 'MiB',
          ours: mib(ours.growth),
          anchor: mib(naive.growth),
          anchorName: 'unbounded batch buffer (own process too)',
          higherIsBetter: false,
        },
        {
          figure: `RSS growth, endpoint down, 1M lines, cloudwatchLogsInWorker: 8 MiB in the worker + 4 MiB hand-off (${worker.dropped} dropped, ${Math.round(worker.bufferedBytes / 1024)} KiB held)`,
          unit: 'MiB',
          ours: mib(worker.growth),
          anchor: mib(naive.growth),
          anchorName: 'unbounded batch buffer (own process too)',
          higherIsBetter: false,
        },
      ]
    } finally {
      await server.close()
    }
  },
}

export const benches: Bench[] = [requests, throughput('light'), throughput('loopback'), outage]
