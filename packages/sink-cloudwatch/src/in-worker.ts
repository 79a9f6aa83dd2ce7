/// <reference lib="es2024.sharedmemory" />
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads'
import { messageOf, OptionError, scrubSecrets, systemClock } from '@vivr/core'
import { createAccounting } from './accounting.js'
import { eventMessage } from './fit-line.js'
import { createHandoffBuffers, ringReader, ringWriter, STATE } from './handoff-ring.js'
import { MAX_EVENT_MESSAGE_BYTES } from './limits.js'
import type { CloudWatchLogsDestination, CloudWatchLogsStats } from './logs.js'
import { type CloudWatchLogsOptions, resolveLogsOptions } from './logs-options.js'
import { stderrLineSync } from './stderr.js'
import { integerAtLeast } from './validate.js'
import {
  CONTROL,
  type FromWorker,
  STATS_FIELDS,
  type ToWorker,
  type WorkerInit,
  type WorkerLogsOptions,
} from './worker-protocol.js'

const MiB = 1024 * 1024

export interface CloudWatchLogsWorkerOptions extends Omit<CloudWatchLogsOptions, 'client' | 'clock'> {
  /**
   * Memory for lines written and not yet taken by the worker thread, in bytes (one SharedArrayBuffer, allocated
   * once); at least 1 MiB. A line that finds it full is dropped and counted (`buffer-full`): the application's
   * thread never waits for the worker. The worker holds up to `maxBufferBytes` more. @default 4 MiB
   */
  handoffBufferBytes?: number
}

/** The worker's script, and whether it is TypeScript source to load through tsx. */
export interface WorkerScript {
  url: URL
  typescript: boolean
}

/** `log-worker` beside this module: `.js` or `.cjs` as built, or the TypeScript source inside this repository. */
export function logWorkerScript(): WorkerScript {
  const here = import.meta.url
  if (here.endsWith('.ts')) return { url: new URL('./log-worker.ts', here), typescript: true }
  return {
    url: new URL(here.endsWith('.cjs') ? './log-worker.cjs' : './log-worker.js', here),
    typescript: false,
  }
}

