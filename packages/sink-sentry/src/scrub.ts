import { REDACTED, scrubSecrets, sensitiveKeyMatcher } from '@vivr/core'

const MAX_DEPTH = 8
const NO_LIMIT = Number.MAX_SAFE_INTEGER
/** Whether a field name holds a secret (core's logger rules: authorization, cookie, password, token…). */
export const isSensitiveKey = sensitiveKeyMatcher()

export const scrubText = (text: string): string => scrubSecrets(text, NO_LIMIT)

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * A copy of `value` with secrets removed: values of sensitive keys replaced, credentials in strings masked,
 * Errors turned into `{ name, message, stack }` with the same treatment. Cycles and depth are bounded.
 */
export function scrubDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value)
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH || seen.has(value)) return value
  seen.add(value)
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, depth + 1, seen))
  if (value instanceof Error) {
    return {
      name: value.name,
      message: scrubText(value.message),
      ...(value.stack ? { stack: scrubText(value.stack) } : {}),
    }
  }
  if (!isPlainObject(value)) return value
  const copy: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    copy[key] = isSensitiveKey(key) ? REDACTED : scrubDeep(item, depth + 1, seen)
  }
  return copy
}

/** `scrubDeep` for a record, keeping its type. */
export function scrubRecord(record: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(record)) {
    copy[key] = isSensitiveKey(key) ? REDACTED : scrubDeep(item, 1)
  }
  return copy
}
