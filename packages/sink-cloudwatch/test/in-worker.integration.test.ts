import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { OptionError } from '@vivr/core'
import { type CloudWatchLogsServer, memoryLogger, startCloudWatchLogsServer } from '@vivr/testkit'
import { describeLogDestinationContract } from '@vivr/testkit/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CloudWatchLogsWorkerOptions, startLogWorker } from '../src/in-worker.js'
import { cloudwatchLogsInWorker, type DropInfo } from '../src/index.js'
import { eventually, jsonLine, loopbackClient, loopbackConfig, readStream } from './helpers.js'

let server: CloudWatchLogsServer
let sdk: CloudWatchLogsClient
let groupCounter = 0
const newGroup = () => `/vivr/test/in-worker-${++groupCounter}`

beforeAll(async () => {
  server = await startCloudWatchLogsServer()
  sdk = loopbackClient(server)
})
afterAll(async () => {
  sdk.destroy()
  await server.close()
})

// The worker builds its own client from plain data: one attempt, as the destination retries itself.
const plainConfig = () => loopbackConfig(server)

/** A test worker from ./fixtures, in place of the real one. */
const fixtureWorker = (name: string) => ({
  url: pathToFileURL(join(import.meta.dirname, 'fixtures', name)),
  typescript: true,
})

describeLogDestinationContract('cloudwatchLogsInWorker', () => {
  const logGroupName = newGroup()
  return {
    destination: cloudwatchLogsInWorker({ logGroupName, clientConfig: plainConfig(), fallback: () => {} }),
    received: () => server.groupEvents(logGroupName).map((e) => e.message),
  }
})

describe('cloudwatchLogsInWorker against the loopback endpoint', () => {
  it('delivers 100k lines complete and in order; flush() resolves once they are stored', async () => {
    const logGroupName = newGroup()
    const destination = cloudwatchLogsInWorker({
      logGroupName,
      logStreamName: 'bulk',
      // The loop below writes ~12 MB without yielding: room for all of it on both sides keeps every line.
      handoffBufferBytes: 32 * 1024 * 1024,
      maxBufferBytes: 32 * 1024 * 1024,
      clientConfig: plainConfig(),
    })
    const sent = Array.from({ length: 100_000 }, (_, i) => jsonLine(i))
    for (const line of sent) destination.write(line)
    await destination.flush()
    expect(server.events(logGroupName, 'bulk')).toHaveLength(100_000)
    expect(destination.stats()).toMatchObject({
      written: 100_000,
      delivered: 100_000,
      dropped: 0,
      fallback: 0,
      bufferedEvents: 0,
    })
    await destination.close()
    const messages = (await readStream(sdk, logGroupName, 'bulk')).map((e) => e.message)
    expect(messages).toEqual(sent)
  })

  it('runs the user’s fallback, onDrop and logger on this thread: refusals, rejections and warnings', async () => {
    const future = await startCloudWatchLogsServer({ now: () => Date.now() + 20 * 86_400_000 })
    try {
      const logGroupName = newGroup()
      const drops: DropInfo[] = []
      const fallen: string[] = []
      const logger = memoryLogger()
      const destination = cloudwatchLogsInWorker({
        logGroupName,
        logStreamName: 'callbacks',
        maxRetryDelayMs: 100,
        clientConfig: loopbackConfig(future),
        onDrop: (info) => drops.push(info),
        fallback: (line) => fallen.push(line),
        logger,
      })
      destination.write(jsonLine(0))
      await destination.flush() // group and stream created; the event is too old for this server
      expect(drops).toEqual([{ count: 1, reason: 'rejected-too-old' }])

      future.inject('throttling')
      destination.write(jsonLine(1))
      await destination.flush()
      future.inject('access-denied')
      destination.write(jsonLine(2))
      await destination.flush()
      expect(fallen).toEqual([jsonLine(2)])
      const warnings = logger.find({ level: 'WARN' }).map((l) => l.message)
      expect(warnings).toContain('CloudWatch Logs unavailable; retrying')
      expect(warnings).toContain('CloudWatch Logs refused the batch; lines written to the fallback')
      expect(destination.stats()).toMatchObject({ written: 3, rejected: 2, fallback: 1, retries: 1 })
      await destination.close()
    } finally {
      await future.close()
    }
  })

  it('fits a line over the event limit on this thread, as one JSON object, and counts it', async () => {
    const logGroupName = newGroup()
    const destination = cloudwatchLogsInWorker({
      logGroupName,
      logStreamName: 'big',
      clientConfig: plainConfig(),
    })
    const line = JSON.stringify({ level: 'INFO', message: 'big', blob: 'b'.repeat(400_000) })
    destination.write(line)
    await destination.close()
    const [event] = server.events(logGroupName, 'big')
    expect(Buffer.byteLength(event!.message)).toBeLessThanOrEqual(262_144 - 26)
    expect(JSON.parse(event!.message)).toMatchObject({
      message: 'big',
      _truncated: { originalBytes: Buffer.byteLength(line) },
    })
    expect(destination.stats()).toMatchObject({ written: 1, truncated: 1, delivered: 1 })
  })

  it('checks its options here, before any thread starts', () => {
    const make = (options: Partial<CloudWatchLogsWorkerOptions> & Record<string, unknown>) => () =>
      cloudwatchLogsInWorker({ logGroupName: '/vivr/test/options', ...options })
    expect(make({ logGroupName: 'bad name!' })).toThrow(OptionError)
    expect(make({ handoffBufferBytes: 1000 })).toThrow('Invalid option handoffBufferBytes')
    expect(make({ client: loopbackClient(server) })).toThrow('Invalid option client')
    expect(make({ clock: { now: Date.now, setTimeout, clearTimeout } })).toThrow('Invalid option clock')
    expect(
      make({ clientConfig: { credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }) } }),
    ).toThrow('Invalid option clientConfig.credentials')
    expect(make({ clientConfig: { requestHandler: new (class Handler {})() } })).toThrow(
      'Invalid option clientConfig.requestHandler',
    )
  })
})

