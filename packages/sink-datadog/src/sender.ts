import { isIP } from 'node:net'
import { type Clock, type Logger, messageOf } from '@vivr/core'
import { type ClientOptions, StatsD } from 'hot-shots'
import { createCachedLookup } from './cached-lookup.js'
import { createThrottledErrorLog } from './error-log.js'
import type { Transport } from './options.js'
import { metricNameSafe, packValues, tagBytes } from './wire.js'

export type MetricType = 'c' | 'g' | 'ms' | 'h'

/** flush() and close() never wait longer than this for a socket (a hung DNS lookup, a stuck Unix socket). */
export const SETTLE_BOUND_MS = 2000
const DNS_REFRESH_MS = 60_000
const DNS_RETRY_MS = 5000
/**
 * Distinct metric + tags contexts aggregated per interval (by this sink's aggregator; the warning names it when a
 * client of yours with hot-shots' own aggregation reaches its limit).
 */
export const MAX_CONTEXTS = 10_000
const SEND_FAILED = 'datadog metrics: send failed; metrics are being lost'

export interface SenderOptions {
  transport: Transport
  prefix: string
  globalTags: Record<string, string>
  maxDatagramBytes: number
  flushIntervalMs: number
  /** Yours: written to through a child client, flushed but left open on close. */
  client: StatsD | undefined
  errorHandler: ((error: Error) => void) | undefined
  logger: Logger
  warnIntervalMs: number
  clock: Clock
}

/**
 * The hot-shots side of the sink: lines that were already checked go into hot-shots' buffer, and every way that
 * can fail (a throw, a callback error, a socket error, DNS) is counted, throttled into the logger and handed to
 * the error handler. Nothing here throws.
 */
export interface Sender {
  readonly client: StatsD
  metric(type: MetricType, name: string, value: number, tags: Record<string, string> | undefined): void
  /**
   * The samples of one series as DogStatsD 1.1 multi-value lines (`name:v1:v2|ms|#tags`), each at most
   * `maxDatagramBytes` bytes with the client's own prefix and global tags counted, handed whole to hot-shots'
   * buffer. Returns the values that could not fit a line even alone (not sent, for the caller to count).
   */
  samples(
    type: 'ms' | 'h',
    name: string,
    values: readonly number[],
    tags: Record<string, string> | undefined,
  ): number
  check(
    name: string,
    code: 0 | 1 | 2 | 3,
    fields: { message: string | undefined; hostname: string | undefined },
    tags: Record<string, string> | undefined,
  ): void
  /** Sends what hot-shots buffers; resolves within SETTLE_BOUND_MS whatever the socket does. */
  flush(): Promise<void>
  /** Flushes and closes the client (only flushes yours), then logs the pending error summary. Call once. */
  close(): Promise<void>
  stats(): { sent: number; sentValues: number; sendErrors: number; dnsQueries: number }
}

/**
 * The layer of hot-shots every metric call ends in: `send(message, tags)` takes a line without tags, adds the
 * client's global tags and the call's (sanitized and merged as for any metric), the origin fields of a client in
 * Datadog mode, and buffers the line, or sends it at once without `maxBufferSize`. Public on hot-shots' Client
 * (its own timing() and check() call it) but missing from its type declarations, so it is looked for at runtime:
 * without it, samples go out one to a line through timing() and histogram().
 */
interface LineSender {
  send(message: string, tags: Record<string, string> | undefined): void
  readonly prefix: string
  readonly suffix: string
  /** Formatted `key:value` strings, as the client adds them to every line. */
  readonly globalTags: readonly string[]
}

function isLineSender(client: StatsD): client is StatsD & LineSender {
  return (
    'send' in client &&
    typeof client.send === 'function' &&
    'prefix' in client &&
    typeof client.prefix === 'string' &&
    'suffix' in client &&
    typeof client.suffix === 'string' &&
    'globalTags' in client &&
    Array.isArray(client.globalTags) &&
    client.globalTags.every((tag) => typeof tag === 'string')
  )
}

/** `instanceof Error`, false for a Proxy whose prototype trap throws. */
function isError(error: unknown): error is Error {
  try {
    return error instanceof Error
  } catch {
    return false
  }
}

function isContextLimit(error: unknown): boolean {
  return isError(error) && messageOf(error).includes('aggregation context limit')
}

/** hot-shots' options for a client of our own: exactly what the app emits goes on the wire, over a cached DNS. */
function ownClientOptions(options: SenderOptions, clock: Clock) {
  const { transport } = options
  const clientOptions: ClientOptions = {
    prefix: options.prefix,
    globalTags: options.globalTags,
    maxBufferSize: options.maxDatagramBytes,
    bufferFlushInterval: options.flushIntervalMs,
    // No DD_* tag injection, client telemetry or origin fields, whose bytes the guard could not count. Pass your
    // own `client` to have them.
    includeDataDogTags: false,
    includeDatadogTelemetry: false,
    datadog: false,
  }
  let dnsQueries = () => 0
  if (transport.protocol === 'uds') {
    clientOptions.protocol = 'uds'
    clientOptions.path = transport.path
  } else {
    clientOptions.protocol = 'udp'
    clientOptions.host = transport.host
    clientOptions.port = transport.port
    if (!isIP(transport.host)) {
      const cached = createCachedLookup({
        refreshMs: DNS_REFRESH_MS,
        retryMs: DNS_RETRY_MS,
        family: 4,
        clock,
      })
      clientOptions.udpSocketOptions = { type: 'udp4', lookup: cached.lookup }
      dnsQueries = () => cached.queries
    }
  }
  return { clientOptions, dnsQueries }
}

