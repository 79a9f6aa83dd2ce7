// `@vivr/sink-cloudwatch/transport`: a pino transport target. pino runs it in its own worker thread (thread-stream)
// and hands it the serialized lines; each line goes to an ordinary `cloudwatchLogs` destination, with its batching,
// limits, retries and bounded memory.
import type { Transform } from 'node:stream'
import { OptionError } from '@vivr/core'
import build from 'pino-abstract-transport'
import { cloudwatchLogs } from './logs.js'
import { stderrLineSync } from './stderr.js'
import type { WorkerLogsOptions } from './worker-protocol.js'

/**
 * The transport's options: those of `cloudwatchLogs` that are plain data, since pino sends them to another
 * thread (`client`, `clock`, `fallback`, `logger`, `onDrop` and `lifecycle` cannot cross). `clientConfig` must be
 * plain data too. Lines CloudWatch will never take, and the transport's own warnings, go to stderr.
 */
export type CloudWatchTransportOptions = WorkerLogsOptions

/**
 * pino waits at most 10 s for a transport to end at exit (thread-stream's `end()`); `close()` takes up to
 * `flushTimeoutMs` plus 1 s, so a longer `flushTimeoutMs` would let pino give up first.
 */
export const MAX_TRANSPORT_FLUSH_TIMEOUT_MS = 8000

/**
 * `pino.transport({ target: '@vivr/sink-cloudwatch/transport', options })`.
 *
 * - Every line goes as it is (no parsing), one CloudWatch event each.
 * - `logger.flush(cb)` calls back once the lines written so far are delivered (or `flushTimeoutMs` passed).
 * - When pino ends the transport — `transport.end()`, and at exit, which pino does for you on `process.exit()`,
 *   an uncaught exception or the event loop running empty — what is buffered is delivered within
 *   `flushTimeoutMs` (at most 8000) and the rest written to stderr.
 */
export default async function cloudwatchTransport(options: CloudWatchTransportOptions): Promise<Transform> {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', options, 'an object')
  for (const option of ['client', 'clock', 'fallback', 'logger', 'onDrop', 'lifecycle']) {
    const value: unknown = Reflect.get(options, option)
    if (value !== undefined) {
      throw new OptionError(option, value, 'nothing: a pino transport takes plain data only')
    }
  }
  const flushTimeoutMs: unknown = options.flushTimeoutMs
  if (typeof flushTimeoutMs === 'number' && flushTimeoutMs > MAX_TRANSPORT_FLUSH_TIMEOUT_MS) {
    throw new OptionError(
      'flushTimeoutMs',
      flushTimeoutMs,
      `at most ${MAX_TRANSPORT_FLUSH_TIMEOUT_MS} in a pino transport (pino waits 10 s for it at exit)`,
    )
  }
  const destination = cloudwatchLogs({ ...options, fallback: stderrLineSync })
  const stream = build(
    (source) => {
      source.on('data', (line: string) => destination.write(line))
    },
    {
      parse: 'lines',
      // Lines go as they are: no JSON.parse per line, and a line that is not JSON is shipped too.
      parseLine: (line) => line,
      metadata: false,
      close: () => destination.close(),
    },
  )
  // thread-stream calls the destination's flush() for pino's logger.flush(cb): make that mean "delivered".
  return Object.assign(stream, { flush: () => destination.flush() })
}

export { cloudwatchTransport }
