import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { type CloudWatchLogsServer, startCloudWatchLogsServer } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cloudwatchLogs } from '../src/index.js'
import { eventually, jsonLine, loopbackClient, loopbackConfig, readStream } from './helpers.js'

let server: CloudWatchLogsServer
let sdk: CloudWatchLogsClient
let groupCounter = 0
const newGroup = () => `/vivr/test/faults-${++groupCounter}`

beforeAll(async () => {
  server = await startCloudWatchLogsServer()
  sdk = loopbackClient(server)
})
afterAll(async () => {
  sdk.destroy()
  await server.start()
  await server.close()
})

const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve))

describe('cloudwatchLogs through faults', () => {
  it('retries throttling, 5xx, resets and slow answers until every line is delivered once, in order', async () => {
    const logGroupName = newGroup()
    const warnings: string[] = []
    const destination = cloudwatchLogs({
      logGroupName,
      logStreamName: 'faulty',
      // Generous: a normal request must never time out here (it would be stored and sent again: a duplicate).
      requestTimeoutMs: 3000,
      maxRetryDelayMs: 200,
      flushTimeoutMs: 15_000,
      clientConfig: loopbackConfig(server),
      fallback: (line) => warnings.push(line),
    })
    destination.write(jsonLine(-1))
    await destination.flush() // group and stream exist from here on
    server.inject('throttling', { times: 2 })
    server.inject('server-error')
    server.inject('service-unavailable')
    server.inject('connection-reset', { times: 2 })
    server.inject({ kind: 'slow', delayMs: 6000 })
    const sent = [jsonLine(-1)]
    for (let i = 0; i < 30_000; i++) {
      sent.push(jsonLine(i))
      destination.write(sent.at(-1)!)
      if (i % 1000 === 0) await yieldToLoop()
    }
    await destination.close()

    const messages = (await readStream(sdk, logGroupName, 'faulty')).map((e) => e.message)
    expect(messages.length).toBe(sent.length)
    expect(messages).toEqual(sent)
    const failed = () =>
      server.calls.filter(
        (c) => c.logGroupName === logGroupName && c.operation === 'PutLogEvents' && c.status !== 200,
      )
    // The slow request is answered (to nobody) only after its delay.
    await eventually(() => expect(failed().at(-1)?.error).toBe('client-gone'), 8000)
    expect(failed().map((c) => c.error)).toEqual([
      'ResourceNotFoundException',
      'ThrottlingException',
      'ThrottlingException',
      'InternalFailure',
      'ServiceUnavailableException',
      'connection-reset',
      'connection-reset',
      'client-gone',
    ])
    expect(destination.stats()).toMatchObject({ retries: 7, delivered: sent.length, fallback: 0, dropped: 0 })
    // Retry warnings are rate-limited: one per kind per interval.
    expect(warnings.filter((w) => w.includes('retrying'))).toHaveLength(1)
  }, 40_000)

  it('recreates a stream deleted under it and goes on delivering', async () => {
    const logGroupName = newGroup()
    const destination = cloudwatchLogs({
      logGroupName,
      logStreamName: 'fragile',
      clientConfig: loopbackConfig(server),
    })
    destination.write(jsonLine(1))
    await destination.flush()
    server.inject('stream-deleted')
    destination.write(jsonLine(2))
    destination.write(jsonLine(3))
    await destination.close()
    expect(server.events(logGroupName, 'fragile').map((e) => e.message)).toEqual([jsonLine(2), jsonLine(3)])
    expect(server.callCount('CreateLogStream', { ok: true })).toBeGreaterThanOrEqual(2)
  })

  it('endpoint down: memory stays under the cap, drops are counted, delivery resumes after recovery', async () => {
    const logGroupName = newGroup()
    const maxBufferBytes = 2 * 1024 * 1024
    let droppedByCallback = 0
    const destination = cloudwatchLogs({
      logGroupName,
      logStreamName: 'outage',
      maxBufferBytes,
      maxRetryDelayMs: 100,
      flushTimeoutMs: 10_000,
      clientConfig: loopbackConfig(server),
      onDrop: (info) => {
        if (info.reason === 'buffer-full') droppedByCallback += info.count
      },
      fallback: () => {},
    })
    await server.stop()
    let peak = 0
    const total = 60_000 // ~7 MB of lines: more than three times the cap
    for (let i = 0; i < total; i++) {
      destination.write(jsonLine(i))
      peak = Math.max(peak, destination.stats().bufferedBytes)
      if (i % 2000 === 0) await yieldToLoop()
    }
    const during = destination.stats()
    expect(peak).toBeLessThanOrEqual(maxBufferBytes)
    expect(during.dropped).toBeGreaterThan(30_000)
    expect(droppedByCallback).toBe(during.dropped)
    expect(during.delivered).toBe(0)
    await eventually(() => expect(destination.stats().retries).toBeGreaterThan(0))

    await server.start()
    await destination.flush()
    const after = destination.stats()
    expect(after.bufferedEvents).toBe(0)
    expect(after.delivered).toBe(total - after.dropped)
    const indexes = server.events(logGroupName, 'outage').map((e) => JSON.parse(e.message).i as number)
    expect(indexes).toHaveLength(after.delivered)
    expect(indexes.every((value, k) => k === 0 || value > indexes[k - 1]!)).toBe(true)
    expect(indexes.at(-1)).toBe(total - 1) // the newest lines are the ones kept
    await destination.close()
  })

  it('close() during an outage returns within its bound and hands what is left to the fallback', async () => {
    const logGroupName = newGroup()
    const fallback: string[] = []
    const destination = cloudwatchLogs({
      logGroupName,
      flushTimeoutMs: 500,
      maxRetryDelayMs: 100,
      clientConfig: loopbackConfig(server),
      fallback: (line) => fallback.push(line),
    })
    await server.stop()
    try {
      const sent = Array.from({ length: 100 }, (_, i) => jsonLine(i))
      for (const line of sent) destination.write(line)
      const started = Date.now()
      await destination.close()
      expect(Date.now() - started).toBeLessThan(3000)
      expect(fallback.filter((l) => !l.includes('"level":"WARN"'))).toEqual(sent)
      expect(destination.stats()).toMatchObject({ fallback: 100, bufferedEvents: 0 })
    } finally {
      await server.start()
    }
  })

  it('close() during a request that hangs returns within its bound', async () => {
    const logGroupName = newGroup()
    const fallback: string[] = []
    const destination = cloudwatchLogs({
      logGroupName,
      logStreamName: 'hang',
      requestTimeoutMs: 60_000,
      flushTimeoutMs: 500,
      clientConfig: loopbackConfig(server),
      fallback: (line) => fallback.push(line),
    })
    destination.write(jsonLine(0))
    await destination.flush()
    server.inject({ kind: 'slow', delayMs: 20_000 })
    destination.write(jsonLine(1))
    const started = Date.now()
    await destination.close()
    expect(Date.now() - started).toBeLessThan(3000)
    expect(fallback).toContain(jsonLine(1))
    expect(server.events(logGroupName, 'hang').map((e) => e.message)).toEqual([jsonLine(0)])
  })
})
