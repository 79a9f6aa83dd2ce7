import { mayHoldSecret, scrubSecrets } from './scrub.js'
import { DEFAULT_REDACT_KEYS, sensitiveKeyMatcher } from './secret-keys.js'

/** What replaces the value of a sensitive field. */
export const REDACTED = '[REDACTED]'
/** Markers for what could not be copied as it was. */
export const CIRCULAR = '[Circular]'
export const TOO_DEEP = '[Truncated: too deep]'
export const TOO_MANY = '[Truncated: too many values]'
export const UNREADABLE = '[Unreadable]'

const MAX_KEY_CACHE = 4096
const MAX_CACHED_STRINGS = 2048
const MAX_CACHED_STRING_LENGTH = 256
/**
 * Shorter strings are scanned every time: the scan of 64 characters costs less than remembering them, and a set
 * of unique short values (a request id per line) keeps young strings alive into the old generation.
 */
const MIN_CACHED_STRING_LENGTH = 64

export interface SanitizeOptions {
  /** Field names whose values become `[REDACTED]`, or false for none. @default DEFAULT_REDACT_KEYS */
  keys?: readonly string[] | false
  /** Nesting kept; anything deeper becomes a marker. @default 12 */
  maxDepth?: number
  /** Values copied per call (objects, arrays and leaves); the rest become a marker. @default 4000 */
  maxValues?: number
  /** Characters kept per string, after scrubbing. @default 16384 */
  maxStringLength?: number
  /** Top-level field names written under another name (the logger moves `level` to `ctx_level`). */
  rename?: Readonly<Record<string, string>>
  /**
   * Return the value itself when it already is clean plain data (plain objects and arrays of clean strings,
   * numbers and booleans: nothing to redact, scrub, rename or bound), instead of a copy. Only for a caller that
   * serializes the result at once, as the logger does; anything stored must be a copy. @default false
   */
  reuseClean?: boolean
}

/** What a sanitizer returns: plain JSON data (objects, arrays, strings, finite numbers, booleans, null). */
export type Sanitized = unknown

interface Walk {
  budget: number
  /** Objects on the current path, for cycles (a shared object seen twice elsewhere is copied twice). */
  path: object[]
}

/**
 * Builds the kit's one deep-copy-and-clean function. Its result is plain data that `JSON.stringify` can never
 * throw on, with secrets gone:
 * - values of sensitive keys become `[REDACTED]`; strings are scrubbed ({@link scrubSecrets}) and capped;
 * - Errors become `{ name, message, stack, code?, cause?, …their own fields }`, values with `toJSON` are copied
 *   through it, Dates become ISO strings, BigInts strings, binary data a length;
 * - cycles, nesting past `maxDepth`, and values past `maxValues` become markers, never the raw value;
 * - a throwing getter, `toJSON` or Proxy trap becomes `[Unreadable]`: the sanitizer itself never throws.
 * The cost is linear in what it copies and bounded by `maxValues` and `maxStringLength`, whatever the input.
 */
