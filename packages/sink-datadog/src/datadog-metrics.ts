import { isIP } from 'node:net'
import { isProxy } from 'node:util/types'
import {
  type Clock,
  type Logger,
  type MetricSink,
  mayHoldSecret,
  messageOf,
  noopLogger,
  OptionError,
  scrubSecrets,
  systemClock,
  type Tags,
  type TimerHandle,
} from '@vivr/core'
import { booleanOption, nonEmptyStringOption } from '@vivr/core/internal'
import { type ClientOptions, StatsD } from 'hot-shots'
import { createAggregator } from './aggregator.js'
import { createCachedLookup } from './cached-lookup.js'
import { createThrottledErrorLog } from './error-log.js'

export type ServiceCheckStatus = 'ok' | 'warning' | 'critical' | 'unknown'

export interface ServiceCheckOptions {
  /** Shown in Datadog beside the status: scrubbed of secrets (core's scrubSecrets) and cut to fit one datagram. */
  message?: string
  tags?: Tags
  hostname?: string
}

export interface DatadogMetricsOptions {
  /** DogStatsD agent host (UDP). @default process.env.DD_AGENT_HOST ?? 'localhost' */
  host?: string
  /** @default process.env.DD_AGENT_PORT ?? process.env.DD_DOGSTATSD_PORT ?? 8125 */
  port?: number
  /**
   * The agent's Unix datagram socket; wins over host/port. Without host and port options,
   * `DD_DOGSTATSD_SOCKET` is used when set. @default process.env.DD_DOGSTATSD_SOCKET
   */
  socketPath?: string
  /** Prepended to every metric and service check name. @default 'vivr.' */
  prefix?: string
  /** The `service` tag. @default process.env.DD_SERVICE */
  service?: string
  /**
   * Added to every metric, over the defaults `env` (DD_ENV, else NODE_ENV), `service` and `version`
   * (DD_VERSION, else APP_VERSION); a default whose source is unset is left out.
   */
  globalTags?: Record<string, string>
  /** Largest datagram in bytes (UTF-8, not characters). @default 1432 over UDP, 8192 over a Unix socket */
  maxBufferSize?: number
  /** Buffered lines (and aggregated counters and gauges) leave at least this often. @default 1000 */
  flushIntervalMs?: number
  /**
   * Client-side aggregation, as Datadog's official clients do by default: within one flush interval, increments
   * of the same metric and tags are summed into one line and a gauge sends only its last value. Timings and
   * histograms are never aggregated (the agent needs every sample). @default true
   */
  aggregation?: boolean
  /** Called with every send error, after it was counted. Must not throw (if it does, it is ignored). */
  errorHandler?: (error: Error) => void
  /**
   * Your own hot-shots client: the sink then writes through a child client (this sink's prefix and global tags
   * on top of the client's own) and `close()` flushes it but leaves it open. Its host, buffering and socket
   * errors stay yours; the byte guard cannot see the client's own prefix and tags.
   */
  client?: StatsD
  /** Where send errors are reported, at most once per `errorLogIntervalMs`. @default a logger that drops everything */
  logger?: Logger
  /** @default 60000 */
  errorLogIntervalMs?: number
  clock?: Clock
}

export interface DatadogSinkStats {
  /** Metric lines and service checks handed to hot-shots. */
  sent: number
  /**
   * Calls with an empty name, a value that is not a finite number, an unknown service-check status, or tags that
   * are not a plain object of at most 64 strings, numbers or booleans (an array, a Buffer, an object as a value, a
   * Proxy or getter that throws).
   */
  droppedInvalid: number
  /**
   * Lines that could not fit one datagram of `maxBufferSize` bytes even after cutting tags to 200 characters
   * (a name longer than a datagram among them).
   */
  droppedOversize: number
  /** Calls after `close()`. */
  droppedAfterClose: number
  /** Failed datagrams, DNS failures and socket errors (each counts once). */
  sendErrors: number
  /** Tags cut to Datadog's 200-character limit. */
  truncatedTags: number
  /** DNS queries for the agent's hostname (cached: one, plus one per refresh or retry). */
  dnsQueries: number
}

