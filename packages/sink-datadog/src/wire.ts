import { messageOf, type ServiceCheckStatus, scrubSecrets } from '@vivr/core'

/*
 * The DogStatsD wire, counted in bytes. hot-shots writes the lines; this decides, before it does, whether a line
 * fits one datagram, and spells the service-check fields so that nothing in them can end the line early:
 *
 *   prefix.name:value|ms|#global:tags,call:tags
 *   _sc|prefix.name|2|h:hostname|#global:tags,call:tags|m:message
 */

/** `String(n)` of any finite double is at most 24 characters (`-1.2345678901234567e-308`). */
export const MAX_NUMBER_CHARS = 24
/** A UTF-16 code unit never takes more than 3 UTF-8 bytes. */
export const MAX_BYTES_PER_CHAR = 3

/** DogStatsD's status codes for core's service-check statuses. */
export const CHECK_CODES: Readonly<Record<ServiceCheckStatus, 0 | 1 | 2 | 3>> = {
  ok: 0,
  warning: 1,
  critical: 2,
  unknown: 3,
}

const encoder = new TextEncoder()

/** The longest start of `text` that takes at most `maxBytes` bytes of UTF-8, never cutting a character. */
export function cutToBytes(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return ''
  if (Buffer.byteLength(text) <= maxBytes) return text
  // encodeInto stops before a character that would not fit whole, so the cut is always valid UTF-8.
  const { read } = encoder.encodeInto(text, new Uint8Array(maxBytes))
  return text.slice(0, read)
}

/** Bytes of `key:value` per tag plus a separator each (a generous count: the first tag has no comma). */
export function tagBytes(tags: Record<string, string>): number {
  let bytes = 0
  for (const [key, value] of Object.entries(tags))
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value) + 2
  return bytes
}

/** A service check message is the line's last field: no newline and no `|` may survive in it. */
export function escapeCheckMessage(message: string): string {
  return message.replace(/\r\n|\r|\n/g, '\\n').replace(/\|/g, '/')
}

/** A service check's name or hostname: a `|` or a line break would start a field or a line of its own. */
export const checkFieldSafe = (text: string): string => text.replace(/[|\r\n]/g, '_')

/** A service check as it goes to hot-shots' `check()`. */
export interface CheckFields {
  name: string
  hostname: string | undefined
  /** Scrubbed, escaped and cut to what room the datagram leaves; undefined when empty. */
  message: string | undefined
}

export interface DatagramBudget {
  /**
   * Whether a metric line fits one datagram. `chars` is the characters of name and tags (plus 2 per tag and
   * MAX_NUMBER_CHARS for the value), as the caller counted them on the way: almost every line passes that cheap
   * bound, and only long or exotic ones pay for exact UTF-8 counting. Pass Infinity to count exactly.
   */
  metricFits(name: string, value: number, tags: Record<string, string> | undefined, chars: number): boolean
  /**
   * A service check's fields, or `'oversize'` when even without its message it cannot fit one datagram. The
   * message (any value: it goes through core's messageOf) is scrubbed of secrets, then escaped and cut to the room
   * left. May throw only where `tags` does.
   */
  checkFields(
    name: string,
    hostname: string | undefined,
    tags: Record<string, string> | undefined,
    message: unknown,
  ): CheckFields | 'oversize'
}

/** The byte arithmetic of one sink: its prefix and global tags are on every line. */
export function createDatagramBudget(options: {
  prefix: string
  globalTags: Record<string, string>
  maxDatagramBytes: number
}): DatagramBudget {
  const { maxDatagramBytes } = options
  const globalBytes = tagBytes(options.globalTags)
  const prefixBytes = Buffer.byteLength(options.prefix)
  // `prefix name:value|ms|#global,tags`: everything but name, value and call tags, counted generously.
  const fixedBytes = prefixBytes + 4 + 3 + globalBytes

  return {
    metricFits(name, value, tags, chars) {
      if (fixedBytes + MAX_BYTES_PER_CHAR * chars <= maxDatagramBytes) return true
      const exact = fixedBytes + Buffer.byteLength(name) + String(value).length + (tags ? tagBytes(tags) : 0)
      return exact <= maxDatagramBytes
    },
    checkFields(rawName, rawHostname, tags, rawMessage) {
      // Characters first: a 10 MB name is refused without being copied or counted.
      if (rawName.length > maxDatagramBytes || (rawHostname?.length ?? 0) > maxDatagramBytes)
        return 'oversize'
      const name = checkFieldSafe(rawName)
      const hostname = rawHostname ? checkFieldSafe(rawHostname) : undefined
      // `_sc|prefix name|2|h:host|#global,tags|m:message`
      const withoutMessage =
        4 +
        prefixBytes +
        Buffer.byteLength(name) +
        2 +
        (hostname ? 3 + Buffer.byteLength(hostname) : 0) +
        3 +
        globalBytes +
        (tags ? tagBytes(tags) : 0)
      if (withoutMessage > maxDatagramBytes) return 'oversize'
      const room = maxDatagramBytes - withoutMessage - 3
      const message =
        rawMessage == null || room <= 0
          ? ''
          : // Scrubbed before it is escaped or cut, so a secret is recognised in the text it stood in.
            cutToBytes(escapeCheckMessage(scrubSecrets(messageOf(rawMessage), room)), room)
      return { name, hostname, message: message === '' ? undefined : message }
    },
  }
}
