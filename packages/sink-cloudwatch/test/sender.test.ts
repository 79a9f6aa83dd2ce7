import type { PutLogEventsCommandOutput, RejectedLogEventsInfo } from '@aws-sdk/client-cloudwatch-logs'
import { leaks, thrownValue } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createAccounting } from '../src/accounting.js'
import type { LogsApi } from '../src/client.js'
import type { Batch } from '../src/event-queue.js'
import type { DropInfo } from '../src/logs-options.js'
import { BASE_RETRY_DELAY_MS, createSender, rejectedCounts, retryDelayMs } from '../src/sender.js'
import { manualClock, tick } from './manual-clock.js'

const awsError = (name: string, httpStatusCode = 400, message = name) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode } })

function batchOf(messages: string[], logStreamName = 'stream'): Batch {
  const events = messages.map((message, i) => ({ message, timestamp: 1000 + i }))
  return {
    logStreamName,
    events,
    bytes: messages.reduce((n, m) => n + Buffer.byteLength(m) + 26, 0),
    firstSeq: 1,
    lastSeq: messages.length,
  }
}

type Call = { operation: keyof LogsApi; input: unknown }
/** One scripted answer; every operation's result fits PutLogEvents' output type, so one type serves all four. */
type Answer = (signal: AbortSignal) => Promise<PutLogEventsCommandOutput>

/** A LogsApi answering from a script: each call takes the next answer for its operation (default: success). */
function scriptedApi(script: Partial<Record<keyof LogsApi, Answer[]>>) {
  const calls: Call[] = []
  const answer = (operation: keyof LogsApi) => (input: unknown, signal: AbortSignal) => {
    calls.push({ operation, input })
    const next = script[operation]?.shift()
    return next ? next(signal) : Promise.resolve({ $metadata: {} })
  }
  const api: LogsApi = {
    putLogEvents: answer('putLogEvents'),
    createLogStream: answer('createLogStream'),
    createLogGroup: answer('createLogGroup'),
    putRetentionPolicy: answer('putRetentionPolicy'),
  }
  return { api, calls, operations: () => calls.map((c) => c.operation) }
}

const fail =
  (error: unknown): Answer =>
  () =>
    Promise.reject(error)
const ok =
  (output: Partial<PutLogEventsCommandOutput> = {}): Answer =>
  () =>
    Promise.resolve({ $metadata: {}, ...output })
/** Never answers; rejects when the call is aborted, as the SDK does. */
const hang = (): Answer => (signal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(awsError('AbortError'))))

function setup(api: LogsApi, overrides: { createIfMissing?: boolean; retentionInDays?: number } = {}) {
  const clock = manualClock()
  const shutdown = new AbortController()
  const lines: string[] = []
  const drops: DropInfo[] = []
  const accounting = createAccounting({
    logGroupName: '/vivr/test/sender',
    logger: undefined,
    fallback: (line) => lines.push(line),
    onDrop: (info) => drops.push(info),
    warnIntervalMs: 60_000,
    clock,
  })
  const sender = createSender({
    api,
    logGroupName: '/vivr/test/sender',
    createIfMissing: overrides.createIfMissing ?? true,
    retentionInDays: overrides.retentionInDays,
    requestTimeoutMs: 10_000,
    maxRetryDelayMs: 30_000,
    clock,
    signal: shutdown.signal,
    accounting,
    heldBytes: () => 1234,
    random: () => 0,
  })
  const warnings = () => lines.filter((l) => l.includes('"level":"WARN"')).map((l) => JSON.parse(l))
  const fallbackLines = () => lines.filter((l) => !l.includes('"level":"WARN"'))
  /** Runs `deliver`, firing the clock's timers (backoff waits, request timeouts) whenever it stalls. */
  async function deliver(batch: Batch) {
    let outcome: 'done' | 'abandoned' | undefined
    const running = sender.deliver(batch).then((o) => {
      outcome = o
    })
    for (let stalls = 0; outcome === undefined && stalls < 1000; stalls++) {
      await tick()
      if (outcome === undefined) clock.fireNext()
    }
    await running
    return outcome
  }
  return { clock, shutdown, sender, accounting, drops, warnings, fallbackLines, deliver }
}