export interface DatadogMetrics extends MetricSink {
  /** A DogStatsD service check (`_sc`), e.g. health per dependency. */
  serviceCheck(name: string, status: ServiceCheckStatus, options?: ServiceCheckOptions): void
  stats(): DatadogSinkStats
  /** The hot-shots client this sink writes to, for what the MetricSink interface lacks (events, distributions). */
  readonly client: StatsD
  flush(): Promise<void>
  close(): Promise<void>
}

type MetricType = 'c' | 'g' | 'ms' | 'h'

/** Datadog keeps at most 200 characters of a tag. */
const MAX_TAG_CHARS = 200
const MAX_KEY_CHARS = 100
/** `String(n)` of any finite double is at most 24 characters (`-1.2345678901234567e-308`). */
const MAX_NUMBER_CHARS = 24
/** A UTF-16 code unit never takes more than 3 UTF-8 bytes. */
const MAX_BYTES_PER_CHAR = 3
const UDP_DEFAULT_BUFFER = 1432
const UDS_DEFAULT_BUFFER = 8192
const UDP_MAX_PAYLOAD = 65_507
const MIN_BUFFER = 512
/** flush() and close() never wait longer than this for a socket (a hung DNS lookup, a stuck Unix socket). */
const SETTLE_BOUND_MS = 2000
const DNS_REFRESH_MS = 60_000
const DNS_RETRY_MS = 5000
/** Distinct metric + tags contexts aggregated per interval; further ones are sent unaggregated. */
const MAX_CONTEXTS = 10_000
/** Characters of names and tags the aggregator holds per interval, whatever their size; past it, lines go out as they come. */
const MAX_AGGREGATED_CHARS = 4 * 1024 * 1024
/** Tags on one call: more is not a tag set but a mistake (core's limitCardinality draws the same line). */
const MAX_TAGS = 64
/** Tag values remembered as free of secrets (each at most MAX_TAG_CHARS long). */
const MAX_CLEAN_VALUES = 2048
const CHECK_CODES = { ok: 0, warning: 1, critical: 2, unknown: 3 } as const

const env = (name: string): string | undefined => {
  const value = process.env[name]
  return value === undefined || value === '' ? undefined : value
}

function cut(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text
  const last = text.charCodeAt(maxChars - 1)
  // Never split a surrogate pair: half a character is not valid UTF-8.
  const kept = text.slice(0, last >= 0xd800 && last <= 0xdbff ? maxChars - 1 : maxChars)
  // A copy: V8 makes a slice a view that keeps the whole 10 MB original alive as long as the slice is held.
  return Buffer.from(kept, 'utf16le').toString('utf16le')
}

/** A tag value as text: primitives as `String()` spells them; an object or a function is not a tag value. */
function tagText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return String(value)
  return undefined
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
  if (!isError(error)) return false
  const message = messageOf(error)
  return message.includes('aggregation context limit')
}

function integerIn(option: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionError(option, value, `an integer from ${min} to ${max}`)
  }
  return value
}

function portFrom(value: unknown): number | undefined {
  if (value !== undefined) return integerIn('port', value, 1, 65_535)
  const fromEnv = env('DD_AGENT_PORT') ?? env('DD_DOGSTATSD_PORT')
  if (fromEnv === undefined) return undefined
  const port = Number(fromEnv)
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new OptionError(
      'port (from DD_AGENT_PORT / DD_DOGSTATSD_PORT)',
      fromEnv,
      'an integer from 1 to 65535',
    )
  }
  return port
}

function globalTagsFrom(options: DatadogMetricsOptions): Record<string, string> {
  const tags: Record<string, string> = {}
  const environment = env('DD_ENV') ?? env('NODE_ENV')
  const service = options.service ?? env('DD_SERVICE')
  const version = env('DD_VERSION') ?? env('APP_VERSION')
  if (environment) tags.env = environment
  if (service) tags.service = service
  if (version) tags.version = version
  const extra = options.globalTags
  if (extra === undefined) return tags
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    throw new OptionError('globalTags', extra, 'an object of string values')
  }
  for (const [key, value] of Object.entries(extra)) {
    if (typeof value !== 'string') throw new OptionError(`globalTags.${key}`, value, 'a string')
    tags[key] = value
  }
  return tags
}

