import pino from 'pino'
import { readEnv } from '../env.js'
import { messageOf } from '../message.js'
import { sourceReader, traceRegistry } from '../node/trace-context.js'
import { createSanitizer } from '../sanitize.js'
import { DEFAULT_REDACT_KEYS } from '../secret-keys.js'
import { datadogIds, type TraceIds } from '../trace.js'
import { booleanOption, oneOfOption } from '../validate.js'
import { getContext, traceOf } from './context.js'
import type { LogContext, LogDestination, Logger, LogLevel } from './log-types.js'
import { createMessageScrubber } from './redact.js'

export interface LoggerOptions {
  /** @default process.env.LOG_LEVEL, else 'debug' when LOG_QUERIES=true, else 'info' */
  level?: LogLevel
  service?: string
  /** @default process.env.NODE_ENV when set */
  environment?: string
  /** @default process.env.APP_VERSION when set */
  version?: string
  /** Where lines go. @default [stdoutDestination()] */
  destinations?: LogDestination[]
  /**
   * Field names whose values are redacted at any depth (substring, case-insensitive, ignoring `-` and `_`).
   * `false` keeps every field, but strings are still scrubbed of credentials and values are still copied safely.
   * @default DEFAULT_REDACT_KEYS
   */
  redact?: { keys: readonly string[] } | false
  /**
   * Beside `trace_id` and `span_id`, write the trace in Datadog's form on traced lines: `dd: { trace_id, span_id }`,
   * the lower 64 bits of each in decimal, which is how Datadog links a log line to its APM trace
   * (docs/tracing.md#datadog).
   * @default true while a trace source that asks for it is registered (sink-datadog's ddTraceSource), else false
   */
  datadogTraceIds?: boolean
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const
const LABELS: Record<string, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' }
/**
 * Keys the logger writes itself. A context field with one of these names would write a second `level` or
 * `timestamp` into the line (and win in last-wins JSON parsers), or pass for the trace's ids, so it is written as
 * `ctx_<name>` instead.
 */
const RESERVED_KEYS = [
  'level',
  'timestamp',
  'message',
  'service',
  'environment',
  'version',
  'trace_id',
  'span_id',
  'dd',
] as const
const NO_FIELDS: Readonly<Record<string, unknown>> = Object.freeze({})
const MOVED_ASIDE = Object.fromEntries(RESERVED_KEYS.map((key) => [key, `ctx_${key}`]))

// Destinations built here write through sonic-boom; pino takes that stream directly when it is the only one.
const streams = new WeakMap<LogDestination, pino.DestinationStream>()

function boomDestination(stream: ReturnType<typeof pino.destination>): LogDestination {
  const destination: LogDestination = {
    write: (line) => stream.write(`${line}\n`),
    flush: () => new Promise<void>((resolve) => stream.flush(() => resolve())),
    close: () =>
      new Promise<void>((resolve) => {
        stream.once('close', () => resolve())
        stream.end()
      }),
  }
  streams.set(destination, stream)
  return destination
}

/** Standard output, written synchronously (as pino does by default) so nothing is lost on a crash. */
export function stdoutDestination(): LogDestination {
  return boomDestination(pino.destination({ dest: 1, sync: true }))
}

/** A file (or /dev/null), appended to. */
export function fileDestination(path: string, options: { sync?: boolean } = {}): LogDestination {
  return boomDestination(pino.destination({ dest: path, sync: options.sync ?? true, mkdir: true }))
}

function fanOut(destinations: readonly LogDestination[]): pino.DestinationStream {
  return {
    write(chunk: string) {
      const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk
      for (const destination of destinations) {
        try {
          destination.write(line)
        } catch {
          // A destination that throws must not take the others (or the caller) down.
        }
      }
    },
  }
}

export interface SerializedError {
  name: string
  message: string
  stack?: string
  code?: string | number
  cause?: unknown
  /** An Error's own fields (an HTTP client error's `config`, `status`…), sanitized like log context. */
  [field: string]: unknown
}

const forErrors = createSanitizer({ maxDepth: 6, maxValues: 1000 })

/** `{ name, message, stack, code?, cause?, …own fields }` with secrets scrubbed; anything thrown, never a throw. */
export function serializeError(error: unknown): SerializedError {
  const plain = forErrors(error)
  if (typeof plain === 'object' && plain !== null && !Array.isArray(plain)) {
    const fields = plain as Record<string, unknown>
    if (typeof fields.name === 'string' && typeof fields.message === 'string')
      return fields as SerializedError
    return Object.assign(fields, { name: stringOr(fields.name, typeof error), message: messageOf(fields) })
  }
  return { name: typeof error, message: typeof plain === 'string' ? plain : messageOf(plain) }
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback
}

/** `,"timestamp":"<ISO>"` for pino, formatted once per millisecond rather than once per line. */
function isoTimestamp(): () => string {
  let lastMs = -1
  let last = ''
  return () => {
    const now = Date.now()
    if (now !== lastMs) {
      lastMs = now
      last = `,"timestamp":"${new Date(now).toISOString()}"`
    }
    return last
  }
}

/** A traced line's fields: `trace_id`, `span_id` and, in Datadog's form, `dd: { trace_id, span_id }`. */
function traceFields(ids: TraceIds, datadog: boolean): Record<string, unknown> {
  const fields: Record<string, unknown> = { trace_id: ids.traceId, span_id: ids.spanId }
  if (datadog) {
    const dd = datadogIds(ids)
    fields.dd = { trace_id: dd.traceId, span_id: dd.spanId }
  }
  return fields
}

function defaultLevel(): LogLevel {
  const fromEnv = readEnv('LOG_LEVEL')?.toLowerCase()
  if (fromEnv && (LEVELS as readonly string[]).includes(fromEnv)) return fromEnv as LogLevel
  return readEnv('LOG_QUERIES') === 'true' ? 'debug' : 'info'
}

/**
 * The structured logger on pino (docs/layers.md#how-data-flows, docs/scrubbing.md): one JSON object per line,
 * `{ level: 'INFO', timestamp, message, service?, environment?, version?, ...requestContext, ...context,
 * trace_id?, span_id?, dd? }`, the trace being the active one (docs/tracing.md#log-lines).
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = oneOfOption('level', options.level, LEVELS) ?? defaultLevel()
  const destinations = options.destinations ?? [stdoutDestination()]
  if (!Array.isArray(destinations) || destinations.some((d) => typeof d?.write !== 'function')) {
    throw new TypeError('Invalid option destinations: expected an array of { write(line) } objects')
  }
  if (options.redact !== undefined && options.redact !== false && !Array.isArray(options.redact?.keys)) {
    throw new TypeError('Invalid option redact: expected { keys: string[] } or false')
  }
  const datadogOption = booleanOption('datadogTraceIds', options.datadogTraceIds)
  const traces = traceRegistry()
  const datadog = () => datadogOption ?? traces.datadog > 0
  const readSources = sourceReader(traces)
  const sanitize = createSanitizer({
    keys: options.redact === false ? false : (options.redact?.keys ?? DEFAULT_REDACT_KEYS),
    rename: MOVED_ASIDE,
    // pino serializes the fields at once, so clean context can be handed over as it is, without a copy.
    reuseClean: true,
  })
  const base: Record<string, string> = {}
  const environment = options.environment ?? readEnv('NODE_ENV')
  const version = options.version ?? readEnv('APP_VERSION')
  if (options.service !== undefined) base.service = options.service
  if (environment !== undefined) base.environment = environment
  if (version !== undefined) base.version = version

  const scrubMessage = createMessageScrubber()
  const only = destinations.length === 1 ? streams.get(destinations[0]!) : undefined
  const root = pino(
    {
      level,
      base,
      messageKey: 'message',
      // Errors are serialized (and scrubbed) before pino sees them; its own `err` serializer would not scrub.
      serializers: {},
      timestamp: isoTimestamp(),
      formatters: { level: (label) => ({ level: LABELS[label] ?? label.toUpperCase() }) },
    },
    only ?? fanOut(destinations),
  )

  const flush = async () => {
    await Promise.allSettled(destinations.map(async (d) => d.flush?.()))
  }

  /** Context as one plain, redacted, scrubbed object, with the logger's own keys moved out of the way. */
  function fieldsOf(context: unknown): Record<string, unknown> {
    const plain = sanitize(context)
    if (typeof plain === 'object' && plain !== null && !Array.isArray(plain))
      return plain as Record<string, unknown>
    return plain === undefined ? {} : { context: plain }
  }