describe('createSender', () => {
  it('sends a batch as one PutLogEvents and counts it delivered', async () => {
    const { api, calls } = scriptedApi({})
    const { sender, deliver, clock } = setup(api)
    const batch = batchOf(['a', 'b'])
    expect(await deliver(batch)).toBe('done')
    expect(calls).toEqual([
      {
        operation: 'putLogEvents',
        input: { logGroupName: '/vivr/test/sender', logStreamName: 'stream', logEvents: batch.events },
      },
    ])
    expect({ requests: sender.requests, retries: sender.retries, delivered: sender.delivered }).toEqual({
      requests: 1,
      retries: 0,
      delivered: 2,
    })
    expect(clock.pending).toEqual([]) // the request timeout is cleared
  })

  it('counts and reports the events CloudWatch rejects, delivering the rest', async () => {
    const info: RejectedLogEventsInfo = {
      expiredLogEventEndIndex: 1,
      tooOldLogEventEndIndex: 3,
      tooNewLogEventStartIndex: 4,
    }
    const { api } = scriptedApi({ putLogEvents: [ok({ rejectedLogEventsInfo: info })] })
    const { sender, accounting, drops, warnings, deliver } = setup(api)
    expect(await deliver(batchOf(['0', '1', '2', '3', '4', '5']))).toBe('done')
    expect(drops).toEqual([
      { count: 1, reason: 'rejected-expired' },
      { count: 2, reason: 'rejected-too-old' },
      { count: 2, reason: 'rejected-too-new' },
    ])
    expect(accounting.rejected).toBe(5)
    expect(sender.delivered).toBe(1)
    expect(warnings()).toMatchObject([
      { message: 'CloudWatch Logs rejected log events', expired: 1, tooOld: 2 },
    ])
  })

  it('retries throttling, 5xx and network errors with growing waits, warning once', async () => {
    const { api } = scriptedApi({
      putLogEvents: [
        fail(awsError('ThrottlingException')),
        fail(awsError('InternalFailure', 500)),
        fail(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })),
      ],
    })
    const { sender, clock, warnings, deliver } = setup(api)
    const started = clock.now()
    expect(await deliver(batchOf(['a']))).toBe('done')
    expect({ requests: sender.requests, retries: sender.retries, delivered: sender.delivered }).toEqual({
      requests: 4,
      retries: 3,
      delivered: 1,
    })
    // random() = 0: each wait is half its ceiling (100, 200, 400 ms).
    expect(clock.now() - started).toBe(50 + 100 + 200)
    expect(warnings()).toMatchObject([
      {
        message: 'CloudWatch Logs unavailable; retrying',
        bufferedBytes: 1234,
        error: 'ThrottlingException: ThrottlingException',
      },
    ])
  })

  it('retries a request that outlives requestTimeoutMs', async () => {
    const { api } = scriptedApi({ putLogEvents: [hang()] })
    const { sender, deliver } = setup(api)
    expect(await deliver(batchOf(['a']))).toBe('done')
    expect([sender.requests, sender.retries, sender.delivered]).toEqual([2, 1, 1])
  })

  it('creates a missing stream and sends again', async () => {
    const { api, operations } = scriptedApi({ putLogEvents: [fail(awsError('ResourceNotFoundException'))] })
    const { sender, deliver } = setup(api)
    expect(await deliver(batchOf(['a']))).toBe('done')
    expect(operations()).toEqual(['putLogEvents', 'createLogStream', 'putLogEvents'])
    expect(sender.retries).toBe(0)
  })

  it('creates a missing group with its retention, then the stream', async () => {
    const { api, calls } = scriptedApi({
      putLogEvents: [fail(awsError('ResourceNotFoundException'))],
      createLogStream: [fail(awsError('ResourceNotFoundException'))],
      createLogGroup: [fail(awsError('ResourceAlreadyExistsException'))], // another instance was first
    })
    const { deliver, warnings } = setup(api, { retentionInDays: 30 })
    expect(await deliver(batchOf(['a']))).toBe('done')
    expect(calls.map((c) => c.operation)).toEqual([
      'putLogEvents',
      'createLogStream',
      'createLogGroup',
      'putRetentionPolicy',
      'createLogStream',
      'putLogEvents',
    ])
    expect(calls[3]!.input).toEqual({ logGroupName: '/vivr/test/sender', retentionInDays: 30 })
    expect(warnings()).toEqual([])
  })

  it('warns when the retention cannot be set, and delivers anyway', async () => {
    const { api } = scriptedApi({
      putLogEvents: [fail(awsError('ResourceNotFoundException'))],
      createLogStream: [fail(awsError('ResourceNotFoundException'))],
      putRetentionPolicy: [fail(awsError('AccessDeniedException', 400, 'no retention for you'))],
    })
    const { sender, deliver, warnings } = setup(api, { retentionInDays: 7 })
    expect(await deliver(batchOf(['a']))).toBe('done')
    expect(sender.delivered).toBe(1)
    expect(warnings()).toMatchObject([
      { message: 'could not set the log group retention', retentionInDays: 7 },
    ])
  })

  it('hands a batch refused for good to the fallback', async () => {
    const { api } = scriptedApi({ putLogEvents: [fail(awsError('AccessDeniedException'))] })
    const { sender, accounting, deliver, fallbackLines, warnings } = setup(api)
    expect(await deliver(batchOf(['a', 'b']))).toBe('done')
    expect(fallbackLines()).toEqual(['a', 'b'])
    expect(accounting.fallback).toBe(2)
    expect(sender.delivered).toBe(0)
    expect(warnings()).toMatchObject([{ lines: 2, error: 'AccessDeniedException: AccessDeniedException' }])
  })

  it('with createIfMissing: false, a missing stream is refused for good', async () => {
    const { api, operations } = scriptedApi({ putLogEvents: [fail(awsError('ResourceNotFoundException'))] })
    const { deliver, fallbackLines } = setup(api, { createIfMissing: false })
    expect(await deliver(batchOf(['a']))).toBe('done')
    expect(operations()).toEqual(['putLogEvents'])
    expect(fallbackLines()).toEqual(['a'])
  })

  it('gives a stream that keeps vanishing one creation, then retries', async () => {
    const missing = fail(awsError('ResourceNotFoundException'))
    const { api, operations } = scriptedApi({ putLogEvents: [missing, missing] })
    const { sender, deliver } = setup(api)
    expect(await deliver(batchOf(['a']))).toBe('done')
    expect(operations()).toEqual([
      'putLogEvents',
      'createLogStream',
      'putLogEvents',
      'createLogStream',
      'putLogEvents',
    ])
    expect(sender.retries).toBe(1)
  })

  it('abandons the batch when shut down, mid-request or mid-wait', async () => {
    const hanging = scriptedApi({ putLogEvents: [hang()] })
    const first = setup(hanging.api)
    const inRequest = first.sender.deliver(batchOf(['a']))
    await tick()
    first.shutdown.abort()
    expect(await inRequest).toBe('abandoned')

    const throttled = scriptedApi({ putLogEvents: [fail(awsError('ThrottlingException'))] })
    const second = setup(throttled.api)
    const inWait = second.sender.deliver(batchOf(['a']))
    await tick()
    expect(second.sender.retries).toBe(1)
    second.shutdown.abort()
    expect(await inWait).toBe('abandoned')
    expect(throttled.operations()).toEqual(['putLogEvents'])
    expect(second.clock.pending).toEqual([])
    expect(second.fallbackLines()).toEqual([]) // the lines are the caller's to hand on
  })

  it('whatever the API throws, deliver settles and no warning carries a secret from it', async () => {
    await fc.assert(
      fc.asyncProperty(thrownValue(), async (thrown) => {
        const { api } = scriptedApi({ putLogEvents: [fail(thrown.make())] })
        const { deliver, warnings, fallbackLines, sender } = setup(api)
        expect(await deliver(batchOf(['a']))).toBe('done')
        // Either retried and delivered, or refused for good and handed to the fallback.
        expect(sender.delivered + fallbackLines().length).toBe(1)
        if (thrown.secret !== '') {
          for (const warning of warnings()) expect(leaks(JSON.stringify(warning), thrown.secret)).toBe(false)
        }
      }),
      { seed: 17, numRuns: 150 },
    )
  })
})