export function createSender(options: SenderOptions): Sender {
  const { clock, logger, errorHandler } = options
  const errorLog = createThrottledErrorLog({
    logger,
    intervalMs: options.warnIntervalMs,
    clock,
    message: SEND_FAILED,
  })
  let sent = 0
  let sentValues = 0
  let sendErrors = 0

  function onSendError(error: unknown): void {
    // A client of yours with hot-shots' own aggregation signals a full window this way, once; nothing was lost.
    if (isContextLimit(error)) {
      try {
        logger.warn('datadog metrics: too many distinct metric contexts to aggregate this interval', {
          maxContexts: MAX_CONTEXTS,
        })
      } catch {
        // A broken logger must not break the send path.
      }
      return
    }
    sendErrors++
    errorLog.report(error)
    if (errorHandler) {
      try {
        errorHandler(isError(error) ? error : new Error(messageOf(error)))
      } catch {
        // The user's handler failing must not break the send path.
      }
    }
  }

  /** Yours through a child client, or one of our own (with the DNS cache it sends through). */
  function openClient(): { client: StatsD; owned: boolean; dnsQueries: () => number } {
    if (options.client) {
      const child = options.client.childClient({
        prefix: options.prefix,
        globalTags: options.globalTags,
        errorHandler: onSendError,
      })
      return { client: child, owned: false, dnsQueries: () => 0 }
    }
    const { clientOptions, dnsQueries } = ownClientOptions(options, clock)
    return { client: new StatsD({ ...clientOptions, errorHandler: onSendError }), owned: true, dnsQueries }
  }
  const { client, owned, dnsQueries } = openClient()
  const lineSender = isLineSender(client) ? client : undefined
  // The tag section every line of this client carries, counted generously (`|#`, and a comma after each tag).
  const globalTagBytes = lineSender
    ? lineSender.globalTags.reduce((bytes, tag) => bytes + Buffer.byteLength(tag) + 1, 0)
    : 0

  function metric(type: MetricType, name: string, value: number, tags: Record<string, string> | undefined) {
    try {
      if (type === 'c') client.increment(name, value, tags)
      else if (type === 'g') client.gauge(name, value, tags)
      else if (type === 'ms') client.timing(name, value, tags)
      else client.histogram(name, value, tags)
      sent++
      sentValues++
    } catch (error) {
      onSendError(error)
    }
  }

  /** Runs a hot-shots call that reports through a callback, bounded so a stuck socket cannot hang shutdown. */
  function settle(call: (done: (error?: Error) => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      let finished = false
      const finish = () => {
        if (finished) return
        finished = true
        clock.clearTimeout(timer)
        resolve()
      }
      const timer = clock.setTimeout(finish, SETTLE_BOUND_MS)
      try {
        call((error) => {
          if (error) onSendError(error)
          finish()
        })
      } catch (error) {
        onSendError(error)
        finish()
      }
    })
  }

  return {
    client,
    metric,
    samples(type, name, values, tags) {
      if (!lineSender) {
        for (const value of values) metric(type, name, value, tags)
        return 0
      }
      const head = `${lineSender.prefix}${metricNameSafe(name)}${lineSender.suffix}`
      const tail = `|${type}`
      const tagSection =
        globalTagBytes > 0 || (tags && Object.keys(tags).length > 0)
          ? 2 + globalTagBytes + (tags ? tagBytes(tags) : 0)
          : 0
      const room = options.maxDatagramBytes - Buffer.byteLength(head) - tail.length - tagSection
      const packed = packValues(head, tail, values, room)
      for (const [i, line] of packed.lines.entries()) {
        try {
          lineSender.send(line, tags)
          sent++
          sentValues += packed.counts[i] ?? 0
        } catch (error) {
          onSendError(error)
        }
      }
      return packed.dropped
    },
    check(name, code, fields, tags) {
      try {
        client.check(name, code, fields, tags)
        sent++
      } catch (error) {
        onSendError(error)
      }
    },
    flush: () => settle((done) => client.flush(done)),
    close() {
      const closing = owned
        ? settle((done) =>
            client.close((error) => {
              if (!error) return done()
              // hot-shots keeps the socket open when the final flush fails; close again to release it.
              onSendError(error)
              client.close(() => done())
            }),
          )
        : settle((done) => client.flush(done))
      return closing.then(() => errorLog.settle())
    },
    stats: () => ({ sent, sentValues, sendErrors, dnsQueries: dnsQueries() }),
  }
}