describe('cloudwatchLogsInWorker when its worker misbehaves', () => {
  it('a worker that takes nothing: the hand-off stays bounded, drops are counted, flush() and close() end', async () => {
    const drops: DropInfo[] = []
    const fallen: string[] = []
    const destination = startLogWorker(
      {
        logGroupName: newGroup(),
        handoffBufferBytes: 1024 * 1024,
        flushTimeoutMs: 300,
        onDrop: (info) => drops.push(info),
        fallback: (line) => fallen.push(line),
      },
      fixtureWorker('stalled-log-worker.ts'),
    )
    const line = JSON.stringify({ level: 'INFO', message: 'x'.repeat(1000) })
    const started = performance.now()
    for (let i = 0; i < 2000; i++) destination.write(line) // ~2 MB into 1 MiB
    expect(performance.now() - started).toBeLessThan(1000) // never waits for the worker
    const { written, dropped, bufferedEvents, bufferedBytes } = destination.stats()
    expect(written).toBe(2000)
    expect(dropped).toBeGreaterThan(900)
    expect(bufferedEvents).toBe(2000 - dropped)
    expect(bufferedBytes).toBeLessThanOrEqual(1024 * 1024)
    expect(drops.every((d) => d.reason === 'buffer-full')).toBe(true)
    expect(drops.reduce((n, d) => n + d.count, 0)).toBe(dropped)

    const flushStarted = performance.now()
    await destination.flush()
    await destination.close()
    expect(performance.now() - flushStarted).toBeLessThan(300 + 1000 + 300 + 2000 + 1000 + 1000)
    // What the worker never took goes to the fallback: nothing accepted is lost silently.
    const lines = fallen.filter((l) => l === line)
    expect(lines).toHaveLength(2000 - dropped)
    expect(destination.stats()).toMatchObject({ fallback: 2000 - dropped, bufferedEvents: 0 })
  })

  it('an uncaught exception in the worker: it delivers what it holds and ends; the host carries on', async () => {
    const logGroupName = newGroup()
    const fallen: string[] = []
    const destination = startLogWorker(
      { logGroupName, logStreamName: 'throw', clientConfig: plainConfig(), fallback: (l) => fallen.push(l) },
      fixtureWorker('failing-log-worker.ts'),
    )
    for (let i = 0; i < 100; i++) destination.write(jsonLine(i))
    await eventually(() => expect(server.events(logGroupName, 'throw')).toHaveLength(100), 15_000)
    await eventually(() => {
      const warning = fallen.find((l) => l.includes('CloudWatch Logs worker thread ended (exit code 1)'))
      expect(JSON.parse(warning ?? '{}')).toMatchObject({ error: 'worker failure on purpose', lost: 0 })
    }, 15_000)
    // Later lines go to the fallback, counted.
    destination.write(jsonLine(100))
    expect(fallen.at(-1)).toBe(jsonLine(100))
    await destination.flush()
    await destination.close()
    expect(destination.stats()).toMatchObject({ delivered: 100, dropped: 0, bufferedEvents: 0 })
    expect(destination.stats().fallback).toBeGreaterThanOrEqual(1)
  })

  it('a worker that dies holding lines: they are counted as lost (worker-failed), later lines go to the fallback', async () => {
    const drops: DropInfo[] = []
    const fallen: string[] = []
    const destination = startLogWorker(
      {
        logGroupName: newGroup(),
        logStreamName: 'exit',
        flushIntervalMs: 60_000,
        clientConfig: plainConfig(),
        onDrop: (info) => drops.push(info),
        fallback: (line) => fallen.push(line),
      },
      fixtureWorker('failing-log-worker.ts'),
    )
    for (let i = 0; i < 100; i++) destination.write(jsonLine(i))
    await eventually(() => expect(drops).toEqual([{ count: 100, reason: 'worker-failed' }]), 15_000)
    expect(fallen.some((l) => l.includes('CloudWatch Logs worker thread ended (exit code 3)'))).toBe(true)
    destination.write(jsonLine(100))
    expect(fallen.at(-1)).toBe(jsonLine(100))
    await destination.flush()
    await destination.close()
    expect(destination.stats()).toMatchObject({ written: 100, dropped: 100, fallback: 1, bufferedEvents: 0 })
  })
})
