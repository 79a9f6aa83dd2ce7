import {
  type Clock,
  type Logger,
  noopLogger,
  OptionError,
  type ShutdownRegistry,
  systemClock,
} from '@vivr/core'
import {
  booleanOption,
  durationOption,
  nonEmptyStringOption,
  readEnv,
  renamedOptions,
} from '@vivr/core/internal'
import type { StatsD } from 'hot-shots'

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
  /**
   * Largest datagram, in bytes of UTF-8 (not characters): lines are packed into datagrams up to this size, and a
   * line that cannot fit one is dropped and counted. From 512 to 65507 over UDP, to 8192 over a Unix socket.
   * @default 1432 over UDP (fits an Ethernet MTU), 8192 over a Unix socket
   */
  maxDatagramBytes?: number
  /** Buffered lines (and aggregated counters and gauges) leave at least this often. @default 1000 */
  flushIntervalMs?: number
  /**
   * Client-side aggregation, as Datadog's official clients do by default: within one flush interval, increments
   * of the same metric and tags are summed into one line and a gauge sends only its last value. Timings and
   * histograms keep every sample: with `multiValue`, they are held per series and sent packed. @default true
   */
  aggregation?: boolean
  /**
   * DogStatsD protocol 1.1 value packing (Datadog Agent ≥ 6.25 on 6.x, ≥ 7.25 on 7.x): within one flush interval,
   * the samples of a timing or histogram with the same name and tags go out together, several to a line
   * (`name:12:7.5:30|ms|#tags`), each line whole in one datagram. Needs `aggregation`. Set `false` for an older
   * agent, which drops such lines: every sample then goes out on a line of its own, as it comes. @default true
   */
  multiValue?: boolean
  /** Called with every send error, after it was counted. Must not throw (if it does, it is ignored). */
  errorHandler?: (error: Error) => void
  /**
   * Your own hot-shots client: the sink then writes through a child client (this sink's prefix and global tags
   * on top of the client's own) and `close()` flushes it but leaves it open. Its host, buffering and socket
   * errors stay yours; the byte guard cannot see the client's own prefix and tags, except on packed lines.
   */
  client?: StatsD
  /** Where send errors are reported, at most once per `warnIntervalMs`. @default a logger that drops everything */
  logger?: Logger
  /** At most one send-failure warning per this interval; later ones are summed up when it ends. @default 60000 */
  warnIntervalMs?: number
  /** Registers `close()` as a shutdown hook, e.g. `lifecycle: createLifecycle()` from `@vivr/core/node`. */
  lifecycle?: ShutdownRegistry
  /** @default systemClock (timers unref'd) */
  clock?: Clock
}

/** Where the agent listens. */
export type Transport = { protocol: 'udp'; host: string; port: number } | { protocol: 'uds'; path: string }

/** The options checked, with every default filled in. */
export interface ResolvedOptions {
  transport: Transport
  /** Ends with a dot, unless empty (hot-shots adds the dot itself; the byte guard counts what goes out). */
  prefix: string
  globalTags: Record<string, string>
  maxDatagramBytes: number
  flushIntervalMs: number
  aggregation: boolean
  multiValue: boolean
  errorHandler: ((error: Error) => void) | undefined
  client: StatsD | undefined
  logger: Logger
  warnIntervalMs: number
  lifecycle: ShutdownRegistry | undefined
  clock: Clock
}

/** Old spellings, rejected at construction with the new one named, so an upgrade finds every one at once. */
export const RENAMED_OPTIONS: Readonly<Record<string, keyof DatadogMetricsOptions>> = {
  maxBufferSize: 'maxDatagramBytes',
  errorLogIntervalMs: 'warnIntervalMs',
}

export const UDP_DEFAULT_DATAGRAM_BYTES = 1432
export const UDS_DEFAULT_DATAGRAM_BYTES = 8192
/** The largest UDP payload over IPv4. */
export const UDP_MAX_DATAGRAM_BYTES = 65_507
export const MIN_DATAGRAM_BYTES = 512
/** Node's timers overflow past this (and fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1
const DEFAULT_PORT = 8125

/** An environment variable; set but empty counts as unset (`DD_AGENT_HOST=` in a compose file). */
const env = (name: string): string | undefined => readEnv(name) || undefined

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

function transportFrom(options: DatadogMetricsOptions): Transport {
  const path =
    nonEmptyStringOption('socketPath', options.socketPath) ??
    (options.host === undefined && options.port === undefined ? env('DD_DOGSTATSD_SOCKET') : undefined)
  // Host and port are checked even when a socket wins, so a typo never waits for the day the socket goes.
  const host = nonEmptyStringOption('host', options.host) ?? env('DD_AGENT_HOST') ?? 'localhost'
  const port = portFrom(options.port) ?? DEFAULT_PORT
  return path ? { protocol: 'uds', path } : { protocol: 'udp', host, port }
}

/**
 * Checks every option and fills in the defaults (some from the environment). Throws an OptionError naming the
 * option and the value: an old option name (naming the new one), a value of the wrong type or out of range.
 */
export function resolveOptions(options: DatadogMetricsOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', options, 'an object')
  renamedOptions(options, RENAMED_OPTIONS)
  const transport = transportFrom(options)
  const prefix = options.prefix ?? 'vivr.'
  if (typeof prefix !== 'string') throw new OptionError('prefix', prefix, 'a string')
  const uds = transport.protocol === 'uds'
  const maxDatagramBytes =
    integerIn(
      'maxDatagramBytes',
      options.maxDatagramBytes,
      MIN_DATAGRAM_BYTES,
      uds ? UDS_DEFAULT_DATAGRAM_BYTES : UDP_MAX_DATAGRAM_BYTES,
    ) ?? (uds ? UDS_DEFAULT_DATAGRAM_BYTES : UDP_DEFAULT_DATAGRAM_BYTES)
  const flushIntervalMs = integerIn('flushIntervalMs', options.flushIntervalMs, 1, MAX_TIMER_MS) ?? 1000
  const warnIntervalMs = durationOption('warnIntervalMs', options.warnIntervalMs) ?? 60_000
  if (warnIntervalMs > MAX_TIMER_MS) {
    throw new OptionError('warnIntervalMs', warnIntervalMs, `a duration of at most ${MAX_TIMER_MS} ms`)
  }
  if (options.errorHandler !== undefined && typeof options.errorHandler !== 'function') {
    throw new OptionError('errorHandler', options.errorHandler, 'a function')
  }
  if (options.client !== undefined && typeof options.client?.childClient !== 'function') {
    throw new OptionError('client', options.client, 'a hot-shots StatsD client')
  }
  if (options.logger !== undefined && typeof options.logger?.warn !== 'function') {
    throw new OptionError('logger', options.logger, 'a Logger')
  }
  if (options.lifecycle !== undefined && typeof options.lifecycle?.onShutdown !== 'function') {
    throw new OptionError('lifecycle', options.lifecycle, 'an object with onShutdown(name, hook, options)')
  }
  const aggregation = booleanOption('aggregation', options.aggregation) ?? true
  const multiValue = booleanOption('multiValue', options.multiValue) ?? true
  return {
    transport,
    prefix: prefix && !prefix.endsWith('.') ? `${prefix}.` : prefix,
    globalTags: globalTagsFrom(options),
    maxDatagramBytes,
    flushIntervalMs,
    aggregation,
    multiValue,
    errorHandler: options.errorHandler,
    client: options.client,
    logger: options.logger ?? noopLogger,
    warnIntervalMs,
    lifecycle: options.lifecycle,
    clock: options.clock ?? systemClock,
  }
}
