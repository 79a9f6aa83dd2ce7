import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  type RejectedLogEventsInfo,
} from '@aws-sdk/client-cloudwatch-logs'
import {
  type Clock,
  type LogDestination,
  type Logger,
  messageOf,
  OptionError,
  scrubSecrets,
  systemClock,
  type TimerHandle,
} from '@vivr/core'
import { booleanOption, durationOption } from '@vivr/core/internal'
import { type ClientOptions, resolveClient } from './client.js'
import { type Batch, createEventQueue } from './event-queue.js'
import { classifyFailure, errorName, type Failure } from './failures.js'
import { fitLine } from './fit-line.js'
import { EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_MESSAGE_BYTES } from './limits.js'
import { dailyStreamNamer, defaultInstanceId } from './stream-name.js'
import {
  integerAtLeast,
  LOG_GROUP_NAME,
  LOG_STREAM_NAME,
  optionalFunction,
  optionalString,
  requiredString,
  retentionInDays,
} from './validate.js'

export type DropReason = 'buffer-full' | 'rejected-too-old' | 'rejected-expired' | 'rejected-too-new'

export interface DropInfo {
  /** Lines lost in this occurrence. */
  count: number
  /** `buffer-full`: the oldest lines made room for new ones; `rejected-*`: CloudWatch refused them. */
  reason: DropReason
}

/** Where a destination registers its close (core's `createLifecycle()` fits). */
export interface ShutdownRegistry {
  onShutdown(name: string, hook: () => unknown, options?: { timeoutMs?: number }): void
}

export interface CloudWatchLogsOptions extends ClientOptions {
  /** The guide's `/vivr/production/app`. */
  logGroupName: string
  /** A fixed stream. @default `<YYYY-MM-DD>/<instanceId>`, rolling over at midnight UTC */
  logStreamName?: string
  /** Second half of the default stream name. @default `<hostname>-<pid>` */
  instanceId?: string
  /** Longest a line waits before it is sent (a full batch goes at once). @default 1000 */
  flushIntervalMs?: number
  /**
   * Memory bound for lines not yet accepted by CloudWatch (the request in flight included), in bytes as
   * PutLogEvents counts them. Past it the oldest lines are dropped and counted. @default 8 MiB
   */
  maxBufferBytes?: number
  /** Create the log group (with `retentionInDays`) and the stream when CloudWatch says they don't exist. @default true */
  createIfMissing?: boolean
  /** Retention set on a log group this destination creates. @default none (CloudWatch keeps logs forever) */
  retentionInDays?: number
  /** Called whenever lines are lost: dropped for room, or rejected by CloudWatch. */
  onDrop?: (info: DropInfo) => void
  /** Bound for one request; a request that takes longer is aborted and retried. @default 10000 */
  requestTimeoutMs?: number
  /** Bound for `flush()` and for `close()`'s delivery attempt; `close()` hands what is left to `fallback`. @default 5000 */
  flushTimeoutMs?: number
  /** Longest wait between two retries (exponential backoff with jitter from 100 ms up to this). @default 30000 */
  maxRetryDelayMs?: number
  /** At most one warning of each kind per this interval. @default 60000 */
  warnIntervalMs?: number
  /**
   * Where lines go that CloudWatch will never take (access denied, invalid parameter), lines left at close and
   * lines written after close — the guide's console fallback. @default one line to stderr
   */
  fallback?: (line: string) => void
  /** For this destination's own warnings. @default JSON lines to `fallback` */
  logger?: Logger
  /** Registers `close()` as a shutdown hook, e.g. `lifecycle: createLifecycle()`. */
  lifecycle?: ShutdownRegistry
  /** @default systemClock (timers unref'd) */
  clock?: Clock
}

export interface CloudWatchLogsStats {
  /** Lines accepted by `write()`. */
  written: number
  /** Events CloudWatch accepted. */
  delivered: number
  /** Oldest lines dropped because the buffer was full. */
  dropped: number
  /** Events CloudWatch refused (too old, expired, too new). */
  rejected: number
  /** Lines handed to `fallback`. */
  fallback: number
  /** Lines cut to the 256 KB event limit (a JSON line stays one JSON object, with a `_truncated` field). */
  truncated: number
  /** PutLogEvents attempts. */
  requests: number
  retries: number
  bufferedEvents: number
  bufferedBytes: number
}

