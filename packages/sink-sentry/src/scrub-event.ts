import { createSanitizer, REDACTED, scrubSecrets, sensitiveKeyMatcher } from '@vivr/core'

/**
 * A single text of the event (a message, an exception value, a stack line) is masked and kept up to 64 KiB: far
 * past what Sentry stores of a message, so nothing it would show is lost, while the cost of masking stays bounded
 * (the SDK sets no limit of its own unless `maxValueLength` is given: a 10 MB message would block the event loop
 * for seconds).
 */
const MAX_TEXT_LENGTH = 64 * 1024

/** Top-level fields the SDK fills with identifiers and versions, or uses internally and never sends: kept as they are. */
const KEPT = new Set([
  'event_id',
  'timestamp',
  'start_timestamp',
  'level',
  'platform',
  'logger',
  'release',
  'dist',
  'environment',
  'type',
  'sdk',
  'modules',
  'debug_meta',
  'measurements',
  'sdkProcessingMetadata',
])

type Cleaner = (value: unknown) => unknown

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A sensitive field keeps `null`, `undefined` and booleans (no secret there); anything else is redacted. */
function redacted(value: unknown): unknown {
  return value === null || value === undefined || typeof value === 'boolean' ? value : REDACTED
}

function define(out: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty: a `__proto__` key stays a field instead of becoming the copy's prototype.
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * Builds the function that masks secrets everywhere in a Sentry event, in place, with core's one engine: single
 * texts through `scrubSecrets`, structured parts through `createSanitizer` (sensitive keys redacted, strings
 * scrubbed, depth, cycles and size bounded with markers, never the raw value). Parts are sanitized one by one,
 * each with the sanitizer's full budget, so a large `extra` cannot push the stack frames past its bounds, and
 * frames, breadcrumbs and spans keep their structure. Throws only when the event itself cannot be read (a
 * hostile getter on the event): the caller drops the event then.
 */
export function createEventScrubber(): (event: object) => void {
  const sanitize = createSanitizer()
  const isSensitive = sensitiveKeyMatcher()
  const text = (value: string) => scrubSecrets(value, MAX_TEXT_LENGTH)

  /** Any value: a string is masked, anything else becomes sanitized plain data. */
  const clean: Cleaner = (value) => {
    if (typeof value === 'string') return text(value)
    if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
      return value
    }
    return sanitize(value)
  }

  /**
   * A record cleaned field by field: sensitive keys redacted (or, with `redactWhole: false`, each of their
   * fields redacted, so an object stays an object), keys masked, values through `special[key]` or `clean`.
   */
  const fields =
    (special: Readonly<Record<string, Cleaner>> = {}, redactWhole = true): Cleaner =>
    (value) => {
      if (!isRecord(value)) return clean(value)
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(value)) {
        const item = value[key]
        const handler = Object.hasOwn(special, key) ? special[key] : undefined
        let cleaned: unknown
        if (handler) cleaned = handler(item)
        else if (!isSensitive(key)) cleaned = clean(item)
        else if (redactWhole || !isRecord(item)) cleaned = redacted(item)
        else cleaned = Object.fromEntries(Object.entries(item).map(([k, v]) => [text(k), redacted(v)]))
        if (cleaned !== undefined || item === undefined) define(out, text(key), cleaned)
      }
      return out
    }

  /** Each item of a list cleaned on its own (its own sanitizer budget). */
  const each =
    (cleaner: Cleaner): Cleaner =>
    (value) =>
      Array.isArray(value) ? value.map((item) => cleaner(item)) : clean(value)

  // Source lines one by one (a line is text, not a key/value pair); variables and the rest sanitized.
  const frame = fields({ pre_context: each(clean), post_context: each(clean) })
  const stacktrace = fields({ frames: each(frame) })
  const exceptionList = fields({ values: each(fields({ stacktrace })) })
  const headers: Cleaner = (value) => {
    if (!isRecord(value)) return clean(value)
    const out: Record<string, unknown> = {}
    for (const [name, item] of Object.entries(value)) {
      define(
        out,
        text(name),
        isSensitive(name) || name.toLowerCase() === 'set-cookie' ? redacted(item) : clean(item),
      )
    }
    return out
  }

  const parts: Readonly<Record<string, Cleaner>> = {
    logentry: fields({ params: each(clean) }),
    exception: exceptionList,
    threads: exceptionList,
    request: fields({ headers, cookies: () => undefined }),
    extra: fields(),
    contexts: fields({}, false),
    user: fields(),
    tags: fields(),
    breadcrumbs: each(fields()),
    spans: each(fields()),
  }

  return (event) => {
    for (const key of Object.keys(event)) {
      if (KEPT.has(key)) continue
      const value: unknown = Reflect.get(event, key)
      const part = Object.hasOwn(parts, key) ? parts[key] : undefined
      const cleaned = part ? part(value) : isSensitive(key) ? redacted(value) : clean(value)
      if (cleaned === undefined) Reflect.deleteProperty(event, key)
      else Reflect.set(event, key, cleaned)
    }
  }
}
