import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import { type CloudWatchLogsServer, startCloudWatchLogsServer } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loopbackClient, readStream } from './helpers.js'

// The loopback endpoint is the oracle the sink's tests rely on: here it is checked against AWS's documented
// behaviour through the real SDK client.
let server: CloudWatchLogsServer
let client: CloudWatchLogsClient
const group = '/vivr/test/limits'
const stream = 'limits'
const now = Date.now()

beforeAll(async () => {
  server = await startCloudWatchLogsServer()
  client = loopbackClient(server)
  await client.send(new CreateLogGroupCommand({ logGroupName: group }))
  await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }))
})
afterAll(async () => {
  client.destroy()
  await server.close()
})

const put = (logEvents: Array<{ timestamp: number; message: string }>, logStreamName = stream) =>
  client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName, logEvents }))

async function rejection(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(Error)
  return error as Error & { $metadata?: { httpStatusCode?: number } }
}

describe('loopback CloudWatch Logs endpoint (real SDK client)', () => {
  it('speaks AWS JSON 1.1 and stores events', async () => {
    const response = await put([{ timestamp: now, message: 'hello' }])
    expect(response.nextSequenceToken).toBeTypeOf('string')
    expect(response.rejectedLogEventsInfo).toBeUndefined()
    expect(server.events(group, stream).map((e) => e.message)).toContain('hello')
    expect(server.calls.at(-1)).toMatchObject({ operation: 'PutLogEvents', status: 200, events: 1 })
  })

  it('answers ResourceNotFoundException for a missing group or stream, AlreadyExists for duplicates', async () => {
    const missingStream = await rejection(put([{ timestamp: now, message: 'x' }], 'nope'))
    expect(missingStream.name).toBe('ResourceNotFoundException')
    expect(missingStream.message).toBe('The specified log stream does not exist.')
    const missingGroup = await rejection(
      client.send(new CreateLogStreamCommand({ logGroupName: '/nope', logStreamName: 's' })),
    )
    expect(missingGroup.name).toBe('ResourceNotFoundException')
    const duplicate = await rejection(client.send(new CreateLogGroupCommand({ logGroupName: group })))
    expect(duplicate.name).toBe('ResourceAlreadyExistsException')
  })

  it('rejects events out of chronological order', async () => {
    const error = await rejection(
      put([
        { timestamp: now, message: 'b' },
        { timestamp: now - 1, message: 'a' },
      ]),
    )
    expect(error.name).toBe('InvalidParameterException')
    expect(error.message).toMatch(/chronological order/)
    expect(error.$metadata?.httpStatusCode).toBe(400)
  })

  it('rejects more than 10,000 events', async () => {
    const events = Array.from({ length: 10_001 }, (_, i) => ({ timestamp: now, message: `m${i}` }))
    expect((await rejection(put(events))).name).toBe('InvalidParameterException')
    await expect(put(events.slice(0, 10_000))).resolves.toBeDefined()
  })

  it('counts UTF-8 bytes plus 26 per event against 1,048,576', async () => {
    // 4 events of 262,118 bytes + 26 = exactly 1,048,576 → accepted; one more byte → rejected.
    const exact = Array.from({ length: 4 }, () => ({ timestamp: now, message: 'é'.repeat(131_059) }))
    expect(Buffer.byteLength(exact[0]!.message)).toBe(262_118)
    await expect(put(exact)).resolves.toBeDefined()
    const over = [...exact.slice(0, 3), { timestamp: now, message: `${'é'.repeat(131_058)}ab` }]
    const error = await rejection(put([...over, { timestamp: now, message: 'z' }]))
    expect(error.name).toBe('InvalidParameterException')
    expect(error.message).toMatch(/Upload too large: \d+ bytes exceeds limit of 1048576/)
  })

  it('rejects a single event over 256 KB', async () => {
    const error = await rejection(put([{ timestamp: now, message: 'x'.repeat(262_119) }]))
    expect(error.message).toMatch(/Log event too large/)
  })

  it('rejects a batch spanning more than 24 hours', async () => {
    const day = 86_400_000
    await expect(
      put([
        { timestamp: now - day, message: 'a' },
        { timestamp: now, message: 'b' },
      ]),
    ).resolves.toBeDefined()
    const error = await rejection(
      put([
        { timestamp: now - day - 1, message: 'a' },
        { timestamp: now, message: 'b' },
      ]),
    )
    expect(error.message).toMatch(/cannot span more than 24 hours/)
  })

  it('reports too-old and too-new events in rejectedLogEventsInfo and keeps the rest', async () => {
    await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'rejects' }))
    const response = await put(
      [
        { timestamp: now - 15 * 86_400_000, message: 'ancient' },
        { timestamp: now - 3_600_000, message: 'fine' },
        { timestamp: now + 3 * 3_600_000, message: 'future' },
      ],
      'rejects',
    )
    expect(response.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1, tooNewLogEventStartIndex: 2 })
    expect(server.events(group, 'rejects').map((e) => e.message)).toEqual(['fine'])
  })

  it('validates retention and reports it in DescribeLogGroups', async () => {
    const error = await rejection(
      client.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 31 })),
    )
    expect(error.name).toBe('InvalidParameterException')
    await client.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 30 }))
    const { logGroups } = await client.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: '/vivr/test' }),
    )
    expect(logGroups?.find((g) => g.logGroupName === group)?.retentionInDays).toBe(30)
  })

  it('pages GetLogEvents forward and lists streams', async () => {
    await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'paged' }))
    const sent = Array.from({ length: 25_000 }, (_, i) => ({ timestamp: now + i, message: `p${i}` }))
    for (let i = 0; i < sent.length; i += 10_000) await put(sent.slice(i, i + 10_000), 'paged')
    const read = await readStream(client, group, 'paged')
    expect(read.map((e) => e.message)).toEqual(sent.map((e) => e.message))
    const latest = await client.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: 'paged', limit: 2 }),
    )
    expect(latest.events?.map((e) => e.message)).toEqual(['p24998', 'p24999'])
    const { logStreams } = await client.send(
      new DescribeLogStreamsCommand({ logGroupName: group, logStreamNamePrefix: 'pag' }),
    )
    expect(logStreams).toHaveLength(1)
    expect(logStreams?.[0]).toMatchObject({ logStreamName: 'paged', lastEventTimestamp: now + 24_999 })
  })

  it('injects throttling, server errors and connection resets with the SDK-visible shapes', async () => {
    const single = [{ timestamp: Date.now(), message: 'fault' }]
    server.inject('throttling')
    expect((await rejection(put(single))).name).toBe('ThrottlingException')
    server.inject('server-error')
    const internal = await rejection(put(single))
    expect(internal.$metadata?.httpStatusCode).toBe(500)
    server.inject('access-denied')
    expect((await rejection(put(single))).name).toBe('AccessDeniedException')
    server.inject('connection-reset')
    const reset = await rejection(put(single))
    expect(String((reset as { code?: string }).code ?? reset.message)).toMatch(/ECONNRESET|socket hang up/)
    await expect(put(single)).resolves.toBeDefined()
  })

  it('goes down and comes back on the same port', async () => {
    await server.stop()
    const down = await rejection(put([{ timestamp: Date.now(), message: 'down' }]))
    expect(String((down as { code?: string }).code ?? down.message)).toMatch(/ECONNREFUSED|ECONNRESET/)
    await server.start()
    await expect(put([{ timestamp: Date.now(), message: 'up' }])).resolves.toBeDefined()
  })
})
