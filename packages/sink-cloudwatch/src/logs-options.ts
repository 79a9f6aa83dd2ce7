import { type Clock, type Logger, OptionError, type ShutdownRegistry, systemClock } from '@vivr/core'
import { booleanOption, durationOption } from '@vivr/core/internal'
import { type ClientOptions, checkClientOptions } from './client.js'
import { MAX_BATCH_BYTES } from './limits.js'
import { defaultInstanceId } from './stream-name.js'
import {
  integerAtLeast,
  LOG_GROUP_NAME,
  LOG_STREAM_NAME,
  memberOf,
  optionalFunction,
  optionalString,
  requiredString,
  retentionInDays,
} from './validate.js'

export type DropReason =
  | 'buffer-full'
  | 'rejected-too-old'
  | 'rejected-expired'
  | 'rejected-too-new'
  | 'worker-failed'

export interface DropInfo {
  /** Lines lost in this occurrence. */
  count: number
  /**
   * `buffer-full`: the oldest lines made room for new ones (in the worker form, also a line that found the
   * hand-off to the worker full); `rejected-*`: CloudWatch refused them; `worker-failed`: lines the worker thread
   * held when it died or stopped answering (`cloudwatchLogsInWorker`).
   */
  reason: DropReason
}

export interface CloudWatchLogsOptions extends ClientOptions {
  /** E.g. `/vivr/production/app`. */
  logGroupName: string
  /** A fixed stream. @default `<YYYY-MM-DD>/<instanceId>`, rolling over at midnight UTC */
  logStreamName?: string
  /** Second half of the default stream name. @default `<hostname>-<pid>` */
  instanceId?: string
  /** Longest a line waits before it is sent (a full batch goes at once). @default 1000 */
  flushIntervalMs?: number
  /**
   * Memory bound for lines not yet accepted by CloudWatch (the request in flight included), in bytes as
   * PutLogEvents counts them; at least 1 MiB. Past it the oldest lines are dropped and counted. @default 8 MiB
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
  /**
   * At most one warning of each kind per this interval; when more came, one summary with `suppressed` (how many)
   * at the interval's end. @default 60000
   */
  warnIntervalMs?: number
  /**
   * Where lines go that CloudWatch will never take (access denied, invalid parameter), lines left at close and
   * lines written after close — a console fallback (docs/shutdown.md#what-each-package-registers). @default one line to stderr
   */
  fallback?: (line: string) => void
  /** For this destination's own warnings. @default JSON lines to `fallback` */
  logger?: Logger
  /** Registers `close()` as a shutdown hook, e.g. `lifecycle: createLifecycle()` from `@vivr/core/node`. */
  lifecycle?: ShutdownRegistry
  /** @default systemClock (timers unref'd) */
  clock?: Clock
}

/** The defaults of {@link CloudWatchLogsOptions}, in one place. */
export const LOGS_DEFAULTS = {
  flushIntervalMs: 1000,
  maxBufferBytes: 8 * 1024 * 1024,
  createIfMissing: true,
  requestTimeoutMs: 10_000,
  flushTimeoutMs: 5000,
  maxRetryDelayMs: 30_000,
  warnIntervalMs: 60_000,
} as const

/** Every option checked, every default applied (the client options are left to `resolveClient`). */
export interface LogsSettings {
  logGroupName: string
  /** A fixed stream, or undefined for the daily one. */
  logStreamName: string | undefined
  instanceId: string
  flushIntervalMs: number
  maxBufferBytes: number
  createIfMissing: boolean
  retentionInDays: number | undefined
  onDrop: ((info: DropInfo) => void) | undefined
  requestTimeoutMs: number
  flushTimeoutMs: number
  maxRetryDelayMs: number
  warnIntervalMs: number
  fallback: (line: string) => void
  logger: Logger | undefined
  lifecycle: ShutdownRegistry | undefined
  clock: Clock
}

/** The default fallback: one line to stderr. */
export function stderrLine(line: string): void {
  try {
    process.stderr.write(`${line}\n`)
  } catch {
    // stderr closed: nowhere left to write.
  }
}

/** `value` when every one of `methods` is a function on it; otherwise an OptionError naming `option`. */
function withMethods<T>(option: string, value: T | undefined, methods: string[], expected: string) {
  if (value !== undefined && !methods.every((method) => typeof memberOf(value, method) === 'function')) {
    throw new OptionError(option, value, expected)
  }
  return value
}

/** Checks every option at construction (an OptionError names the first bad one) and applies the defaults. */
export function resolveLogsOptions(options: CloudWatchLogsOptions): LogsSettings {
  if (typeof options !== 'object' || options === null) throw new OptionError('options', options, 'an object')
  const settings: LogsSettings = {
    logGroupName: requiredString(
      'logGroupName',
      options.logGroupName,
      LOG_GROUP_NAME,
      'a log group name (1–512 of A-Z a-z 0-9 . - _ / #)',
    ),
    logStreamName: optionalString(
      'logStreamName',
      options.logStreamName,
      LOG_STREAM_NAME,
      'a log stream name (1–512 characters, no : or *)',
    ),
    instanceId:
      optionalString('instanceId', options.instanceId, /^[^:*]{1,400}$/, '1–400 characters, no : or *') ??
      defaultInstanceId(),
    flushIntervalMs:
      durationOption('flushIntervalMs', options.flushIntervalMs, { allowZero: false }) ??
      LOGS_DEFAULTS.flushIntervalMs,
    maxBufferBytes:
      integerAtLeast('maxBufferBytes', options.maxBufferBytes, MAX_BATCH_BYTES) ??
      LOGS_DEFAULTS.maxBufferBytes,
    createIfMissing:
      booleanOption('createIfMissing', options.createIfMissing) ?? LOGS_DEFAULTS.createIfMissing,
    retentionInDays: retentionInDays('retentionInDays', options.retentionInDays),
    onDrop: optionalFunction('onDrop', options.onDrop),
    requestTimeoutMs:
      durationOption('requestTimeoutMs', options.requestTimeoutMs, { allowZero: false }) ??
      LOGS_DEFAULTS.requestTimeoutMs,
    flushTimeoutMs:
      durationOption('flushTimeoutMs', options.flushTimeoutMs, { allowZero: false }) ??
      LOGS_DEFAULTS.flushTimeoutMs,
    maxRetryDelayMs:
      durationOption('maxRetryDelayMs', options.maxRetryDelayMs, { allowZero: false }) ??
      LOGS_DEFAULTS.maxRetryDelayMs,
    warnIntervalMs: durationOption('warnIntervalMs', options.warnIntervalMs) ?? LOGS_DEFAULTS.warnIntervalMs,
    fallback: optionalFunction('fallback', options.fallback) ?? stderrLine,
    logger: withMethods('logger', options.logger, ['warn'], 'a Logger'),
    lifecycle: withMethods(
      'lifecycle',
      options.lifecycle,
      ['onShutdown'],
      'a ShutdownRegistry: an object with onShutdown(name, hook, options)',
    ),
    clock:
      withMethods('clock', options.clock, ['now', 'setTimeout', 'clearTimeout'], 'a Clock') ?? systemClock,
  }
  checkClientOptions(options)
  return settings
}