function startWorker(script: WorkerScript, workerData: WorkerInit, transferList: MessagePort[]): Worker {
  const options = { workerData, transferList, name: 'vivr-cloudwatch-logs' }
  if (!script.typescript) {
    // Not the application's flags: its preloads (tracers, loaders) have no business in the log shipper.
    return new Worker(script.url, { ...options, execArgv: [] })
  }
  // Inside this repository (sources run through tsx with the `@vivr/source` condition). A worker's entry module is
  // loaded before any `--import` hook applies, so a small script registers tsx first, then imports the source.
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(script.url.href)}) })`
  return new Worker(bootstrap, { ...options, eval: true, execArgv: ['--conditions=@vivr/source'] })
}

/**
 * `cloudwatchLogs` with the shipping on a worker thread: the logger's thread only copies each line's bytes into
 * a shared ring; the worker runs the same batching, limits, retries and bounded memory, and the AWS SDK builds,
 * signs and sends each PutLogEvents request there.
 *
 * - `flush()` resolves once the worker has delivered what was written (or after `flushTimeoutMs`); `close()`
 *   delivers, hands the rest to `fallback` and ends the worker.
 * - At exit (`process.exit()`, an uncaught exception, the event loop running empty) the lines still on their way
 *   are delivered synchronously: the exiting thread waits, at most `flushTimeoutMs` + 3 s, while the worker
 *   delivers; what it could not deliver goes to `fallback`.
 * - If the worker dies, the host carries on: lines it had not taken go to `fallback`, lines it held are counted
 *   (`worker-failed`), and later lines go to `fallback`.
 *
 * Options are those of `cloudwatchLogs` except `client` and `clock` (they cannot cross to another thread):
 * `clientConfig` must be plain data. `fallback`, `onDrop`, `logger` and `lifecycle` stay on this thread.
 */
export function cloudwatchLogsInWorker(options: CloudWatchLogsWorkerOptions): CloudWatchLogsDestination {
  return startLogWorker(options, logWorkerScript())
}

function plainOptions(options: CloudWatchLogsWorkerOptions, instanceId: string): WorkerLogsOptions {
  for (const option of ['client', 'clock'] as const) {
    const value: unknown = Reflect.get(options, option)
    if (value !== undefined) {
      throw new OptionError(
        option,
        value,
        `nothing: the worker form cannot take a ${option} (it lives on another thread); pass plain clientConfig, or use cloudwatchLogs`,
      )
    }
  }
  const plain: WorkerLogsOptions = {
    logGroupName: options.logGroupName,
    instanceId,
    ...(options.logStreamName !== undefined && { logStreamName: options.logStreamName }),
    ...(options.flushIntervalMs !== undefined && { flushIntervalMs: options.flushIntervalMs }),
    ...(options.maxBufferBytes !== undefined && { maxBufferBytes: options.maxBufferBytes }),
    ...(options.createIfMissing !== undefined && { createIfMissing: options.createIfMissing }),
    ...(options.retentionInDays !== undefined && { retentionInDays: options.retentionInDays }),
    ...(options.requestTimeoutMs !== undefined && { requestTimeoutMs: options.requestTimeoutMs }),
    ...(options.flushTimeoutMs !== undefined && { flushTimeoutMs: options.flushTimeoutMs }),
    ...(options.maxRetryDelayMs !== undefined && { maxRetryDelayMs: options.maxRetryDelayMs }),
    ...(options.warnIntervalMs !== undefined && { warnIntervalMs: options.warnIntervalMs }),
    ...(options.region !== undefined && { region: options.region }),
    ...(options.clientConfig !== undefined && { clientConfig: options.clientConfig }),
  }
  const found = notPlainData(plain.clientConfig, 'clientConfig')
  if (found) {
    throw new OptionError(
      found.path,
      found.value,
      'plain data the worker thread can receive (no functions or class instances such as a credentials provider or a request handler: the worker uses the default credential chain, or plain credentials)',
    )
  }
  return plain
}

/** The first value in `value` that is not plain data (a function, a class instance), with its path. */
function notPlainData(
  value: unknown,
  path: string,
  seen = new Set<unknown>(),
): { path: string; value: unknown } | undefined {
  if (typeof value === 'function' || typeof value === 'symbol') return { path, value }
  if (typeof value !== 'object' || value === null || value instanceof Date) return undefined
  if (seen.has(value)) return { path, value }
  seen.add(value)
  const prototype = Object.getPrototypeOf(value)
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return { path, value }
  for (const [key, member] of Object.entries(value)) {
    const inner = notPlainData(member, `${path}.${key}`, seen)
    if (inner) return inner
  }
  return undefined
}

/** The worker destination over a given worker script (tests pass one that fails on purpose). */
export function startLogWorker(
  options: CloudWatchLogsWorkerOptions,
  script: WorkerScript,
): CloudWatchLogsDestination {
  // The default fallback writes synchronously: at exit, lines written with process.stderr.write to a pipe are lost.
  const settings = {
    ...resolveLogsOptions(options),
    ...(options.fallback === undefined && { fallback: stderrLineSync }),
  }
  const { logGroupName, flushTimeoutMs, fallback, logger } = settings
  const handoffBufferBytes = integerAtLeast('handoffBufferBytes', options.handoffBufferBytes, MiB) ?? 4 * MiB
  const init: Omit<WorkerInit, 'port'> = {
    kind: 'vivr-cloudwatch-logs',
    ring: createHandoffBuffers(handoffBufferBytes),
    stats: new SharedArrayBuffer(STATS_FIELDS.length * Float64Array.BYTES_PER_ELEMENT),
    options: plainOptions(options, settings.instanceId),
  }
  const accounting = createAccounting({ ...settings, clock: systemClock })
  const writer = ringWriter(init.ring)
  const reader = ringReader(init.ring)
  const state = new Int32Array(init.ring.state)
  const workerStats = new Float64Array(init.stats)
  const fromWorker = (field: (typeof STATS_FIELDS)[number]) => workerStats[STATS_FIELDS.indexOf(field)] ?? 0

  const { port1: port, port2 } = new MessageChannel()
  const worker = startWorker(script, { ...init, port: port2 }, [port2])
  worker.unref()

  let written = 0
  let truncated = 0
  /** No more lines to the worker: close() was called, the process is exiting, or the worker is gone. */
  let closed = false
  let gone = false
  let settled = false
  let failure: string | undefined
  let closing: Promise<void> | undefined
  let nextId = 0
  const pending = new Map<number, () => void>()

  /** One of the worker's warnings (it throttled them already): to `logger`, else as a JSON line to `fallback`. */
  function warnFromWorker(message: string, context: Record<string, unknown>) {
    try {
      if (logger) logger.warn(message, context)
      else
        fallback(JSON.stringify({ level: 'WARN', timestamp: new Date().toISOString(), message, ...context }))
    } catch {
      // The logger or fallback is the user's; nothing else to try.
    }
  }

  function onMessage(message: FromWorker) {
    switch (message.type) {
      case 'flushed':
      case 'closed':
        pending.get(message.id)?.()
        return
      case 'fallback':
        accounting.toFallback(message.lines)
        return
      case 'drop':
        accounting.drop(message.count, message.reason)
        return
      case 'warn':
        warnFromWorker(message.message, message.context)
        return
      case 'failed':
        failure = scrubSecrets(message.error)
        return
    }
  }
  port.on('message', onMessage)
  // After the listener, which refs the port: the worker never keeps the process alive by itself.
  port.unref()

  /** Messages the worker sent that this thread has not read yet (it is exiting, or the worker is gone). */
  function readMessagesNow() {
    for (let received = receiveMessageOnPort(port); received; received = receiveMessageOnPort(port)) {
      onMessage(received.message)
    }
  }

  /**
   * After the worker ended, stopped answering, or at exit: the lines it never took go to the fallback, and the
   * lines it took and never settled (per its last report) are counted as lost. `trouble` says what went wrong, if
   * anything did (it is always told, with what it cost).
   */
  function settle(trouble?: string) {
    if (settled) return
    settled = true
    closed = true
    readMessagesNow()
    // The worker reads no more once the ring is taken over; a dead worker may have died holding the lock.
    const canRead = reader.takeOver(gone ? 0 : 200) || gone
    const taken = Atomics.load(state, STATE.taken)
    let lost = Math.max(0, fromWorker('bufferedEvents') + ((taken - fromWorker('written')) | 0))
    const left: string[] = []
    if (canRead) reader.read((line) => left.push(line))
    else lost += writer.pendingLines
    if (trouble !== undefined || left.length > 0 || lost > 0) {
      accounting.warn(
        'internal',
        `CloudWatch Logs worker ${trouble ?? 'closed'}; lines it had not taken went to the fallback, lines it held are lost, later lines go to the fallback`,
        { toFallback: left.length, lost, ...(failure && { error: failure }) },
      )
    }
    accounting.toFallback(left)
    accounting.drop(lost, 'worker-failed')
    process.off('exit', drainAtExit)
    accounting.close()
    port.close()
  }

  function request(type: 'flush' | 'close', boundMs: number): Promise<void> {
    if (gone) return Promise.resolve()
    const id = ++nextId
    return new Promise<void>((resolve) => {
      const done = () => {
        systemClock.clearTimeout(deadline)
        pending.delete(id)
        resolve()
      }
      // Kept alive: a caller awaits this (docs/shutdown.md#timers).
      const deadline = systemClock.setTimeout(done, boundMs, { keepAlive: true })
      pending.set(id, done)
      port.postMessage({ type, id } satisfies ToWorker)
    })
  }

  worker.on('error', (error) => {
    failure ??= scrubSecrets(messageOf(error))
  })
  worker.on('exit', (code) => {
    gone = true
    for (const done of [...pending.values()]) done()
    if (!closing) settle(`thread ended (exit code ${code})`)
  })

  /**
   * On process exit — `process.exit()`, an uncaught exception, or the event loop running empty — this thread
   * cannot await anything: it asks the worker to close and waits for it synchronously, within a deadline.
   */
  function drainAtExit() {
    if (settled) return
    closed = true
    if (!gone) {
      port.postMessage({ type: 'exit' } satisfies ToWorker)
      const deadline = Date.now() + flushTimeoutMs + 3000
      for (;;) {
        const left = deadline - Date.now()
        if (Atomics.load(state, CONTROL.exit) !== 0 || left <= 0) break
        Atomics.wait(state, CONTROL.exit, 0, left)
      }
      if (Atomics.load(state, CONTROL.exit) !== 0) gone = true
    }
    settle(gone ? undefined : `did not finish within ${flushTimeoutMs + 3000} ms of exit`)
  }
  process.on('exit', drainAtExit)

  function write(line: string) {
    if (typeof line !== 'string' || line.length === 0) return
    if (closed) {
      accounting.toFallback([line])
      return
    }
    written++
    let text = line
    // Only a line that may be over the event limit is measured (and fitted) here; the worker checks the rest.
    if (line.length > MAX_EVENT_MESSAGE_BYTES / 3) {
      const event = eventMessage(line)
      if (event.truncated) truncated++
      text = event.message
    }
    if (!writer.write(text)) {
      accounting.drop(1, 'buffer-full')
      accounting.warn(
        'buffer-full',
        'CloudWatch Logs worker is behind; dropped lines its hand-off buffer had no room for',
        {
          handoffBufferBytes,
          droppedTotal: accounting.dropped,
        },
      )
    }
  }

  async function shutDown() {
    closed = true
    await request('close', flushTimeoutMs + 2000)
    if (!gone) {
      // The worker ends on its own once closed; one that does not answer is stopped.
      const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
      let guard: ReturnType<typeof setTimeout> | undefined
      const outcome = await Promise.race([
        ended.then(() => 'ended' as const),
        new Promise<'late'>((resolve) => (guard = setTimeout(() => resolve('late'), 1000))),
      ])
      clearTimeout(guard)
      if (outcome === 'late') {
        settle(`did not finish within ${flushTimeoutMs + 2000} ms of close()`)
        await worker.terminate().catch(() => {})
      }
    }
    settle()
  }

  const stats = (): CloudWatchLogsStats => {
    const inWorker = settled ? 0 : 1
    return {
      written,
      delivered: fromWorker('delivered'),
      dropped: accounting.dropped,
      rejected: accounting.rejected,
      fallback: accounting.fallback,
      truncated: truncated + fromWorker('truncated'),
      requests: fromWorker('requests'),
      retries: fromWorker('retries'),
      bufferedEvents: inWorker * (writer.pendingLines + fromWorker('bufferedEvents')),
      bufferedBytes: inWorker * (writer.pendingBytes + fromWorker('bufferedBytes')),
    }
  }

  const destination: CloudWatchLogsDestination = {
    write(line) {
      try {
        write(line)
      } catch (error) {
        accounting.warn('internal', 'cloudwatch-logs write failed', { error: scrubSecrets(messageOf(error)) })
      }
    },
    flush: () => (closed ? (closing ?? Promise.resolve()) : request('flush', flushTimeoutMs + 1000)),
    close() {
      closing ??= shutDown()
      return closing
    },
    stats,
  }
  settings.lifecycle?.onShutdown(`cloudwatch-logs ${logGroupName}`, () => destination.close(), {
    timeoutMs: flushTimeoutMs + 4000,
  })
  return destination
}
