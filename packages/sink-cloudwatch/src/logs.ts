import { type LogDestination, messageOf, scrubSecrets, type TimerHandle } from '@vivr/core'
import { createAccounting } from './accounting.js'
import { lazyLogsApi } from './client.js'
import { type Batch, createEventQueue } from './event-queue.js'
import { eventMessage } from './fit-line.js'
import { EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_EVENTS } from './limits.js'
import { type CloudWatchLogsOptions, resolveLogsOptions } from './logs-options.js'
import { createSender } from './sender.js'
import { dailyStreamNamer } from './stream-name.js'
import { createWaiters } from './waiters.js'

export interface CloudWatchLogsStats {
  /** Lines accepted by `write()`. */
  written: number
  /** Events CloudWatch accepted. */
  delivered: number
  /** Oldest lines dropped because the buffer was full (in the worker form, also lines lost with the worker). */
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

/**
 * A logger destination that ships each line as a CloudWatch Logs event: batched within every PutLogEvents
 * limit, one request in flight, retried through throttling, 5xx and network failures, with bounded memory.
 *
 * The parts: options (`logs-options.ts`), the byte-ring queue (`event-queue.ts`), delivery with retries
 * (`sender.ts`), what is lost and the warnings (`accounting.ts`), flush waiters (`waiters.ts`). This file decides
 * when a batch goes: at once when full, after `flushIntervalMs` otherwise, everything on `flush()`.
 */
export function cloudwatchLogs(options: CloudWatchLogsOptions): CloudWatchLogsDestination {
  const settings = resolveLogsOptions(options)
  const { logGroupName, maxBufferBytes, flushIntervalMs, flushTimeoutMs, clock } = settings
  const client = lazyLogsApi(options, { maxAttempts: 1 })

  const fixedStream = settings.logStreamName
  const streamFor = fixedStream === undefined ? dailyStreamNamer(settings.instanceId) : () => fixedStream
  const queue = createEventQueue(maxBufferBytes)
  const accounting = createAccounting(settings)
  const shutdown = new AbortController()
  let inflight: Batch | undefined
  const held = () => queue.bytes + (inflight?.bytes ?? 0)
  const lastSeq = () => queue.headSeq + queue.length - 1
  const sender = createSender({
    api: client.api,
    logGroupName,
    createIfMissing: settings.createIfMissing,
    retentionInDays: settings.retentionInDays,
    requestTimeoutMs: settings.requestTimeoutMs,
    maxRetryDelayMs: settings.maxRetryDelayMs,
    clock,
    signal: shutdown.signal,
    accounting,
    heldBytes: held,
  })
  /** Whether every line up to sequence number `target` has left (delivered, refused, dropped). */
  const settledThrough = (target: number) =>
    (!inflight || inflight.firstSeq > target) && (queue.length === 0 || queue.headSeq > target)
  const waiters = createWaiters(settledThrough, clock)
  let written = 0
  let truncated = 0
  let pumping: Promise<void> | undefined
  let timer: TimerHandle | undefined
  // Every line up to this sequence number goes without waiting for a full batch (the timer or flush() asked).
  let drainThrough = 0
  let lastTimestamp = Number.NEGATIVE_INFINITY
  let closed = false
  let closing: Promise<void> | undefined

  const hasFullBatch = () => queue.length >= MAX_BATCH_EVENTS || queue.bytes >= MAX_BATCH_BYTES

  /** One batch at a time, while there is a full one or lines someone asked to drain. */
  async function pump(): Promise<void> {
    while (!shutdown.signal.aborted && queue.length > 0) {
      if (!hasFullBatch() && queue.headSeq > drainThrough) return
      inflight = queue.takeBatch()
      const outcome = await sender.deliver(inflight)
      if (outcome === 'abandoned') return // close() hands the batch in flight to the fallback
      inflight = undefined
      waiters.wake()
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
        .catch((error) => {
          accounting.warn('internal', 'cloudwatch-logs delivery loop failed', {
            error: scrubSecrets(messageOf(error)),
          })
          // A bug, not a CloudWatch answer: the batch in flight goes to the fallback rather than nowhere.
          if (inflight && !shutdown.signal.aborted) {
            accounting.toFallback(inflight.events.map((e) => e.message ?? ''))
            inflight = undefined
          }
        })
        .finally(() => {
          pumping = undefined
          waiters.wake()
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
      accounting.toFallback([line])
      return
    }
    const event = eventMessage(line)
    if (event.truncated) truncated++
    const cost = event.bytes + EVENT_OVERHEAD_BYTES
    let dropped = 0
    while (queue.length > 0 && held() + cost > maxBufferBytes) {
      queue.dropOldest()
      dropped++
    }
    written++
    if (held() + cost > maxBufferBytes) {
      dropped++ // the batch in flight alone leaves no room: this line is the one lost
    } else {
      const timestamp = Math.max(clock.now(), lastTimestamp)
      lastTimestamp = timestamp
      const logStreamName = streamFor(timestamp)
      // The byte ring may be fragmented at its end: make room by dropping the oldest, as for the bound.
      while (!queue.push(event.message, event.bytes, timestamp, logStreamName)) {
        dropped++
        if (queue.length === 0) break
        queue.dropOldest()
      }
    }
    if (dropped > 0) {
      accounting.drop(dropped, 'buffer-full')
      accounting.warn('buffer-full', 'CloudWatch Logs buffer full; dropped the oldest lines', {
        maxBufferBytes,
        droppedTotal: accounting.dropped,
      })
      if (waiters.size > 0) waiters.wake()
    }
    schedule()
  }

  async function flush(): Promise<void> {
    const target = lastSeq()
    if (settledThrough(target)) return
    drainThrough = Math.max(drainThrough, target)
    schedule()
    await waiters.wait(target, flushTimeoutMs)
  }

  async function shutDown(): Promise<void> {
    await flush()
    shutdown.abort()
    if (timer !== undefined) clock.clearTimeout(timer)
    timer = undefined
    // The SDK honours the abort at once; this real-time bound only guards against a call that ignores it.
    if (pumping) {
      let guard: ReturnType<typeof setTimeout> | undefined
      await Promise.race([pumping, new Promise((resolve) => (guard = setTimeout(resolve, 1000)))])
      clearTimeout(guard)
    }
    const leftovers = [...(inflight?.events.map((e) => e.message ?? '') ?? []), ...queue.drain()]
    inflight = undefined
    if (leftovers.length > 0) {
      accounting.warn(
        'close',
        'CloudWatch Logs did not take every line before close; the rest went to the fallback',
        { lines: leftovers.length, flushTimeoutMs },
      )
      accounting.toFallback(leftovers)
    }
    accounting.close()
    waiters.wake()
    client.destroy()
  }

  const destination: CloudWatchLogsDestination = {
    write(line) {
      try {
        write(line)
      } catch (error) {
        accounting.warn('internal', 'cloudwatch-logs write failed', { error: scrubSecrets(messageOf(error)) })
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
      written,
      delivered: sender.delivered,
      dropped: accounting.dropped,
      rejected: accounting.rejected,
      fallback: accounting.fallback,
      truncated,
      requests: sender.requests,
      retries: sender.retries,
      bufferedEvents: queue.length + (inflight?.events.length ?? 0),
      bufferedBytes: held(),
    }),
  }
  settings.lifecycle?.onShutdown(`cloudwatch-logs ${logGroupName}`, () => destination.close(), {
    timeoutMs: flushTimeoutMs + 2000,
  })
  return destination
}
