import { mayHoldSecret, scrubSecrets } from './scrub.js'

/** Field names redacted by default, matched case-insensitively, ignoring `-`, `_` and spaces, as substrings. */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'authorization',
  'cookie',
  'password',
  'passwd',
  'pwd',
  'secret',
  'token',
  'apikey',
  'privatekey',
  'accesskey',
  'auth',
  'credential',
  'dsn',
  'connectionstring',
  'jwt',
  'cardnumber',
  'cvc',
  'cvv',
]

/** What replaces the value of a sensitive field. */
export const REDACTED = '[REDACTED]'
/** Markers for what could not be copied as it was. */
export const CIRCULAR = '[Circular]'
export const TOO_DEEP = '[Truncated: too deep]'
export const TOO_MANY = '[Truncated: too many values]'
export const UNREADABLE = '[Unreadable]'

const MAX_KEY_CACHE = 4096

/**
 * Whether a field name holds a secret: it contains one of `keys`, compared case-insensitively and ignoring
 * `-`, `_` and spaces (`DB_PASSWORD`, `newPassword`, `x-api-key`). `auth` matches `auth`, `authToken`,
 * `basic_auth` but not `author`. Verdicts are cached per name, since the same names recur on every line.
 */
export function sensitiveKeyMatcher(keys: readonly string[] = DEFAULT_REDACT_KEYS): (key: string) => boolean {
  const needles = keys.map(normalize).filter((needle) => needle !== '')
  // A null-prototype object, not a Map: property lookup by a recurring key string is the fastest cache V8 has.
  const verdicts: Record<string, boolean | undefined> = Object.create(null)
  let cached = 0
  return (key) => {
    let verdict = verdicts[key]
    if (verdict === undefined) {
      const normalized = normalize(key)
      verdict = needles.some((needle) => containsWord(normalized, needle))
      if (cached++ < MAX_KEY_CACHE) verdicts[key] = verdict
    }
    return verdict
  }
}

function normalize(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, '')
}

/** `auth` inside `author` or `authority` is not a secret; `auth`, `authToken`, `oauth`, `basicauth` are. */
function containsWord(haystack: string, needle: string): boolean {
  if (needle !== 'auth') return haystack.includes(needle)
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    if (!haystack.startsWith('or', at + needle.length)) return true
  }
  return false
}

export interface SanitizeOptions {
  /** Field names whose values become `[REDACTED]`, or false for none. @default DEFAULT_REDACT_KEYS */
  keys?: readonly string[] | false
  /** Nesting kept; anything deeper becomes a marker. @default 12 */
  maxDepth?: number
  /** Values copied per call (objects, arrays and leaves); the rest become a marker. @default 4000 */
  maxValues?: number
  /** Characters kept per string, after scrubbing. @default 16384 */
  maxStringLength?: number
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

  const text = (value: string): string =>
    value.length <= maxStringLength && !mayHoldSecret(value) ? value : scrubSecrets(value, maxStringLength)

  // Key names are scrubbed too (a header map keyed by token is not unheard of); verdicts cached like keys.
  const keyNames: Record<string, string | undefined> = Object.create(null)
  let keyNamesCached = 0
  const keyName = (key: string): string => {
    let name = keyNames[key]
    if (name === undefined) {
      name = text(key)
      if (keyNamesCached++ < MAX_KEY_CACHE) keyNames[key] = name
    }
    return name
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
    if (value instanceof Error) return copyError(value, depth, walk)
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString()
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[binary ${value.byteLength} bytes]`
    const toJSON: unknown = Reflect.get(value, 'toJSON')
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(value)
      return json === value ? copyFields(value, {}, depth, walk) : copy(json, depth, walk)
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
      const item = readAndCopy(() => value[i], depth, walk)
      out.push(item)
      // Header pairs (`[['authorization', …]]`) and Node's flat `rawHeaders` (`['Cookie', …, 'Host', …]`): in an
      // array of even length, a name at an even index that names a secret is followed by the secret.
      if (pairs && i % 2 === 0 && typeof item === 'string' && item.length <= 64 && isSensitive(item)) {
        out.push(redacted(() => value[i + 1]))
        i++
      }
    }
    return out
  }

  function copyError(error: Error, depth: number, walk: Walk): Sanitized {
    const out: Record<string, unknown> = {
      name: readAndCopy(() => error.name, depth, walk),
      message: readAndCopy(() => error.message, depth, walk),
    }
    const stack = readAndCopy(() => error.stack, depth, walk)
    if (stack !== undefined) out.stack = stack
    const cause = readAndCopy(() => error.cause, depth, walk)
    if (cause !== undefined) out.cause = cause
    // A library's own shape (AxiosError.toJSON carries its config, headers included) or the Error's own fields.
    const toJSON: unknown = Reflect.get(error, 'toJSON')
    if (typeof toJSON === 'function') {
      const json: unknown = toJSON.call(error)
      if (typeof json === 'object' && json !== null && json !== error)
        return copyFields(json, out, depth, walk)
    }
    return copyFields(error, out, depth, walk)
  }

  function copyFields(value: object, out: Record<string, unknown>, depth: number, walk: Walk): Sanitized {
    const keys = Object.keys(value)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      if (key === 'stack' || Object.hasOwn(out, key)) continue
      if (walk.budget <= 0) {
        define(out, '…', `${TOO_MANY} (${keys.length - i} more fields)`)
        break
      }
      const item = isSensitive(key)
        ? redacted(() => Reflect.get(value, key))
        : readAndCopy(() => Reflect.get(value, key), depth, walk)
      define(out, keyName(key), item)
    }
    return out
  }

  function readAndCopy(read: () => unknown, depth: number, walk: Walk): Sanitized {
    let item: unknown
    try {
      item = read()
    } catch {
      return UNREADABLE
    }
    return copy(item, depth + 1, walk)
  }

  return (value) => {
    try {
      return copy(value, 0, { budget: maxValues, path: [] })
    } catch {
      return UNREADABLE
    }
  }
}

/** A sensitive field keeps `null`, `undefined` and booleans (no secret there); anything else is redacted. */
function redacted(read: () => unknown): unknown {
  try {
    const value = read()
    return value === null || value === undefined || typeof value === 'boolean' ? value : REDACTED
  } catch {
    return REDACTED
  }
}

/** `__proto__` from parsed JSON must stay a field, not become the copy's prototype. */
function define(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}

/** A readable message for anything thrown: Error message, string, or a JSON-ish rendering, never a throw. */
export function messageOf(error: unknown): string {
  try {
    if (typeof error === 'string') return error
    if (error === undefined || error === null) return String(error)
    if (typeof error !== 'object' && typeof error !== 'function') return String(error)
    const message: unknown = Reflect.get(error, 'message')
    if (typeof message === 'string') return message !== '' ? message : nameOf(error)
    if (message !== undefined && message !== null) return messageOf(shortJson(message))
    if (error instanceof Error) return error.name
    return shortJson(error)
  } catch {
    return UNREADABLE
  }
}

function nameOf(error: object): string {
  const name: unknown = Reflect.get(error, 'name')
  return typeof name === 'string' ? name : 'Error'
}

const forMessages = createSanitizer({ maxDepth: 4, maxValues: 50, maxStringLength: 1024 })

/** A bounded JSON rendering of a value (messages only: at most a few dozen values, never the whole object). */
function shortJson(value: unknown): string {
  const plain = forMessages(value)
  return typeof plain === 'string' ? plain : (JSON.stringify(plain) ?? String(plain))
}