interface Resolved {
  clientOptions: ClientOptions
  prefix: string
  globalTags: Record<string, string>
  maxBufferSize: number
  flushIntervalMs: number
  aggregation: boolean
  dnsQueries: () => number
}

function resolveOptions(options: DatadogMetricsOptions, clock: Clock): Resolved {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', options, 'an object')
  const socketPath =
    nonEmptyStringOption('socketPath', options.socketPath) ??
    (options.host === undefined && options.port === undefined ? env('DD_DOGSTATSD_SOCKET') : undefined)
  const host = nonEmptyStringOption('host', options.host) ?? env('DD_AGENT_HOST') ?? 'localhost'
  const port = portFrom(options.port) ?? 8125
  const prefix = options.prefix ?? 'vivr.'
  if (typeof prefix !== 'string') throw new OptionError('prefix', prefix, 'a string')
  const maxBufferSize =
    integerIn(
      'maxBufferSize',
      options.maxBufferSize,
      MIN_BUFFER,
      socketPath ? UDS_DEFAULT_BUFFER : UDP_MAX_PAYLOAD,
    ) ?? (socketPath ? UDS_DEFAULT_BUFFER : UDP_DEFAULT_BUFFER)
  const flushIntervalMs = integerIn('flushIntervalMs', options.flushIntervalMs, 1, 2 ** 31 - 1) ?? 1000
  if (options.errorHandler !== undefined && typeof options.errorHandler !== 'function') {
    throw new OptionError('errorHandler', options.errorHandler, 'a function')
  }
  if (options.client !== undefined && typeof options.client?.childClient !== 'function') {
    throw new OptionError('client', options.client, 'a hot-shots StatsD client')
  }
  if (options.logger !== undefined && typeof options.logger?.warn !== 'function') {
    throw new OptionError('logger', options.logger, 'a Logger')
  }
  booleanOption('aggregation', options.aggregation)
  const globalTags = globalTagsFrom(options)
  // hot-shots adds the dot itself; normalize here so the byte guard counts what goes on the wire.
  const normalizedPrefix = prefix && !prefix.endsWith('.') ? `${prefix}.` : prefix
  const clientOptions: ClientOptions = {
    prefix: normalizedPrefix,
    globalTags,
    maxBufferSize,
    bufferFlushInterval: flushIntervalMs,
    // What we send is exactly what the app emits: no DD_* tag injection, client telemetry or origin fields,
    // whose bytes the guard could not count. Pass your own `client` to have them.
    includeDataDogTags: false,
    includeDatadogTelemetry: false,
    datadog: false,
  }
  let dnsQueries = () => 0
  if (socketPath) {
    clientOptions.protocol = 'uds'
    clientOptions.path = socketPath
  } else {
    clientOptions.protocol = 'udp'
    clientOptions.host = host
    clientOptions.port = port
    if (!isIP(host)) {
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
  return {
    clientOptions,
    prefix: normalizedPrefix,
    globalTags,
    maxBufferSize,
    flushIntervalMs,
    aggregation: options.aggregation !== false,
    dnsQueries,
  }
}

const encoder = new TextEncoder()

function cutToBytes(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return ''
  if (Buffer.byteLength(text) <= maxBytes) return text
  // encodeInto stops before a character that would not fit whole, so the cut is always valid UTF-8.
  const { read } = encoder.encodeInto(text, new Uint8Array(maxBytes))
  return text.slice(0, read)
}

/** A service check message is the line's last field: no newline and no `|` may survive in it. */
function escapeCheckMessage(message: string): string {
  return message.replace(/\r\n|\r|\n/g, '\\n').replace(/\|/g, '/')
}

const checkFieldSafe = (text: string) => text.replace(/[|\r\n]/g, '_')

function tagBytes(tags: Record<string, string>): number {
  let bytes = 0
  for (const [key, value] of Object.entries(tags))
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value) + 2
  return bytes
}

/**
 * DogStatsD metrics on hot-shots. Lines are batched into datagrams of at most `maxBufferSize` bytes; a line that
 * cannot fit one datagram is dropped and counted instead of going out oversized (and being cut by the agent).
 * Never throws and never blocks: DNS is resolved once and cached, send errors are counted and logged at most
 * once per `errorLogIntervalMs`.
 */
export function datadogMetrics(options: DatadogMetricsOptions = {}): DatadogMetrics {
  const clock = options.clock ?? systemClock
  const resolved = resolveOptions(options, clock)
  const { maxBufferSize } = resolved
  const logger = options.logger ?? noopLogger
  const errorLog = createThrottledErrorLog({
    logger,
    intervalMs: integerIn('errorLogIntervalMs', options.errorLogIntervalMs, 1, 2 ** 31 - 1) ?? 60_000,
    clock,
    message: 'datadog metrics: send failed; metrics are being lost',
  })
  const counters: Omit<DatadogSinkStats, 'dnsQueries'> = {
    sent: 0,
    droppedInvalid: 0,
    droppedOversize: 0,
    droppedAfterClose: 0,
    sendErrors: 0,
    truncatedTags: 0,
  }

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
    counters.sendErrors++
    errorLog.report(error)
    if (options.errorHandler) {
      try {
        options.errorHandler(isError(error) ? error : new Error(messageOf(error)))
      } catch {
        // The user's handler failing must not break the send path.
      }
    }
  }

  const ownsClient = options.client === undefined
  const client = options.client
    ? options.client.childClient({
        prefix: resolved.prefix,
        globalTags: resolved.globalTags,
        errorHandler: onSendError,
      })
    : new StatsD({ ...resolved.clientOptions, errorHandler: onSendError })

  const globalBytes = tagBytes(resolved.globalTags)
  const prefixBytes = Buffer.byteLength(resolved.prefix)
  // `prefix name:value|ms|#global,tags`: everything but name, value and call tags, counted generously.
  const fixedBytes = prefixBytes + 4 + 3 + globalBytes
  let scannedChars = 0
  let closed = false
  let closing: Promise<void> | undefined
  const aggregator = resolved.aggregation ? createAggregator(MAX_CONTEXTS, MAX_AGGREGATED_CHARS) : undefined
  let aggregationTimer: TimerHandle | undefined

  // Tag values known to hold no secret: the same few recur on every call, and a set lookup costs less than a
  // scan. Cleared when full, so what recurs now stays.
  const cleanValues = new Set<string>()
  function isClean(value: string): boolean {
    if (cleanValues.has(value)) return true
    if (mayHoldSecret(value)) return false
    if (cleanValues.size >= MAX_CLEAN_VALUES) cleanValues.clear()
    cleanValues.add(value)
    return true
  }

  /**
   * The tags as they go to hot-shots, or undefined for what is not a tag set (an array, a Buffer, a class
   * instance, more than MAX_TAGS tags, an object as a value). The common call, a plain object of short strings,
   * is passed on as it is; anything else is copied, scrubbed of secrets (core's scrubSecrets) and cut to
   * Datadog's tag limit. May throw (a Proxy, a getter).
   */
  function readTags(tags: object): Record<string, string> | undefined {
    const prototype: unknown = Object.getPrototypeOf(tags)
    if (prototype !== Object.prototype && prototype !== null) return undefined
    let chars = 0
    let count = 0
    let plain = !isProxy(tags)
    for (const key in tags) {
      if (++count > MAX_TAGS) return undefined
      const value: unknown = (tags as Record<string, unknown>)[key]
      if (typeof value !== 'string') {
        plain = false
        break
      }
      chars += key.length + value.length + 2
      if (key.length + value.length >= MAX_TAG_CHARS || !isClean(value)) plain = false
    }
    if (!plain) return normalizeTags(tags)
    scannedChars = chars
    return tags as Record<string, string>
  }

  function normalizeTags(tags: object): Record<string, string> | undefined {
    // No prototype: a `__proto__` tag stays a tag.
    const out: Record<string, string> = Object.create(null)
    let chars = 0
    let count = 0
    for (const rawKey in tags) {
      if (++count > MAX_TAGS) return undefined
      const text = tagText((tags as Record<string, unknown>)[rawKey])
      if (text === undefined) return undefined
      let key = rawKey
      // Scrubbed before it is cut, so a secret that straddles the cut is still recognised (scrubSecrets looks
      // only a little past its own limit, whatever the length).
      let value = text.length > MAX_TAG_CHARS || !isClean(text) ? scrubSecrets(text, MAX_TAG_CHARS) : text
      if (key.length + 1 + value.length > MAX_TAG_CHARS) {
        key = cut(key, MAX_KEY_CHARS)
        value = cut(value, MAX_TAG_CHARS - 1 - key.length)
        counters.truncatedTags++
      }
      out[key] = value
      chars += key.length + value.length + 2
    }
    scannedChars = chars
    return out
  }

  function fits(
    name: string,
    value: number,
    tags: Record<string, string> | undefined,
    chars: number,
  ): boolean {
    // Almost every line passes the cheap bound; only long or exotic ones pay for exact UTF-8 counting.
    if (fixedBytes + MAX_BYTES_PER_CHAR * chars <= maxBufferSize) return true
    const exact = fixedBytes + Buffer.byteLength(name) + String(value).length + (tags ? tagBytes(tags) : 0)
    return exact <= maxBufferSize
  }

  /**
   * Checks one call and hands it to the aggregator or hot-shots. Whatever the caller passes, this never throws:
   * a name, value or tags that cannot be sent are dropped and counted, and a tag set that throws when read (a
   * Proxy, a getter) too. Everything kept fits one datagram, so what the aggregator holds is bounded.
   */
  function emit(type: MetricType, name: string, value: number, tags: Tags | undefined): void {
    try {
      if (closed) {
        counters.droppedAfterClose++
        return
      }
      if (typeof name !== 'string' || name === '' || typeof value !== 'number' || !Number.isFinite(value)) {
        counters.droppedInvalid++
        return
      }
      // A name longer than a datagram (in characters, so at least as many bytes) cannot go out whatever follows.
      if (name.length > maxBufferSize) {
        counters.droppedOversize++
        return
      }
      let wireTags: Record<string, string> | undefined
      let chars = name.length + MAX_NUMBER_CHARS
      if (tags != null) {
        wireTags = typeof tags === 'object' ? readTags(tags) : undefined
        if (wireTags === undefined) {
          counters.droppedInvalid++
          return
        }
        chars += scannedChars
      }
      if (!fits(name, value, wireTags, chars)) {
        counters.droppedOversize++
        return
      }
      if (aggregator && (type === 'c' || type === 'g') && aggregator.record(type, name, value, wireTags)) {
        aggregationTimer ??= clock.setTimeout(drainAggregates, resolved.flushIntervalMs)
        return
      }
      send(type, name, value, wireTags)
    } catch {
      counters.droppedInvalid++
    }
  }

  /** Hands one checked line to hot-shots' buffer. */
  function send(type: MetricType, name: string, value: number, tags: Record<string, string> | undefined) {
    try {
      if (type === 'c') client.increment(name, value, tags)
      else if (type === 'g') client.gauge(name, value, tags)
      else if (type === 'ms') client.timing(name, value, tags)
      else client.histogram(name, value, tags)
      counters.sent++
    } catch (error) {
      onSendError(error)
    }
  }

  /** A service check's fields as they go out, or why it cannot. May throw (a Proxy, a getter). */
  function checkFields(name: unknown, status: unknown, checkOptions: unknown) {
    const code =
      typeof status === 'string' && Object.hasOwn(CHECK_CODES, status)
        ? CHECK_CODES[status as ServiceCheckStatus]
        : undefined
    if (typeof name !== 'string' || name === '' || code === undefined || typeof checkOptions !== 'object') {
      return 'invalid'
    }
    // Each option read once: a getter answers one value.
    const {
      message: rawMessage,
      hostname: rawHostname,
      tags: rawTags,
    }: ServiceCheckOptions = checkOptions ?? {}
    const tags = rawTags == null ? undefined : typeof rawTags === 'object' ? readTags(rawTags) : undefined
    if (
      (rawTags != null && tags === undefined) ||
      (rawHostname !== undefined && typeof rawHostname !== 'string')
    ) {
      return 'invalid'
    }
    if (name.length > maxBufferSize || (rawHostname?.length ?? 0) > maxBufferSize) return 'oversize'
    const checkName = checkFieldSafe(name)
    const hostname = rawHostname ? checkFieldSafe(rawHostname) : undefined
    // `_sc|prefix name|2|h:host|#global,tags|m:message`
    const withoutMessage =
      4 +
      prefixBytes +
      Buffer.byteLength(checkName) +
      2 +
      (hostname ? 3 + Buffer.byteLength(hostname) : 0) +
      3 +
      globalBytes +
      (tags ? tagBytes(tags) : 0)
    if (withoutMessage > maxBufferSize) return 'oversize'
    const room = maxBufferSize - withoutMessage - 3
    const message =
      rawMessage == null || room <= 0
        ? ''
        : // Scrubbed before it is escaped or cut, so a secret is recognised in the text it stood in.
          cutToBytes(escapeCheckMessage(scrubSecrets(messageOf(rawMessage), room)), room)
    return { checkName, code, hostname, tags, message: message === '' ? undefined : message }
  }

  function serviceCheck(name: string, status: ServiceCheckStatus, checkOptions: ServiceCheckOptions = {}) {
    if (closed) {
      counters.droppedAfterClose++
      return
    }
    let fields: ReturnType<typeof checkFields>
    try {
      fields = checkFields(name, status, checkOptions)
    } catch {
      fields = 'invalid'
    }
    if (fields === 'invalid') counters.droppedInvalid++
    else if (fields === 'oversize') counters.droppedOversize++
    else {
      const { checkName, code, message, hostname, tags } = fields
      try {
        client.check(checkName, code, { message, hostname }, tags)
        counters.sent++
      } catch (error) {
        onSendError(error)
      }
    }
  }

  /** Sends the aggregated counts and gauges of the window into hot-shots' buffer. */
  function drainAggregates(): void {
    if (aggregationTimer !== undefined) clock.clearTimeout(aggregationTimer)
    aggregationTimer = undefined
    if (!aggregator) return
    for (const { type, name, value, tags } of aggregator.drain()) {
      // A sum may spell longer than the values that were checked one by one.
      if (fits(name, value, tags, Number.POSITIVE_INFINITY)) send(type, name, value, tags)
      else counters.droppedOversize++
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
    increment: (name, value = 1, tags) => emit('c', name, value, tags),
    gauge: (name, value, tags) => emit('g', name, value, tags),
    timing: (name, ms, tags) => emit('ms', name, ms, tags),
    histogram: (name, value, tags) => emit('h', name, value, tags),
    serviceCheck,
    stats: () => ({ ...counters, dnsQueries: resolved.dnsQueries() }),
    client,
    flush() {
      if (closed) return closing ?? Promise.resolve()
      drainAggregates()
      return settle((done) => client.flush(done))
    },
    close() {
      if (closing) return closing
      closed = true
      drainAggregates()
      closing = (
        ownsClient
          ? settle((done) =>
              client.close((error) => {
                if (!error) return done()
                // hot-shots keeps the socket open when the final flush fails; close again to release it.
                onSendError(error)
                client.close(() => done())
              }),
            )
          : settle((done) => client.flush(done))
      ).then(() => errorLog.settle())
      return closing
    },
  } satisfies DatadogMetrics
}