export function createSanitizer(options: SanitizeOptions = {}): (value: unknown) => Sanitized {
  const isSensitive =
    options.keys === false ? () => false : sensitiveKeyMatcher(options.keys ?? DEFAULT_REDACT_KEYS)
  const maxDepth = options.maxDepth ?? 12
  const maxValues = options.maxValues ?? 4000
  const maxStringLength = options.maxStringLength ?? 16_384

  const rename: Readonly<Record<string, string>> = Object.assign(Object.create(null), options.rename)
  const reuseClean = options.reuseClean === true

  // Longer strings known to hold nothing: log values recur (user agents, messages), and a set lookup costs less
  // than a scan. Cleared when full, so what recurs now stays and what recurred once goes.
  const cleanStrings = new Set<string>()
  const isCleanString = (value: string): boolean => {
    if (value.length < MIN_CACHED_STRING_LENGTH && value.length <= maxStringLength)
      return !mayHoldSecret(value)
    if (cleanStrings.has(value)) return true
    if (value.length > maxStringLength || mayHoldSecret(value)) return false
    if (value.length <= MAX_CACHED_STRING_LENGTH) {
      if (cleanStrings.size >= MAX_CACHED_STRINGS) cleanStrings.clear()
      cleanStrings.add(value)
    }
    return true
  }
  const text = (value: string): string =>
    isCleanString(value) ? value : scrubSecrets(value, maxStringLength)

  // Per key, one cached verdict: redact its value, or the name to write (scrubbed: a header map keyed by a token
  // is not unheard of). The same keys recur on every line, so this is one lookup per field.
  const keyVerdicts: Record<string, string | typeof REDACT | undefined> = Object.create(null)
  let keyVerdictsCached = 0
  const verdictFor = (key: string): string | typeof REDACT => {
    let verdict = keyVerdicts[key]
    if (verdict === undefined) {
      verdict = isSensitive(key) ? REDACT : text(key)
      if (keyVerdictsCached++ < MAX_KEY_CACHE) keyVerdicts[key] = verdict
    }
    return verdict
  }

  function leaf(value: unknown): Sanitized {
    switch (typeof value) {
      case 'string':
        return text(value)
      case 'bigint':
        return value.toString()
      case 'symbol':
        return value.toString()
      case 'function':
        return undefined
      default:
        return value
    }
  }

  function copy(value: unknown, depth: number, walk: Walk): Sanitized {
    if (--walk.budget < 0) return TOO_MANY
    if (typeof value !== 'object' || value === null) return leaf(value)
    if (depth >= maxDepth) return TOO_DEEP
    if (walk.path.includes(value)) return CIRCULAR
    walk.path.push(value)
    try {
      return copyObject(value, depth, walk)
    } catch {
      return UNREADABLE
    } finally {
      walk.path.pop()
    }
  }

  function copyObject(value: object, depth: number, walk: Walk): Sanitized {
    if (Array.isArray(value)) return copyArray(value, depth, walk)
    const prototype: unknown = Object.getPrototypeOf(value)
    // Plain objects first: the shape of nearly every log context.
    if (prototype !== Object.prototype && prototype !== null) {
      if (value instanceof Error) return copyError(value, depth, walk)
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer)
        return `[binary ${value.byteLength} bytes]`
    }
    const toJSON: unknown = (value as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(value)
      if (json !== value) return copy(json, depth, walk)
    }
    return copyFields(value, {}, depth, walk)
  }

  function copyArray(value: readonly unknown[], depth: number, walk: Walk): Sanitized {
    const length = value.length
    const pairs = length % 2 === 0
    const out: unknown[] = []
    for (let i = 0; i < length; i++) {
      if (walk.budget <= 0) {
        out.push(`${TOO_MANY} (${length - i} more)`)
        break
      }
      const item = copyField(value, i, depth, walk)
      out.push(item)
      // Header pairs (`[['authorization', …]]`) and Node's flat `rawHeaders` (`['Cookie', …, 'Host', …]`): in an
      // array of even length, a name at an even index that names a secret is followed by the secret.
      if (pairs && i % 2 === 0 && typeof item === 'string' && item.length <= 64 && isSensitive(item)) {
        out.push(redacted(read(value, i + 1)))
        i++
      }
    }
    return out
  }

  function copyError(error: Error, depth: number, walk: Walk): Sanitized {
    const out: Record<string, unknown> = {
      name: copyField(error, 'name', depth, walk),
      message: copyField(error, 'message', depth, walk),
    }
    const stack = copyField(error, 'stack', depth, walk)
    if (stack !== undefined) out.stack = stack
    const cause = copyField(error, 'cause', depth, walk)
    if (cause !== undefined) out.cause = cause
    // A library's own shape (AxiosError.toJSON carries its config, headers included) or the Error's own fields.
    const toJSON: unknown = Reflect.get(error, 'toJSON')
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(error)
      if (typeof json === 'object' && json !== null && json !== error)
        return copyFields(json, out, depth, walk, false)
    }
    return copyFields(error, out, depth, walk, false)
  }

  /** Copies `value`'s own enumerable fields into `out`; fields `out` already has (an Error's name…) are kept. */
  function copyFields(
    value: object,
    out: Record<string, unknown>,
    depth: number,
    walk: Walk,
    fresh = true,
  ): Sanitized {
    const keys = Object.keys(value)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      if (!fresh && (key === 'stack' || Object.hasOwn(out, key))) continue
      if (walk.budget <= 0) {
        define(out, '…', `${TOO_MANY} (${keys.length - i} more fields)`)
        break
      }
      const verdict = verdictFor(key)
      if (verdict === REDACT) define(out, key, redacted(read(value, key)))
      else define(out, verdict, copyField(value, key, depth, walk))
    }
    return out
  }

  /** One field of an object or array, copied; a getter or Proxy trap that throws gives a marker. */
  function copyField(target: object, key: string | number, depth: number, walk: Walk): Sanitized {
    const item = read(target, key)
    if (typeof item === 'number' || typeof item === 'boolean' || item === null || item === undefined) {
      walk.budget--
      return item
    }
    return item === FAILED ? UNREADABLE : copy(item, depth + 1, walk)
  }

  /**
   * Whether `value` can be used as it is: plain objects and arrays, clean strings, numbers, booleans and null,
   * within the bounds, nothing to redact or rename. Reading it may throw (a getter); the caller copies then.
   */
  function isClean(value: unknown, depth: number, walk: Walk): boolean {
    if (--walk.budget < 0) return false
    switch (typeof value) {
      case 'string':
        return isCleanString(value)
      case 'number':
      case 'boolean':
      case 'undefined':
        return true
      case 'object':
        break
      default:
        return false
    }
    if (value === null) return true
    if (depth >= maxDepth || walk.path.includes(value)) return false
    if (Array.isArray(value)) {
      if (value.length % 2 === 0 && value.length > 0) return false // header pairs need the copy's rules
      walk.path.push(value)
      for (let i = 0; i < value.length; i++) if (!isClean(value[i], depth + 1, walk)) return false
      walk.path.pop()
      return true
    }
    if (Object.getPrototypeOf(value) !== Object.prototype) return false
    const record = value as Record<string, unknown>
    if (typeof record.toJSON === 'function') return false
    walk.path.push(value)
    // for…in over a plain object walks V8's enum cache and allocates nothing. An inherited key (a polluted
    // Object.prototype) is checked too, which costs nothing when there is none.
    for (const key in record) {
      if (verdictFor(key) !== key || (depth === 0 && rename[key] !== undefined)) return false
      const item = record[key]
      if (typeof item === 'number' || typeof item === 'boolean') {
        walk.budget--
        continue
      }
      if (!isClean(item, depth + 1, walk)) return false
    }
    walk.path.pop()
    return true
  }

  function sanitizeTop(value: unknown): Sanitized {
    const copied = copy(value, 0, { budget: maxValues, path: [] })
    if (typeof copied !== 'object' || copied === null || Array.isArray(copied)) return copied
    const record = copied as Record<string, unknown>
    for (const key in rename) {
      if (Object.hasOwn(record, key)) {
        define(record, rename[key]!, record[key])
        delete record[key]
      }
    }
    return record
  }

  /**
   * The shape of nearly every log context: one plain object of strings, numbers and booleans. Checked without
   * the general walk's bookkeeping; `undefined` when it has nested values and the general walk must decide.
   */
  function isFlatClean(value: unknown): boolean | undefined {
    if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) {
      return undefined
    }
    const record = value as Record<string, unknown>
    if (typeof record.toJSON === 'function') return false
    let fields = 0
    for (const key in record) {
      if (++fields > maxValues || verdictFor(key) !== key || rename[key] !== undefined) return false
      const item = record[key]
      switch (typeof item) {
        case 'number':
        case 'boolean':
        case 'undefined':
          break
        case 'string':
          if (!isCleanString(item)) return false
          break
        default:
          if (item !== null) return undefined
      }
    }
    return true
  }

  return (value) => {
    try {
      if (reuseClean) {
        const flat = isFlatClean(value)
        if (flat === true || (flat === undefined && isClean(value, 0, { budget: maxValues, path: [] })))
          return value
      }
    } catch {
      // A getter or trap threw: the copy turns it into a marker.
    }
    try {
      return sanitizeTop(value)
    } catch {
      return UNREADABLE
    }
  }
}

const FAILED = Symbol('unreadable')
const REDACT = Symbol('redact')

/** `target[key]`, or FAILED when a getter or Proxy trap throws. */
function read(target: object, key: string | number): unknown {
  try {
    return (target as Record<string | number, unknown>)[key]
  } catch {
    return FAILED
  }
}

/** A sensitive field keeps `null`, `undefined` and booleans (no secret there); anything else is redacted. */
function redacted(value: unknown): unknown {
  return value === null || value === undefined || typeof value === 'boolean' ? value : REDACTED
}

/** `__proto__` from parsed JSON must stay a field, not become the copy's prototype. */
function define(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}