  // The request context is set once per request and read by every line in it: clean it once, with its trace's
  // fields (in the form asked for when they were made).
  const requestFields = new WeakMap<object, { fields: Record<string, unknown>; datadog: boolean }>()
  function requestContext(): Record<string, unknown> | undefined {
    const request = getContext()
    if (request === undefined) return undefined
    const dd = datadog()
    let cached = requestFields.get(request)
    if (cached === undefined || cached.datadog !== dd) {
      const trace = traceOf(request)
      const fields = fieldsOf(request)
      cached = {
        fields: trace === undefined ? fields : Object.assign({}, fields, traceFields(trace, dd)),
        datadog: dd,
      }
      requestFields.set(request, cached)
    }
    return cached.fields
  }

  // A tracer's ids (a registered source) change with its active span: their fields are kept while they stay.
  let sourced: { ids: TraceIds; datadog: boolean; fields: Record<string, unknown> } | undefined
  function sourcedFields(): Record<string, unknown> | undefined {
    const ids = readSources()
    if (ids === undefined) return undefined
    const dd = datadog()
    if (sourced === undefined || sourced.ids !== ids || sourced.datadog !== dd) {
      sourced = { ids, datadog: dd, fields: traceFields(ids, dd) }
    }
    return sourced.fields
  }

