import { isProxy } from 'node:util/types'
import { mayHoldSecret, scrubSecrets } from '@vivr/core'

/** Datadog keeps at most 200 characters of a tag (`key:value`). */
export const MAX_TAG_CHARS = 200
/** A key is cut to this before its value, so a long key still leaves room for a value. */
export const MAX_KEY_CHARS = 100
/** Tags on one call: more is not a tag set but a mistake (core's limitCardinality draws the same line). */
export const MAX_TAGS = 64
/** Tag values remembered as free of secrets (each at most MAX_TAG_CHARS long). */
const MAX_CLEAN_VALUES = 2048

/** The first `maxChars` UTF-16 units of `text`, never half a surrogate pair, in a string of its own. */
export function cut(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text
  const last = text.charCodeAt(maxChars - 1)
  // Never split a surrogate pair: half a character is not valid UTF-8.
  const kept = text.slice(0, last >= 0xd800 && last <= 0xdbff ? maxChars - 1 : maxChars)
  // A copy: V8 makes a slice a view that keeps the whole 10 MB original alive as long as the slice is held.
  return Buffer.from(kept, 'utf16le').toString('utf16le')
}

/** A tag value as text: primitives as `String()` spells them; an object or a function is not a tag value. */
export function tagText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return String(value)
  return undefined
}

export interface TagReader {
  /**
   * The tags as they go to hot-shots, or undefined for what is not a tag set (an array, a Buffer, a class
   * instance, more than MAX_TAGS tags, an object as a value). The common call, a plain object of short strings
   * free of secrets, is passed on as it is; anything else is copied, scrubbed of secrets (core's scrubSecrets)
   * and cut to Datadog's tag limit. May throw (a Proxy, a getter).
   */
  read(tags: object): Record<string, string> | undefined
  /** Characters of the keys and values of the last tag set read, plus 2 per tag (`:` and `,`). */
  readonly lastChars: number
  /** Tags cut to Datadog's limit so far. */
  readonly truncated: number
}

/**
 * Reads call tags for the wire. Holds a small cache of values known to hold no secret: the same few recur on
 * every call, and a set lookup costs less than a scan. Cleared when full, so what recurs now stays.
 */
export function createTagReader(): TagReader {
  const cleanValues = new Set<string>()
  let lastChars = 0
  let truncated = 0

  function isClean(value: string): boolean {
    if (cleanValues.has(value)) return true
    if (mayHoldSecret(value)) return false
    if (cleanValues.size >= MAX_CLEAN_VALUES) cleanValues.clear()
    cleanValues.add(value)
    return true
  }

  function copy(tags: object): Record<string, string> | undefined {
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
        truncated++
      }
      out[key] = value
      chars += key.length + value.length + 2
    }
    lastChars = chars
    return out
  }

  return {
    read(tags) {
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
      if (!plain) return copy(tags)
      lastChars = chars
      return tags as Record<string, string>
    },
    get lastChars() {
      return lastChars
    },
    get truncated() {
      return truncated
    },
  }
}