export interface CloudWatchLogsDestination extends LogDestination {
  /** Sends what is buffered; resolves when it is delivered, or after `flushTimeoutMs` (lines stay buffered). */
  flush(): Promise<void>
  /** Delivers what is buffered within `flushTimeoutMs`, hands any rest to `fallback`, releases timers and client. */
  close(): Promise<void>
  stats(): CloudWatchLogsStats
}

const MiB = 1024 * 1024
const BASE_RETRY_DELAY_MS = 100

function stderrLine(line: string): void {
  try {
    process.stderr.write(`${line}\n`)
  } catch {
    // stderr closed: nowhere left to write.
  }
}

/**
 * A logger destination that ships each line as a CloudWatch Logs event: batched within every PutLogEvents
 * limit, one request in flight, retried through throttling, 5xx and network failures, with bounded memory.
 */
export function cloudwatchLogs(options: CloudWatchLogsOptions): CloudWatchLogsDestination {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', options, 'an object')
  const logGroupName = requiredString(
    'logGroupName',
    options.logGroupName,
    LOG_GROUP_NAME,
    'a log group name (1–512 of A-Z a-z 0-9 . - _ / #)',
  )
  const fixedStream = optionalString(
    'logStreamName',
    options.logStreamName,
    LOG_STREAM_NAME,
    'a log stream name (1–512 characters, no : or *)',
  )
  const instanceId =
    optionalString('instanceId', options.instanceId, /^[^:*]{1,400}$/, '1–400 characters, no : or *') ??
    defaultInstanceId()
  const flushIntervalMs =
    durationOption('flushIntervalMs', options.flushIntervalMs, { allowZero: false }) ?? 1000
  const maxBufferBytes = integerAtLeast('maxBufferBytes', options.maxBufferBytes, MAX_BATCH_BYTES) ?? 8 * MiB
  const createIfMissing = booleanOption('createIfMissing', options.createIfMissing) ?? true
  const retention = retentionInDays('retentionInDays', options.retentionInDays)
  const onDrop = optionalFunction('onDrop', options.onDrop)
  const requestTimeoutMs =
    durationOption('requestTimeoutMs', options.requestTimeoutMs, { allowZero: false }) ?? 10_000
  const flushTimeoutMs =
    durationOption('flushTimeoutMs', options.flushTimeoutMs, { allowZero: false }) ?? 5000
  const maxRetryDelayMs =
    durationOption('maxRetryDelayMs', options.maxRetryDelayMs, { allowZero: false }) ?? 30_000
  const warnIntervalMs = durationOption('warnIntervalMs', options.warnIntervalMs) ?? 60_000
  const fallback = optionalFunction('fallback', options.fallback) ?? stderrLine
  optionalString('region', options.region)
  if (options.lifecycle !== undefined && typeof options.lifecycle?.onShutdown !== 'function') {
    throw new OptionError('lifecycle', options.lifecycle, 'an object with onShutdown(name, hook, options)')
  }
  if (options.logger !== undefined && typeof options.logger?.warn !== 'function') {
    throw new OptionError('logger', options.logger, 'a Logger')
  }
  const clock = options.clock ?? systemClock
  const { client, owned } = resolveClient(options, { maxAttempts: 1 })

  const streamFor = fixedStream === undefined ? dailyStreamNamer(instanceId) : () => fixedStream
  const queue = createEventQueue(maxBufferBytes)
  const stats = {
    written: 0,
    delivered: 0,
    dropped: 0,
    rejected: 0,
    fallback: 0,
    truncated: 0,
    requests: 0,
    retries: 0,
  }
  const shutdown = new AbortController()
  const waiters = new Set<{ target: number; resolve: () => void }>()
  const lastWarned = new Map<string, { at: number; suppressed: number }>()
  let inflight: Batch | undefined
  let pumping: Promise<void> | undefined
  let timer: TimerHandle | undefined
  let drainThrough = 0
  let lastTimestamp = Number.NEGATIVE_INFINITY
  let closed = false
  let closing: Promise<void> | undefined

  const held = () => queue.bytes + (inflight?.bytes ?? 0)
  const lastSeq = () => queue.headSeq + queue.length - 1

  /** Whether a warning of this kind may go out now (one per `warnIntervalMs`); counts the ones held back. */
  function mayWarn(kind: string, now: number): boolean {
    const previous = lastWarned.get(kind)
    if (previous && now - previous.at < warnIntervalMs) {
      previous.suppressed++
      return false
    }
    return true
  }

  function warn(kind: string, message: string, fields: Record<string, unknown> = {}, now = clock.now()) {
    if (!mayWarn(kind, now)) return
    const suppressed = lastWarned.get(kind)?.suppressed ?? 0
    lastWarned.set(kind, { at: now, suppressed: 0 })
    const context = {
      sink: 'cloudwatch-logs',
      logGroupName,
      ...fields,
      ...(suppressed > 0 ? { suppressedWarnings: suppressed } : {}),
    }
    try {
      if (options.logger) options.logger.warn(message, context)
      else
        fallback(
          JSON.stringify({ level: 'WARN', timestamp: new Date(now).toISOString(), message, ...context }),
        )
    } catch {
      // A broken logger must not break logging.
    }
  }

  function reportDrop(count: number, reason: DropReason) {
    if (count <= 0) return
    try {
      onDrop?.({ count, reason })
    } catch {
      // The callback is the user's; its failure is not ours to surface.
    }
  }

  function toFallback(messages: readonly string[]) {
    for (const message of messages) {
      try {
        fallback(message)
      } catch {
        // Nothing else to try.
      }
    }
    stats.fallback += messages.length
  }

  function settledThrough(target: number): boolean {
    return (!inflight || inflight.firstSeq > target) && (queue.length === 0 || queue.headSeq > target)
  }

  function wakeWaiters() {
    for (const waiter of waiters) {
      if (settledThrough(waiter.target)) {
        waiters.delete(waiter)
        waiter.resolve()
      }
    }
  }

  function waitUntilSettled(target: number, timeoutMs: number): Promise<void> {
    if (settledThrough(target)) return Promise.resolve()
    return new Promise<void>((resolve) => {
      // Unlike the sink's own timers, this one is ref'd: a caller awaiting flush() or close() (a script's last
      // line, a shutdown hook) must not see the process exit under it while a retry waits. It is bounded.
      const hold = setTimeout(() => {}, timeoutMs + 1000)
      const done = () => {
        clearTimeout(hold)
        clock.clearTimeout(deadline)
        waiters.delete(waiter)
        resolve()
      }
      const waiter = { target, resolve: done }
      const deadline = clock.setTimeout(done, timeoutMs)
      waiters.add(waiter)
    })
  }

  function sleep(ms: number): Promise<void> {
    if (shutdown.signal.aborted) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const done = () => {
        clock.clearTimeout(handle)
        shutdown.signal.removeEventListener('abort', done)
        resolve()
      }
      const handle = clock.setTimeout(done, ms)
      shutdown.signal.addEventListener('abort', done, { once: true })
    })
  }

  /** Runs one SDK call bounded by `requestTimeoutMs` and cut short by close. */
  async function bounded<T>(call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    const abort = () => controller.abort()
    const deadline = clock.setTimeout(abort, requestTimeoutMs)
    shutdown.signal.addEventListener('abort', abort, { once: true })
    try {
      return await call(controller.signal)
    } finally {
      clock.clearTimeout(deadline)
      shutdown.signal.removeEventListener('abort', abort)
    }
  }

  function failureOf(error: unknown, abortSignalFired: boolean): Failure {
    // Our own request timeout aborts the call: that is a network failure, worth a retry.
    return abortSignalFired && !shutdown.signal.aborted ? 'retryable' : classifyFailure(error)
  }

  async function ignoringExists(call: (abortSignal: AbortSignal) => Promise<unknown>): Promise<void> {
    try {
      await bounded(call)
    } catch (error) {
      if (errorName(error) !== 'ResourceAlreadyExistsException') throw error
    }
  }

  /** Creates the stream, and the group (with retention) when the stream's creation says it is missing too. */
  async function createMissing(logStreamName: string): Promise<void> {
    const createStream = () =>
      ignoringExists((abortSignal) =>
        client.send(new CreateLogStreamCommand({ logGroupName, logStreamName }), { abortSignal }),
      )
    try {
      await createStream()
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error
      await ignoringExists((abortSignal) =>
        client.send(new CreateLogGroupCommand({ logGroupName }), { abortSignal }),
      )
      if (retention !== undefined) {
        try {
          await bounded((abortSignal) =>
            client.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: retention }), {
              abortSignal,
            }),
          )
        } catch (retentionError) {
          warn('retention', 'could not set the log group retention', {
            retentionInDays: retention,
            error: scrubSecrets(messageOf(retentionError)),
          })
        }
      }
      await createStream()
    }
  }

  function countRejected(batch: Batch, info: RejectedLogEventsInfo | undefined): number {
    if (!info) return 0
    const expired = info.expiredLogEventEndIndex ?? 0
    const tooOld = Math.max(0, (info.tooOldLogEventEndIndex ?? 0) - expired)
    const tooNew =
      info.tooNewLogEventStartIndex === undefined ? 0 : batch.events.length - info.tooNewLogEventStartIndex
    reportDrop(expired, 'rejected-expired')
    reportDrop(tooOld, 'rejected-too-old')
    reportDrop(tooNew, 'rejected-too-new')
    const rejected = expired + tooOld + tooNew
    if (rejected > 0) {
      warn('rejected', 'CloudWatch Logs rejected log events', {
        logStreamName: batch.logStreamName,
        expired,
        tooOld,
        tooNew,
      })
    }
    return rejected
  }

  /** Delivers one batch: retries until it is accepted, refused for good (→ fallback), or close cuts it short. */
  async function deliver(batch: Batch): Promise<'done' | 'abandoned'> {
    let retries = 0
    let createdOnce = false
    for (;;) {
      if (shutdown.signal.aborted) return 'abandoned'
      let failure: Failure
      let cause: unknown
      let aborted = false
      try {
        stats.requests++
        const response = await bounded((abortSignal) => {
          abortSignal.addEventListener('abort', () => {
            aborted = true
          })
          return client.send(
            new PutLogEventsCommand({
              logGroupName,
              logStreamName: batch.logStreamName,
              logEvents: batch.events,
            }),
            { abortSignal },
          )
        })
        const rejected = countRejected(batch, response.rejectedLogEventsInfo)
        stats.rejected += rejected
        stats.delivered += batch.events.length - rejected
        return 'done'
      } catch (error) {
        if (shutdown.signal.aborted) return 'abandoned'
        failure = failureOf(error, aborted)
        cause = error
      }

      if (failure === 'missing' && createIfMissing) {
        try {
          await createMissing(batch.logStreamName)
          if (!createdOnce) {
            createdOnce = true
            continue
          }
        } catch (error) {
          if (shutdown.signal.aborted) return 'abandoned'
          failure = classifyFailure(error) === 'permanent' ? 'permanent' : 'retryable'
          cause = error
        }
      }
      if (failure === 'permanent' || (failure === 'missing' && !createIfMissing)) {
        warn('permanent', 'CloudWatch Logs refused the batch; lines written to the fallback', {
          logStreamName: batch.logStreamName,
          lines: batch.events.length,
          error: `${errorName(cause)}: ${scrubSecrets(messageOf(cause))}`,
        })
        toFallback(batch.events.map((e) => e.message ?? ''))
        return 'done'
      }
      retries++
      stats.retries++
      warn('retrying', 'CloudWatch Logs unavailable; retrying', {
        error: `${errorName(cause)}: ${scrubSecrets(messageOf(cause))}`,
        bufferedBytes: held(),
      })
      const ceiling = Math.min(maxRetryDelayMs, BASE_RETRY_DELAY_MS * 2 ** Math.min(retries - 1, 30))
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2))
    }
  }

  const hasFullBatch = () => queue.length >= MAX_BATCH_EVENTS || queue.bytes >= MAX_BATCH_BYTES

  async function pump(): Promise<void> {
    while (!shutdown.signal.aborted && queue.length > 0) {
      if (!hasFullBatch() && queue.headSeq > drainThrough) return
      inflight = queue.takeBatch()
      const outcome = await deliver(inflight)
      if (outcome === 'abandoned') return
      inflight = undefined
      wakeWaiters()
    }
  }

  function schedule() {
    if (pumping || shutdown.signal.aborted || queue.length === 0) return
    if (hasFullBatch() || queue.headSeq <= drainThrough) {
      if (timer !== undefined) {
        clock.clearTimeout(timer)
        timer = undefined
      }
      pumping = pump()
        .catch((error) =>
          warn('internal', 'cloudwatch-logs delivery loop failed', { error: messageOf(error) }),
        )
        .finally(() => {
          pumping = undefined
          wakeWaiters()
          schedule()
        })
    } else if (timer === undefined) {
      timer = clock.setTimeout(() => {
        timer = undefined
        drainThrough = Math.max(drainThrough, lastSeq())
        schedule()
      }, flushIntervalMs)
    }
  }

  function write(line: string): void {
    if (typeof line !== 'string' || line.length === 0) return
    if (closed) {
      toFallback([line])
      return
    }
    let message = line
    let size = line.length <= MAX_EVENT_MESSAGE_BYTES / 3 ? Buffer.byteLength(line) : Number.POSITIVE_INFINITY
    if (size === Number.POSITIVE_INFINITY) {
      // A JSON line stays one JSON object (the longest values cut, a `_truncated` field added); others are cut.
      message = fitLine(line, MAX_EVENT_MESSAGE_BYTES)
      if (message !== line) stats.truncated++
      size = Buffer.byteLength(message)
    }
    const cost = size + EVENT_OVERHEAD_BYTES
    const now = clock.now()
    let dropped = 0
    while (queue.length > 0 && held() + cost > maxBufferBytes) {
      queue.dropOldest()
      dropped++
    }
    stats.written++
    if (held() + cost > maxBufferBytes) {
      dropped++
    } else {
      const timestamp = Math.max(now, lastTimestamp)
      lastTimestamp = timestamp
      const logStreamName = streamFor(timestamp)
      // The byte ring may be fragmented at its end: make room by dropping the oldest, as for the bound.
      while (!queue.push(message, size, timestamp, logStreamName)) {
        if (queue.length === 0) {
          dropped++
          break
        }
        queue.dropOldest()
        dropped++
      }
    }
    if (dropped > 0) {
      stats.dropped += dropped
      reportDrop(dropped, 'buffer-full')
      if (mayWarn('buffer-full', now)) {
        warn(
          'buffer-full',
          'CloudWatch Logs buffer full; dropped the oldest lines',
          { maxBufferBytes, droppedTotal: stats.dropped },
          now,
        )
      }
      if (waiters.size > 0) wakeWaiters()
    }
    schedule()
  }

  async function flush(): Promise<void> {
    const target = lastSeq()
    if (settledThrough(target)) return
    drainThrough = Math.max(drainThrough, target)
    schedule()
    await waitUntilSettled(target, flushTimeoutMs)
  }

  async function shutDown(): Promise<void> {
    await flush()
    shutdown.abort()
    if (timer !== undefined) clock.clearTimeout(timer)
    timer = undefined
    // The SDK honours the abort at once; the bound only guards against a call that ignores it.
    if (pumping) {
      let guard: ReturnType<typeof setTimeout> | undefined
      await Promise.race([pumping, new Promise((resolve) => (guard = setTimeout(resolve, 1000)))])
      clearTimeout(guard)
    }
    const leftovers = [...(inflight?.events.map((e) => e.message ?? '') ?? []), ...queue.drain()]
    inflight = undefined
    if (leftovers.length > 0) {
      lastWarned.delete('close')
      warn('close', 'CloudWatch Logs did not take every line before close; the rest went to the fallback', {
        lines: leftovers.length,
        flushTimeoutMs,
      })
      toFallback(leftovers)
    }
    wakeWaiters()
    if (owned) client.destroy()
  }

  const destination: CloudWatchLogsDestination = {
    write(line) {
      try {
        write(line)
      } catch (error) {
        warn('internal', 'cloudwatch-logs write failed', { error: messageOf(error) })
      }
    },
    flush,
    close() {
      if (!closing) {
        closed = true
        closing = shutDown()
      }
      return closing
    },
    stats: () => ({
      ...stats,
      bufferedEvents: queue.length + (inflight?.events.length ?? 0),
      bufferedBytes: held(),
    }),
  }
  options.lifecycle?.onShutdown(`cloudwatch-logs ${logGroupName}`, () => destination.close(), {
    timeoutMs: flushTimeoutMs + 2000,
  })
  return destination
}