  /**
   * The merge object for one line: the cleaned context over the cleaned request context (with its trace), and a
   * tracer's ids over both when a registered source yields them. Done here rather than with pino's `mixin`, which
   * costs two calls per line even with no request context. Object.assign, not a two-object spread: V8 makes
   * `{ ...a, ...b }` ~20× slower here. With no source registered and no request context, nothing more than before.
   */
  function fieldsFor(context: unknown): Record<string, unknown> {
    const fields = context === undefined ? NO_FIELDS : fieldsOf(context)
    const traced = traces.sources.length === 0 ? undefined : sourcedFields()
    const request = requestContext()
    if (traced !== undefined) return Object.assign({}, request, fields, traced)
    return request === undefined ? fields : Object.assign({}, request, fields)
  }

  const text = (message: unknown) => scrubMessage(typeof message === 'string' ? message : messageOf(message))

  function wrap(instance: pino.Logger): Logger {
    const on = (l: LogLevel) => instance.isLevelEnabled(l)
    // Methods below the level are empty functions: a disabled call costs one call, nothing else. A logger call
    // never throws, whatever it is given.
    const at = (l: 'debug' | 'info' | 'warn') =>
      on(l)
        ? (message: string, context?: LogContext) => {
            try {
              instance[l](fieldsFor(context), text(message))
            } catch {
              // Nothing to do: the line is lost, the caller is not.
            }
          }
        : () => {}
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: (message, error, context) => {
        try {
          const fields = Object.assign({}, fieldsFor(context))
          if (error !== undefined) fields.error = serializeError(error)
          instance.error(fields, text(message))
        } catch {
          // As above.
        }
      },
      child: (bindings) => {
        try {
          return wrap(instance.child(fieldsOf(bindings)))
        } catch {
          return wrap(instance)
        }
      },
      isLevelEnabled: on,
      flush,
    } satisfies Logger
  }

  return wrap(root)
}
