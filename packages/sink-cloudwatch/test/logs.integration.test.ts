import { type CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs'
import { type Clock, systemClock } from '@vivr/core'
import { type CloudWatchLogsServer, startCloudWatchLogsServer } from '@vivr/testkit'
import { describeLogDestinationContract } from '@vivr/testkit/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cloudwatchLogs, type DropInfo, ensureLogGroup, type ShutdownRegistry } from '../src/index.js'
import { eventually, jsonLine, loopbackClient, loopbackConfig, readStream } from './helpers.js'

let server: CloudWatchLogsServer
let sdk: CloudWatchLogsClient
let groupCounter = 0
const newGroup = () => `/vivr/test/logs-${++groupCounter}`

beforeAll(async () => {
  server = await startCloudWatchLogsServer()
  sdk = loopbackClient(server)
})
afterAll(async () => {
  sdk.destroy()
  await server.close()
})

function firstMismatch(
  actual: readonly (string | undefined)[],
  expected: readonly string[],
): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} ≠ ${expected.length}`
  const index = expected.findIndex((line, i) => actual[i] !== line)
  return index < 0 ? undefined : `index ${index}: ${actual[index]} ≠ ${expected[index]}`
}

/** The fewest PutLogEvents requests that can carry these lines: ≤ 10,000 events and ≤ 1,048,576 bytes each. */
function fewestBatches(lines: readonly string[]): number {
  let batches = 0
  let count = Number.POSITIVE_INFINITY
  let bytes = 0
  for (const line of lines) {
    const cost = Buffer.byteLength(line) + 26
    if (count + 1 > 10_000 || bytes + cost > 1_048_576) {
      batches++
      count = 0
      bytes = 0
    }
    count++
    bytes += cost
  }
  return batches
}

describeLogDestinationContract('cloudwatchLogs', () => {
  const logGroupName = newGroup()
  return {
    destination: cloudwatchLogs({ logGroupName, clientConfig: loopbackConfig(server), fallback: () => {} }),
    received: () => server.groupEvents(logGroupName).map((e) => e.message),
  }
})

describe('cloudwatchLogs against the loopback endpoint', () => {
  it('delivers 100k lines complete and in order in 10 batches, creating group and stream on the way', async () => {
    const logGroupName = newGroup()
    const destination = cloudwatchLogs({
      logGroupName,
      logStreamName: 'bulk',
      retentionInDays: 30,
      // The loop below writes ~12 MB without yielding; room for all of it keeps the batch count exact.
      maxBufferBytes: 32 * 1024 * 1024,
      clientConfig: loopbackConfig(server),
    })
    const sent = Array.from({ length: 100_000 }, (_, i) => jsonLine(i))
    for (const line of sent) destination.write(line)
    await destination.close()

    const events = await readStream(sdk, logGroupName, 'bulk')
    expect(
      firstMismatch(
        events.map((e) => e.message),
        sent,
      ),
    ).toBeUndefined()
    expect(events.every((e, i) => i === 0 || e.timestamp! >= events[i - 1]!.timestamp!)).toBe(true)
    expect(server.callCount('PutLogEvents', { ok: true })).toBeGreaterThanOrEqual(10)
    const ourCalls = server.calls.filter((c) => c.operation === 'PutLogEvents' && c.events !== undefined)
    expect(
      ourCalls.filter((c) => c.status === 200).reduce((n, c) => n + c.events!, 0),
    ).toBeGreaterThanOrEqual(100_000)
    expect(server.groups.get(logGroupName)?.retentionInDays).toBe(30)
    expect(destination.stats()).toMatchObject({
      written: 100_000,
      delivered: 100_000,
      dropped: 0,
      fallback: 0,
    })
    // Only full batches (the fewest the limits allow) + the first attempt, which found no log group.
    expect(destination.stats().requests).toBe(1 + fewestBatches(sent))
  })

  it('keeps each instance in its own daily stream, complete and in order', async () => {
    const logGroupName = newGroup()
    const make = (instanceId: string) =>
      cloudwatchLogs({ logGroupName, instanceId, clientConfig: loopbackConfig(server), flushIntervalMs: 50 })
    const web1 = make('web-1')
    const web2 = make('web-2')
    const sent1: string[] = []
    const sent2: string[] = []
    for (let i = 0; i < 20_000; i++) {
      sent1.push(jsonLine(i, { instance: 1 }))
      sent2.push(jsonLine(i, { instance: 2 }))
      web1.write(sent1[i]!)
      web2.write(sent2[i]!)
    }
    await Promise.all([web1.close(), web2.close()])
    const today = new Date().toISOString().slice(0, 10)
    expect([...server.groups.get(logGroupName)!.streams.keys()].sort()).toEqual([
      `${today}/web-1`,
      `${today}/web-2`,
    ])
    const read1 = await readStream(sdk, logGroupName, `${today}/web-1`)
    const read2 = await readStream(sdk, logGroupName, `${today}/web-2`)
    expect(
      firstMismatch(
        read1.map((e) => e.message),
        sent1,
      ),
    ).toBeUndefined()
    expect(
      firstMismatch(
        read2.map((e) => e.message),
        sent2,
      ),
    ).toBeUndefined()
  })

  it('rolls over to the next day’s stream at midnight UTC', async () => {
    const logGroupName = newGroup()
    const midnight = Math.floor(Date.now() / 86_400_000) * 86_400_000
    let now = midnight - 1
    const clock: Clock = { ...systemClock, now: () => now }
    const destination = cloudwatchLogs({
      logGroupName,
      instanceId: 'web-1',
      clock,
      clientConfig: loopbackConfig(server),
    })
    destination.write(jsonLine(1))
    now = midnight
    destination.write(jsonLine(2))
    await destination.close()
    const day = (t: number) => new Date(t).toISOString().slice(0, 10)
    expect(server.events(logGroupName, `${day(midnight - 1)}/web-1`).map((e) => e.message)).toEqual([
      jsonLine(1),
    ])
    expect(server.events(logGroupName, `${day(midnight)}/web-1`).map((e) => e.message)).toEqual([jsonLine(2)])
    expect(server.events(logGroupName, `${day(midnight)}/web-1`)[0]!.timestamp).toBe(midnight)
  })

  it('sends a partial batch after flushIntervalMs without being asked', async () => {
    const logGroupName = newGroup()
    const destination = cloudwatchLogs({
      logGroupName,
      logStreamName: 'timer',
      flushIntervalMs: 100,
      clientConfig: loopbackConfig(server),
    })
    for (let i = 0; i < 3; i++) destination.write(jsonLine(i))
    expect(server.events(logGroupName, 'timer')).toEqual([])
    await eventually(() => expect(server.events(logGroupName, 'timer')).toHaveLength(3), 3000)
    await destination.close()
  })

  it('cuts a non-JSON event over 256 KB at a character boundary, with a marker, and delivers it', async () => {
    const logGroupName = newGroup()
    const destination = cloudwatchLogs({
      logGroupName,
      logStreamName: 'big',
      clientConfig: loopbackConfig(server),
    })
    destination.write(`big: ${'日本語'.repeat(50_000)}`)
    destination.write(`{"almost json": ${'日本語'.repeat(50_000)}`)
    destination.write(jsonLine(1))
    await destination.close()
    const [big, almost, small] = server.events(logGroupName, 'big')
    for (const event of [big!, almost!]) {
      expect(Buffer.byteLength(event.message) + 26).toBeLessThanOrEqual(262_144)
      expect(event.message).not.toContain('\ufffd')
    }
    expect(big!.message).toMatch(/^big: (日本語)+.{0,2} …\[truncated \d+ bytes\]$/u)
    expect(almost!.message).toMatch(/^\{"almost json": (日本語)+.{0,2} …\[truncated \d+ bytes\]$/u)
    expect(small!.message).toBe(jsonLine(1))
    expect(destination.stats().truncated).toBe(2)
  })

  it('keeps a 1 MB JSON line one parseable object under the limit, level and timestamp intact', async () => {
    const logGroupName = newGroup()
    const destination = cloudwatchLogs({
      logGroupName,
      logStreamName: 'big-json',
      clientConfig: loopbackConfig(server),
    })
    const line = JSON.stringify({
      level: 'ERROR',
      timestamp: '2026-11-26T20:40:00.000Z',
      message: `checkout failed ${'m'.repeat(300_000)}`,
      requestId: 'req-42',
      blob: '日本語'.repeat(100_000),
      nested: { body: 'x\n"'.repeat(100_000), n: 7 },
      list: Array.from({ length: 2000 }, (_, i) => ({ i, s: 'y'.repeat(40) })),
    })
    expect(Buffer.byteLength(line)).toBeGreaterThan(1_000_000)
    destination.write(line)
    destination.write(jsonLine(1))
    await destination.close()
    const [big, small] = server.events(logGroupName, 'big-json')
    expect(Buffer.byteLength(big!.message) + 26).toBeLessThanOrEqual(262_144)
    expect(big!.message).not.toContain('\ufffd')
    const parsed = JSON.parse(big!.message)
    expect(parsed).toMatchObject({
      level: 'ERROR',
      timestamp: '2026-11-26T20:40:00.000Z',
      requestId: 'req-42',
    })
    expect(parsed.message).toMatch(/^checkout failed m+ …\[truncated \d+ bytes\]$/)
    expect(parsed.nested.n).toBe(7)
    expect(parsed._truncated.originalBytes).toBe(Buffer.byteLength(line))
    expect(parsed._truncated.removedBytes).toBe(Buffer.byteLength(line) - Buffer.byteLength(big!.message))
    // Much of the budget is still used: the line was cut, not emptied.
    expect(Buffer.byteLength(big!.message)).toBeGreaterThan(200_000)
    expect(small!.message).toBe(jsonLine(1))
    expect(destination.stats().truncated).toBe(1)
  })

  it('cuts a 10 MB JSON line without stalling the loop', async () => {
    const logGroupName = newGroup()
    const destination = cloudwatchLogs({
      logGroupName,
      logStreamName: 'huge-json',
      clientConfig: loopbackConfig(server),
    })
    const line = JSON.stringify({
      level: 'WARN',
      timestamp: '2026-11-26T20:40:00.000Z',
      message: 'huge payload',
      payload: 'p'.repeat(5_000_000),
      fields: Object.fromEntries(
        Array.from({ length: 100_000 }, (_, i) => [`k${i}`, `value ${i} ${'v'.repeat(20)}`]),
      ),
      numbers: Array.from({ length: 200_000 }, (_, i) => i * 1.5),
    })
    expect(Buffer.byteLength(line)).toBeGreaterThan(10_000_000)
    const started = performance.now()
    destination.write(line)
    expect(performance.now() - started).toBeLessThan(1000)
    await destination.close()
    const [event] = server.events(logGroupName, 'huge-json')
    expect(Buffer.byteLength(event!.message) + 26).toBeLessThanOrEqual(262_144)
    expect(JSON.parse(event!.message)).toMatchObject({
      level: 'WARN',
      timestamp: '2026-11-26T20:40:00.000Z',
      message: 'huge payload',
      _truncated: { originalBytes: Buffer.byteLength(line) },
    })
    expect(destination.stats().truncated).toBe(1)
  })

  it('counts and reports events CloudWatch rejects as too old', async () => {
    const logGroupName = newGroup()
    const drops: DropInfo[] = []
    const clock: Clock = { ...systemClock, now: () => Date.now() - 20 * 86_400_000 }
    const destination = cloudwatchLogs({
      logGroupName,
      logStreamName: 'old',
      clock,
      clientConfig: loopbackConfig(server),
      onDrop: (info) => drops.push(info),
      fallback: () => {},
    })
    for (let i = 0; i < 5; i++) destination.write(jsonLine(i))
    await destination.close()
    expect(drops).toEqual([{ count: 5, reason: 'rejected-too-old' }])
    expect(destination.stats()).toMatchObject({ rejected: 5, delivered: 0 })
    expect(server.events(logGroupName, 'old')).toEqual([])
  })

  it('sends lines CloudWatch refuses for good to the fallback, warning once per interval', async () => {
    const logGroupName = newGroup()
    const fallback: string[] = []
    const destination = cloudwatchLogs({
      logGroupName,
      logStreamName: 'denied',
      clientConfig: loopbackConfig(server),
      fallback: (line) => fallback.push(line),
    })
    destination.write(jsonLine(0)) // creates group and stream
    await destination.flush()
    server.inject('access-denied', { times: 2 })
    destination.write(jsonLine(1))
    await destination.flush()
    destination.write(jsonLine(2))
    await destination.flush()
    destination.write(jsonLine(3))
    await destination.close()

    const warnings = fallback.filter((l) => l.includes('"level":"WARN"'))
    expect(warnings).toHaveLength(1)
    expect(JSON.parse(warnings[0]!)).toMatchObject({
      message: expect.stringContaining('refused'),
      error: expect.stringContaining('AccessDeniedException'),
      logGroupName,
    })
    expect(fallback.filter((l) => !l.includes('"level":"WARN"'))).toEqual([jsonLine(1), jsonLine(2)])
    expect(server.events(logGroupName, 'denied').map((e) => e.message)).toEqual([jsonLine(0), jsonLine(3)])
    expect(destination.stats()).toMatchObject({ fallback: 2, delivered: 2 })
  })

  it('with createIfMissing: false, a missing group is a permanent error', async () => {
    const fallback: string[] = []
    const destination = cloudwatchLogs({
      logGroupName: '/vivr/test/never-created',
      createIfMissing: false,
      clientConfig: loopbackConfig(server),
      fallback: (line) => fallback.push(line),
    })
    destination.write(jsonLine(0))
    await destination.close()
    expect(server.groups.has('/vivr/test/never-created')).toBe(false)
    expect(fallback).toContain(jsonLine(0))
    expect(fallback.some((l) => l.includes('ResourceNotFoundException'))).toBe(true)
  })

  it('hands lines written after close to the fallback and leaves an injected client usable', async () => {
    const logGroupName = newGroup()
    const fallback: string[] = []
    const client = loopbackClient(server)
    const destination = cloudwatchLogs({ logGroupName, client, fallback: (line) => fallback.push(line) })
    destination.write(jsonLine(0))
    await destination.close()
    destination.write(jsonLine(1))
    expect(fallback).toEqual([jsonLine(1)])
    await expect(
      client.send(new CreateLogGroupCommand({ logGroupName: `${logGroupName}-after` })),
    ).resolves.toBeDefined()
    client.destroy()
  })

  it('takes the region from AWS_REGION when none is given', async () => {
    const logGroupName = newGroup()
    const { region: _region, ...withoutRegion } = loopbackConfig(server)
    const previous = process.env.AWS_REGION
    process.env.AWS_REGION = 'eu-west-3'
    try {
      const destination = cloudwatchLogs({ logGroupName, logStreamName: 'r', clientConfig: withoutRegion })
      destination.write(jsonLine(0))
      await destination.close()
    } finally {
      if (previous === undefined) delete process.env.AWS_REGION
      else process.env.AWS_REGION = previous
    }
    expect(server.events(logGroupName, 'r')).toHaveLength(1)
    const regions = server.calls.filter((c) => c.logGroupName === logGroupName).map((c) => c.region)
    expect(new Set(regions)).toEqual(new Set(['eu-west-3']))
  })

  it('registers close() with a lifecycle', async () => {
    const logGroupName = newGroup()
    const hooks: Array<{ name: string; hook: () => unknown; timeoutMs?: number }> = []
    const lifecycle: ShutdownRegistry = {
      onShutdown: (name, hook, options) => hooks.push({ name, hook, timeoutMs: options?.timeoutMs }),
    }
    const destination = cloudwatchLogs({
      logGroupName,
      logStreamName: 'hooked',
      lifecycle,
      flushTimeoutMs: 3000,
      clientConfig: loopbackConfig(server),
    })
    destination.write(jsonLine(0))
    expect(hooks).toHaveLength(1)
    expect(hooks[0]!.timeoutMs).toBeGreaterThan(3000)
    await hooks[0]!.hook()
    expect(server.events(logGroupName, 'hooked').map((e) => e.message)).toEqual([jsonLine(0)])
  })
})

describe('ensureLogGroup', () => {
  it('creates the guide’s group with 30-day retention and is idempotent', async () => {
    const first = await ensureLogGroup({
      logGroupName: '/vivr/production/app',
      clientConfig: loopbackConfig(server),
    })
    server.groups.get('/vivr/production/app')!.retentionInDays = 7
    const second = await ensureLogGroup({ logGroupName: '/vivr/production/app', client: sdk })
    expect(first).toEqual({ created: true })
    expect(second).toEqual({ created: false })
    expect(server.groups.get('/vivr/production/app')?.retentionInDays).toBe(30)
  })

  it('throws what CloudWatch says about anything else', async () => {
    server.inject('access-denied', { operation: 'CreateLogGroup' })
    await expect(ensureLogGroup({ logGroupName: '/vivr/denied', client: sdk })).rejects.toMatchObject({
      name: 'AccessDeniedException',
    })
    await expect(
      ensureLogGroup({ logGroupName: '/vivr/x', retentionInDays: 45, client: sdk }),
    ).rejects.toThrow('retentionInDays')
  })
})