describe('retryDelayMs', () => {
  it('doubles from 100 ms up to maxRetryDelayMs, jittered over the upper half', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 1, max: 1e9, noNaN: true }),
        fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double(), fc.constant(Number.NaN)),
        (retry, max, random) => {
          const ceiling = Math.min(max, BASE_RETRY_DELAY_MS * 2 ** Math.min(retry - 1, 30))
          const delay = retryDelayMs(retry, max, () => random)
          expect(delay).toBeGreaterThanOrEqual(ceiling / 2)
          expect(delay).toBeLessThanOrEqual(ceiling)
          expect(delay).toBeLessThanOrEqual(max)
        },
      ),
      { seed: 23, numRuns: 500 },
    )
    expect([1, 2, 3, 4].map((retry) => retryDelayMs(retry, 30_000, () => 1))).toEqual([100, 200, 400, 800])
    expect(retryDelayMs(40, 30_000, () => 1)).toBe(30_000)
  })
})

describe('rejectedCounts', () => {
  it('reads the indexes as CloudWatch documents them', () => {
    expect(rejectedCounts(10, undefined)).toEqual({ expired: 0, tooOld: 0, tooNew: 0 })
    expect(rejectedCounts(10, { tooOldLogEventEndIndex: 4 })).toEqual({ expired: 0, tooOld: 4, tooNew: 0 })
    expect(rejectedCounts(10, { expiredLogEventEndIndex: 2, tooOldLogEventEndIndex: 4 })).toEqual({
      expired: 2,
      tooOld: 2,
      tooNew: 0,
    })
    expect(rejectedCounts(10, { tooNewLogEventStartIndex: 7 })).toEqual({ expired: 0, tooOld: 0, tooNew: 3 })
  })

  it('never counts below zero nor past the batch, whatever the indexes say', () => {
    const anyIndex = fc.option(
      fc.oneof(fc.integer({ min: -5, max: 20_000 }), fc.double(), fc.constant(Number.NaN)),
      { nil: undefined },
    )
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.record({
          expiredLogEventEndIndex: anyIndex,
          tooOldLogEventEndIndex: anyIndex,
          tooNewLogEventStartIndex: anyIndex,
        }),
        (size, info) => {
          const counts = rejectedCounts(size, info)
          for (const count of Object.values(counts)) {
            expect(Number.isInteger(count)).toBe(true)
            expect(count).toBeGreaterThanOrEqual(0)
          }
          expect(counts.expired + counts.tooOld + counts.tooNew).toBeLessThanOrEqual(size)
        },
      ),
      { seed: 29, numRuns: 500 },
    )
  })
})
