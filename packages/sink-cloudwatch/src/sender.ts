import type { RejectedLogEventsInfo } from '@aws-sdk/client-cloudwatch-logs'
import { type Clock, messageOf, scrubSecrets } from '@vivr/core'
import type { Accounting } from './accounting.js'
import type { LogsApi } from './client.js'
import { createLogStream } from './ensure-log-group.js'
import type { Batch } from './event-queue.js'
import { classifyFailure, errorName, type Failure } from './failures.js'

export const BASE_RETRY_DELAY_MS = 100

/**
 * Wait before retry number `retry` (1, 2, …): exponential backoff from 100 ms, capped at `maxRetryDelayMs`, with
 * jitter — a uniform draw from the upper half of the ceiling, so instances that failed together spread out.
 */
export function retryDelayMs(
  retry: number,
  maxRetryDelayMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(retry - 1, 0), 30)
  const ceiling = Math.min(maxRetryDelayMs, BASE_RETRY_DELAY_MS * 2 ** exponent)
  const r = random()
  const draw = r >= 0 && r <= 1 ? r : r > 1 ? 1 : 0 // NaN → 0
  return ceiling / 2 + draw * (ceiling / 2)
}

export interface RejectedCounts {
  expired: number
  tooOld: number
  tooNew: number
}

const index = (value: unknown, size: number): number | undefined =>
  typeof value === 'number' && Number.isFinite(value)
    ? Math.min(Math.max(Math.trunc(value), 0), size)
    : undefined

/**
 * What `rejectedLogEventsInfo` says about a batch of `size` events: events before `expiredLogEventEndIndex` are
 * expired, the rest before `tooOldLogEventEndIndex` too old, and those from `tooNewLogEventStartIndex` on too new.
 * Indexes out of range are clamped: the counts are never negative and never sum past `size`.
 */
export function rejectedCounts(size: number, info: RejectedLogEventsInfo | undefined): RejectedCounts {
  if (!info) return { expired: 0, tooOld: 0, tooNew: 0 }
  const expired = index(info.expiredLogEventEndIndex, size) ?? 0
  const tooOldEnd = Math.max(index(info.tooOldLogEventEndIndex, size) ?? 0, expired)
  const tooNewStart = Math.max(index(info.tooNewLogEventStartIndex, size) ?? size, tooOldEnd)
  return { expired, tooOld: tooOldEnd - expired, tooNew: size - tooNewStart }
}

export interface SenderOptions {
  api: LogsApi
  logGroupName: string
  createIfMissing: boolean
  retentionInDays: number | undefined
  requestTimeoutMs: number
  maxRetryDelayMs: number
  clock: Clock
  /** Aborted on close: requests in flight and backoff waits end at once, and `deliver` returns `abandoned`. */
  signal: AbortSignal
  accounting: Accounting
  /** Bytes held by the destination, for the retry warning. */
  heldBytes: () => number
  /** @default Math.random (the backoff's jitter) */
  random?: () => number
}

export interface SenderStats {
  /** PutLogEvents attempts. */
  readonly requests: number
  readonly retries: number
  /** Events CloudWatch accepted. */
  readonly delivered: number
}

export interface Sender extends SenderStats {
  /**
   * Delivers one batch: `done` when CloudWatch took it (rejected events counted and reported) or refused it for
   * good (its lines handed to the fallback); `abandoned` when close cut it short (its lines are the caller's).
   * Everything else is retried with backoff, creating a missing stream or group once per batch.
   */
  deliver(batch: Batch): Promise<'done' | 'abandoned'>
}

const describeError = (error: unknown) => scrubSecrets(`${errorName(error)}: ${messageOf(error)}`)

