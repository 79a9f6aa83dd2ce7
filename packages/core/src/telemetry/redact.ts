import { scrubSecrets } from '../scrub.js'

/** Field names redacted by default, matched case-insensitively, ignoring `-` and `_`, as substrings. */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'authorization',
  'cookie',
  'password',
  'passwd',
  'secret',
  'token',
  'apikey',
  'cardnumber',
  'cvc',
  'cvv',
]

export const REDACTED = '[REDACTED]'
const MAX_DEPTH = 6
const MAX_KEY_CACHE = 2048
const CARD_LIKE = /^[2-6][\d -]{11,21}\d$/
const MAY_HOLD_SECRET = /[@=]|bearer|basic |_live_|_test_|whsec_|pass|secret|token|key|\d{12}/i

/**
 * Whether a field name holds a secret: it contains one of `keys`, compared case-insensitively and ignoring
 * `-`, `_` and spaces. Verdicts are cached per name, since the same names recur on every line.
 */
export function sensitiveKeyMatcher(keys: readonly string[] = DEFAULT_REDACT_KEYS): (key: string) => boolean {
  const needles = keys.map(normalize)
  // A null-prototype object, not a Map: property lookup by a recurring key string is the fastest cache V8 has.
  const verdicts: Record<string, boolean | undefined> = Object.create(null)
  let cached = 0
  return (key) => {
    let verdict = verdicts[key]
    if (verdict === undefined) {
      const normalized = normalize(key)
      verdict = needles.some((needle) => normalized.includes(needle))
      if (cached++ < MAX_KEY_CACHE) verdicts[key] = verdict
    }
    return verdict
  }
}

/**
 * Builds a redactor for log context objects. It walks the object (to a bounded depth), replaces the values of
 * sensitive keys and card-number-like strings, and copies only what it changes, so the common case — a few
 * harmless fields — allocates nothing.
 */
export function createRedactor(keys: readonly string[]): <T>(value: T) => T {
  const isSensitive = sensitiveKeyMatcher(keys)

  function redactValue(value: unknown, depth: number): unknown {
    if (typeof value === 'string') {
      // Cheap shape test first; scrubSecrets then masks only Luhn-valid numbers.
      return value.length >= 13 && value.length <= 23 && CARD_LIKE.test(value) ? scrubSecrets(value) : value
    }
    if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value
    if (value instanceof Error || value instanceof Date) return value
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined
      for (let i = 0; i < value.length; i++) {
        const next = redactValue(value[i], depth + 1)
        if (next !== value[i]) {
          copy ??= value.slice()
          copy[i] = next
        }
      }
      return copy ?? value
    }
    let copy: Record<string, unknown> | undefined
    const record = value as Record<string, unknown>
    for (const key in record) {
      const current = record[key]
      const next = isSensitive(key) ? (current == null ? current : REDACTED) : redactValue(current, depth + 1)
      if (next !== current) {
        copy ??= { ...record }
        copy[key] = next
      }
    }
    return copy ?? value
  }

  return <T>(value: T) => redactValue(value, 0) as T
}

function normalize(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, '')
}

const MAX_MESSAGE_CACHE = 1024
const MAX_CACHED_MESSAGE_LENGTH = 256

/**
 * Scrubs log messages. Most messages are constant strings logged again and again, so short ones are remembered
 * with their verdict; any other message pays one cheap test before the full scrub runs.
 */
export function createMessageScrubber(): (message: string) => string {
  const seen = new Map<string, string>()
  return (message) => {
    const known = seen.get(message)
    if (known !== undefined) return known
    const scrubbed = MAY_HOLD_SECRET.test(message) ? scrubSecrets(message, 64 * 1024) : message
    if (message.length <= MAX_CACHED_MESSAGE_LENGTH && seen.size < MAX_MESSAGE_CACHE)
      seen.set(message, scrubbed)
    return scrubbed
  }
}
