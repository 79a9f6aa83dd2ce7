import { spawn } from 'node:child_process'
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
import { cloudwatchLogs } from '@vivr/sink-cloudwatch'
import { type CloudWatchLogsServer, startCloudWatchLogsServer } from '@vivr/testkit'
import type { Bench } from './lib.js'

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

async function childEndpoint(): Promise<Endpoint> {
  const child = spawn(
    process.execPath,
    ['--conditions=@vivr/source', '--import', 'tsx', '--input-type=module', '-e', CHILD_ENDPOINT],
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

const throughput: Bench = {
  name: 'sinks-logs: logger throughput with the CloudWatch destination',
  async run() {
    const server = await childEndpoint()
    const LINES = 200_000
    const context = { userId: 'u_42', orderId: 'ord_123', endpoint: '/api/orders', duration: 182 }
    async function linesPerSecond(destinations: LogDestination[]) {
      const logger = createLogger({ service: 'bench', environment: 'bench', destinations })
      const started = performance.now()
      for (let i = 0; i < LINES; i++) {
        logger.info('Order created', context)
        if (i % 1000 === 0) await yieldToLoop()
      }
      return LINES / ((performance.now() - started) / 1000)
    }
    try {
      await linesPerSecond([fileDestination('/dev/null')]) // warm-up for the logger itself
      const stdoutOnly = await linesPerSecond([fileDestination('/dev/null')])
      const cloudwatch = cloudwatchLogs({
        logGroupName: '/vivr/bench/throughput',
        clientConfig: config(server),
        fallback: () => {},
      })
      // Warm up: the SDK loads its HTTP handler and signer on the first request; that is start-up, not throughput.
      cloudwatch.write(shortLine(-1))
      await cloudwatch.flush()
      const withCloudWatch = await linesPerSecond([fileDestination('/dev/null'), cloudwatch])
      await cloudwatch.close()
      const { delivered, dropped, requests: calls } = cloudwatch.stats()
      return [
        {
          figure: `logger.info lines/s, stdout + CloudWatch vs stdout only (${delivered} delivered in ${calls} requests, ${dropped} dropped)`,
          unit: 'lines/s',
          ours: Math.round(withCloudWatch),
          anchor: Math.round(stdoutOnly),
          anchorName: 'same logger, stdout (/dev/null) only',
          higherIsBetter: true,
        },
      ]
    } finally {
      await server.close()
    }
  },
}

// Each side runs in its own process (RSS is per process; what ran before would blur it), with the endpoint down.
const OUTAGE_CHILD = (side: 'ours' | 'naive', endpoint: string) => `
import { cloudwatchLogs } from '@vivr/sink-cloudwatch'
const LINES = 1_000_000
const line = (i) => '{"level":"INFO","message":"order ' + i + ' created"}'
const destination = cloudwatchLogs({
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
  if ('${side}' === 'ours') destination.write(line(i))
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

async function outageRun(side: 'ours' | 'naive', endpoint: string) {
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--conditions=@vivr/source',
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      OUTAGE_CHILD(side, endpoint),
    ],
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
      const naive = await outageRun('naive', server.endpoint)
      return [
        {
          figure: `RSS growth, endpoint down, 1M lines, cap 8 MiB (goal ≤ 40 MiB; ${ours.dropped} dropped, ${Math.round(ours.bufferedBytes / 1024)} KiB held)`,
          unit: 'MiB',
          ours: Math.round((ours.growth / MiB) * 10) / 10,
          anchor: Math.round((naive.growth / MiB) * 10) / 10,
          anchorName: 'unbounded batch buffer (own process too)',
          higherIsBetter: false,
        },
      ]
    } finally {
      await server.close()
    }
  },
}

export const benches: Bench[] = [requests, throughput, outage]