/** PutLogEvents with retries and backoff, one batch at a time. */
export function createSender(options: SenderOptions): Sender {
  const { api, logGroupName, createIfMissing, retentionInDays, clock, signal, accounting } = options
  const random = options.random ?? Math.random
  let requests = 0
  let retries = 0
  let delivered = 0

  function sleep(ms: number): Promise<void> {
    if (signal.aborted) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const done = () => {
        clock.clearTimeout(handle)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const handle = clock.setTimeout(done, ms)
      signal.addEventListener('abort', done, { once: true })
    })
  }

  /** Runs one SDK call bounded by `requestTimeoutMs` and cut short by close. */
  async function bounded<T>(call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    const abort = () => controller.abort()
    const deadline = clock.setTimeout(abort, options.requestTimeoutMs)
    signal.addEventListener('abort', abort, { once: true })
    try {
      return await call(controller.signal)
    } finally {
      clock.clearTimeout(deadline)
      signal.removeEventListener('abort', abort)
    }
  }

  function accountRejected(batch: Batch, counts: RejectedCounts): number {
    accounting.drop(counts.expired, 'rejected-expired')
    accounting.drop(counts.tooOld, 'rejected-too-old')
    accounting.drop(counts.tooNew, 'rejected-too-new')
    const rejected = counts.expired + counts.tooOld + counts.tooNew
    if (rejected > 0) {
      accounting.warn('rejected', 'CloudWatch Logs rejected log events', {
        logStreamName: batch.logStreamName,
        ...counts,
      })
    }
    return rejected
  }

  /** One PutLogEvents: the events rejected, or what to do about its failure. */
  async function put(batch: Batch): Promise<{ rejected: number } | { failure: Failure; cause: unknown }> {
    let timedOut = false
    try {
      requests++
      const response = await bounded((abortSignal) => {
        abortSignal.addEventListener('abort', () => {
          timedOut = !signal.aborted
        })
        return api.putLogEvents(
          { logGroupName, logStreamName: batch.logStreamName, logEvents: batch.events },
          abortSignal,
        )
      })
      return {
        rejected: accountRejected(batch, rejectedCounts(batch.events.length, response.rejectedLogEventsInfo)),
      }
    } catch (error) {
      // Our own request timeout aborts the call: that is a network failure, worth a retry.
      return { failure: timedOut ? 'retryable' : classifyFailure(error), cause: error }
    }
  }

  async function deliver(batch: Batch): Promise<'done' | 'abandoned'> {
    let attempt = 0
    let createdOnce = false
    for (;;) {
      if (signal.aborted) return 'abandoned'
      const result = await put(batch)
      if ('rejected' in result) {
        delivered += batch.events.length - result.rejected
        return 'done'
      }
      if (signal.aborted) return 'abandoned'
      let { failure, cause } = result

      if (failure === 'missing' && createIfMissing) {
        try {
          await createLogStream({
            api,
            bounded,
            logGroupName,
            logStreamName: batch.logStreamName,
            retentionInDays,
            onRetentionError: (error) =>
              accounting.warn('retention', 'could not set the log group retention', {
                retentionInDays,
                error: scrubSecrets(messageOf(error)),
              }),
          })
          if (!createdOnce) {
            createdOnce = true
            continue
          }
        } catch (error) {
          if (signal.aborted) return 'abandoned'
          failure = classifyFailure(error) === 'permanent' ? 'permanent' : 'retryable'
          cause = error
        }
      }
      if (failure === 'permanent' || (failure === 'missing' && !createIfMissing)) {
        accounting.warn('permanent', 'CloudWatch Logs refused the batch; lines written to the fallback', {
          logStreamName: batch.logStreamName,
          lines: batch.events.length,
          error: describeError(cause),
        })
        accounting.toFallback(batch.events.map((e) => e.message ?? ''))
        return 'done'
      }
      attempt++
      retries++
      accounting.warn('retrying', 'CloudWatch Logs unavailable; retrying', {
        error: describeError(cause),
        bufferedBytes: options.heldBytes(),
      })
      await sleep(retryDelayMs(attempt, options.maxRetryDelayMs, random))
    }
  }

  return {
    get requests() {
      return requests
    },
    get retries() {
      return retries
    },
    get delivered() {
      return delivered
    },
    deliver,
  }
}
