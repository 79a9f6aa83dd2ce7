import { messageOf, type ServiceCheckStatus, scrubSecrets } from '@vivr/core'

/*
 * The DogStatsD wire, counted in bytes. hot-shots writes the lines; this decides, before it does, whether a line
 * fits one datagram, and spells the service-check fields so that nothing in them can end the line early:
 *
 *   prefix.name:value|ms|#global:tags,call:tags
 *   prefix.name:value:value:value|ms|#global:tags,call:tags     (DogStatsD 1.1: agent ≥ 6.25 / 7.25)
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

/**
 * A value as it goes into a multi-value line: the shortest spelling that reads back as the same double (what
 * `String()` and hot-shots write), in plain decimal wherever that takes at most MAX_NUMBER_CHARS characters. So
 * `1e-7` goes out as `0.0000001` and `1e21` as `1000000000000000000000`; only the extremes keep an exponent
 * (`5e-324`, `1.7976931348623157e+308`), which the agent reads too (Go's strconv.ParseFloat).
 */
export function formatValue(value: number): string {
  const shortest = String(value)
  const e = shortest.indexOf('e')
  if (e === -1) return shortest
  const negative = shortest.startsWith('-')
  const mantissa = shortest.slice(negative ? 1 : 0, e)
  const exponent = Number(shortest.slice(e + 1))
  const dot = mantissa.indexOf('.')
  const digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1)
  // Where the decimal point goes, counted from the left of `digits` (String() gives one digit before it).
  const point = 1 + exponent
  const plain =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`
  const spelled = negative ? `-${plain}` : plain
  return spelled.length <= MAX_NUMBER_CHARS ? spelled : shortest
}

/** A metric name as hot-shots writes it: `:`, `|` and line breaks become `_` (one byte for one byte). */
export const metricNameSafe = (name: string): string => name.replace(/[:|\r\n]/g, '_')

/** Lines of one series, values in the order given. */
export interface PackedLines {
  /** `head:v1:v2…tail` each; with its tag section added, at most the byte limit the room was counted from. */
  lines: string[]
  /** Values per line, in the same order. */
  counts: number[]
  /** Values that could not fit a line even alone (dropped, for the caller to count). */
  dropped: number
}

/**
 * Packs the values of one series (one name, type and tag set) into as few lines as it takes, in order: each
 * value costs `:` plus its spelling, and a line takes values while they fit `roomBytes` (the byte limit less the
 * head, the tail and the tag section). Values are ASCII, so characters are bytes. A line is never split across
 * datagrams: the caller hands whole lines to the datagram packer.
 */
export function packValues(
  head: string,
  tail: string,
  values: readonly number[],
  roomBytes: number,
): PackedLines {
  const lines: string[] = []
  const counts: number[] = []
  let dropped = 0
  let body = ''
  let count = 0
  for (const value of values) {
    const piece = `:${formatValue(value)}`
    if (piece.length > roomBytes) {
      dropped++
      continue
    }
    if (body.length + piece.length > roomBytes) {
      lines.push(head + body + tail)
      counts.push(count)
      body = ''
      count = 0
    }
    body += piece
    count++
  }
  if (count > 0) {
    lines.push(head + body + tail)
    counts.push(count)
  }
  return { lines, counts, dropped }
}

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
      const exact =
        fixedBytes + Buffer.byteLength(name) + formatValue(value).length + (tags ? tagBytes(tags) : 0)
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
