// The worker thread of `cloudwatchLogsInWorker` (in-worker.ts): reads lines from the hand-off ring and writes them
// to an ordinary `cloudwatchLogs` destination — the same batching, limits, retries and bounded memory, unchanged —
// so the AWS SDK builds, signs and sends each batch here, off the application's thread. What the destination hands
// back (fallback lines, drops, warnings) goes to the main thread, where the user's callbacks live.
import { isMainThread, workerData } from 'node:worker_threads'
import { type Logger, messageOf, noopLogger } from '@vivr/core'
import { ringReader } from './handoff-ring.js'
import { cloudwatchLogs } from './logs.js'
import {
  CONTROL,
  EXIT_DONE,
  EXIT_GONE,
  type FromWorker,
  STATS_FIELDS,
  type ToWorker,
  type WorkerInit,
} from './worker-protocol.js'

/** Lines taken from the ring per turn, before the worker's own timers and sockets get a turn. */
const LINES_PER_TURN = 2000
/**
 * While lines keep coming, the worker looks at the ring this often instead of being woken for each line (a wake-up
 * costs the writing thread a system call). Delivery waits up to `flushIntervalMs` anyway; this adds at most 5 ms.
 */
const BUSY_POLL_MS = 5
/** How often the worker publishes its stats while it runs (the main thread's `stats()` reads them). */
const PUBLISH_INTERVAL_MS = 100
/** Longest sleep between two looks at the ring, should a wake-up be missed. */
const IDLE_WAIT_MS = 1000

export function runLogWorker(init: WorkerInit): void {
  const { port } = init
  const state = new Int32Array(init.ring.state)
  const published = new Float64Array(init.stats)
  const reader = ringReader(init.ring)

  const send = (message: FromWorker) => {
    try {
      port.postMessage(message)
    } catch {
      // A warning whose context cannot be cloned goes without it; nothing else here can fail to clone.
      if (message.type !== 'warn') return
      try {
        port.postMessage({ ...message, context: { error: 'unclonable context' } })
      } catch {
        // The port is gone: the main thread is no longer listening.
      }
    }
  }

  // Fallback lines leave in one message per burst (close() may hand over thousands at once).
  let outbox: string[] = []
  const sendFallback = () => {
    if (outbox.length === 0) return
    const lines = outbox
    outbox = []
    send({ type: 'fallback', lines })
  }

  const logger: Logger = {
    ...noopLogger,
    warn: (message, context) => send({ type: 'warn', message, context: { ...context } }),
  }
  const destination = cloudwatchLogs({
    ...init.options,
    logger,
    fallback(line) {
      outbox.push(line)
      if (outbox.length === 1) queueMicrotask(sendFallback)
    },
    onDrop: ({ count, reason }) => send({ type: 'drop', count, reason }),
  })

  function publish() {
    const stats = destination.stats()
    for (let i = 0; i < STATS_FIELDS.length; i++) published[i] = stats[STATS_FIELDS[i]!]
  }

  let stopped = false
  /** Takes up to `maxLines` lines from the ring into the destination: how many, or -1 once the main thread took it over. */
  function take(maxLines = Number.POSITIVE_INFINITY): number {
    if (stopped) return -1
    if (!reader.tryLock()) {
      stopped = true
      return -1
    }
    try {
      return reader.read((line) => destination.write(line), maxLines)
    } finally {
      reader.unlock()
    }
  }

  // The worker's own event loop must stay up while it waits on the ring (Atomics.waitAsync holds nothing); the
  // main thread unrefs the worker, so this never keeps the process alive.
  const heartbeat = setInterval(publish, PUBLISH_INTERVAL_MS)

  async function loop() {
    while (!stopped) {
      const taken = take(LINES_PER_TURN)
      if (taken < 0) return
      publish()
      if (taken === LINES_PER_TURN) await new Promise((resolve) => setImmediate(resolve))
      else if (taken > 0) await new Promise((resolve) => setTimeout(resolve, BUSY_POLL_MS))
      else await reader.waitForLines(IDLE_WAIT_MS) // idle: the next write wakes the worker
    }
  }

  let closing: Promise<void> | undefined
  function close(): Promise<void> {
    closing ??= (async () => {
      take()
      stopped = true
      await destination.close()
      sendFallback()
      publish()
    })()
    return closing
  }

  function end() {
    clearInterval(heartbeat)
    port.close()
  }

  port.on('message', async (message: ToWorker) => {
    switch (message.type) {
      case 'flush':
        take()
        await destination.flush()
        sendFallback()
        publish()
        send({ type: 'flushed', id: message.id })
        return
      case 'close':
        await close()
        send({ type: 'closed', id: message.id })
        end()
        return
      case 'exit':
        // The main thread is blocked in Atomics.wait until this is set: no message to it is read before then.
        await close()
        Atomics.store(state, CONTROL.exit, EXIT_DONE)
        Atomics.notify(state, CONTROL.exit)
        end()
        return
    }
  })

  // A bug here must not lose what the destination holds: deliver it (or hand it to the fallback), then end.
  let failed = false
  const fail = (error: unknown) => {
    if (failed) return
    failed = true
    send({ type: 'failed', error: messageOf(error) })
    const bound = setTimeout(() => process.exit(1), (init.options.flushTimeoutMs ?? 5000) + 2000)
    close().finally(() => {
      clearTimeout(bound)
      process.exit(1)
    })
  }
  process.on('uncaughtException', fail)
  process.on('unhandledRejection', fail)
  process.on('exit', () => {
    sendFallback()
    publish()
    if (Atomics.load(state, CONTROL.exit) === 0) {
      Atomics.store(state, CONTROL.exit, EXIT_GONE)
      Atomics.notify(state, CONTROL.exit)
    }
  })

  Atomics.store(state, CONTROL.ready, 1)
  publish()
  void loop()
}

const init: WorkerInit | undefined = isMainThread ? undefined : workerData
if (init?.kind === 'vivr-cloudwatch-logs') runLogWorker(init)
