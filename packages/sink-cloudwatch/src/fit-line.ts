import { MAX_EVENT_MESSAGE_BYTES, truncateUtf8 } from './limits.js'

/** The field a cut JSON line gains: `{ originalBytes, removedBytes, droppedFields? }`. */
export const TRUNCATION_FIELD = '_truncated'

/** Top-level fields never dropped (their string values may still be shortened): the kit's and pino's defaults. */
const PROTECTED = new Set(['"level"', '"timestamp"', '"message"', '"time"', '"msg"'])
/** A shortened string keeps at least this many bytes (room for the marker and a little text); shorter ones stay. */
const MIN_STRING_BYTES = 64
/** Room kept for the truncation field. */
const MARKER_RESERVE_BYTES = 1024
/** Dropped field names listed in the marker (each cut to 64 characters). */
const MAX_LISTED_DROPS = 10
/** A protected non-string value (number, literal) longer than this is left out of the minimal object. */
const MAX_SCALAR_BYTES = 64

const utf8 = (text: string) => Buffer.byteLength(text)
const stringMarker = (cutBytes: number) => ` …[truncated ${cutBytes} bytes]`

/**
 * Fits one log line into `maxBytes` UTF-8 bytes. A line that fits is returned as is. A line holding one JSON
 * object stays one valid JSON object: the longest string values are shortened to a common length (each ending
 * with ` …[truncated N bytes]`), top-level fields with more non-string bulk than fits are dropped first, and a
 * `_truncated` field says how many bytes went and which fields. `level`, `timestamp` and `message` are never
 * dropped. Any other line is cut at a UTF-8 character boundary.
 *
 * Linear in the line's size and allocation-light: one validating scan over the text (no JSON.parse, no object
 * tree, any nesting depth), then the result is assembled from slices of the line.
 */
export function fitLine(line: string, maxBytes: number): string {
  if (utf8(line) <= maxBytes) return line
  const scan = scanObject(line)
  return (scan && fitObject(line, scan, maxBytes)) ?? truncateUtf8(line, maxBytes)
}

/** One top-level member, `"key": value`, as offsets into the line. */
interface Entry {
  keyStart: number
  keyEnd: number
  valueStart: number
  /** End of the value (trailing whitespace included). */
  end: number
  bytes: number
  /** Bytes of this entry's long strings (those over MIN_STRING_BYTES, the only ones ever shortened). */
  longBytes: number
  longCount: number
}

interface Scan {
  entries: Entry[]
  totalBytes: number
  /** Long string literals (quotes included), in document order: start, end, bytes, entry index. */
  strings: number[]
}

const OBJECT = 1
const ARRAY = 2
/** Scanner states: what the next token may be. */
const State = { KeyOrEnd: 0, Key: 1, Colon: 2, ValueOrEnd: 3, Value: 4, After: 5 } as const

const isWhitespace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09
const isDigit = (c: number) => c >= 0x30 && c <= 0x39
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)

/**
 * Validates `line` as one JSON object and measures it, without building values. Returns undefined for anything
 * that is not exactly one JSON object (surrounding whitespace allowed). Depth is a counter stack, not recursion.
 */
function scanObject(line: string): Scan | undefined {
  const n = line.length
  let i = 0
  let bytes = 0
  const skipWhitespace = () => {
    while (i < n && isWhitespace(line.charCodeAt(i))) {
      i++
      bytes++
    }
  }
  /** Consumes the string literal at `i`; false if it is malformed. Tracks UTF-8 bytes as Buffer.byteLength does. */
  const scanString = (): boolean => {
    i++
    bytes++
    for (;;) {
      if (i >= n) return false
      const c = line.charCodeAt(i)
      if (c === 0x22) {
        i++
        bytes++
        return true
      }
      if (c === 0x5c) {
        const e = line.charCodeAt(i + 1)
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) if (!isHex(line.charCodeAt(i + k))) return false
          i += 6
          bytes += 6
        } else if (
          e === 0x22 ||
          e === 0x5c ||
          e === 0x2f ||
          e === 0x62 ||
          e === 0x66 ||
          e === 0x6e ||
          e === 0x72 ||
          e === 0x74
        ) {
          i += 2
          bytes += 2
        } else return false
      } else if (c < 0x20) return false
      else if (c < 0x80) {
        i++
        bytes++
      } else if (c < 0x800) {
        i++
        bytes += 2
      } else if (c >= 0xd800 && c <= 0xdbff && (line.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        i += 2
        bytes += 4
      } else {
        i++
        bytes += 3 // other BMP characters; a lone surrogate becomes U+FFFD, also 3 bytes
      }
    }
  }
  const scanDigits = (): boolean => {
    const from = i
    while (i < n && isDigit(line.charCodeAt(i))) i++
    bytes += i - from
    return i > from
  }
  const scanNumber = (): boolean => {
    if (line.charCodeAt(i) === 0x2d) {
      i++
      bytes++
    }
    if (line.charCodeAt(i) === 0x30) {
      i++
      bytes++
    } else if (!scanDigits()) return false
    if (line.charCodeAt(i) === 0x2e) {
      i++
      bytes++
      if (!scanDigits()) return false
    }
    const e = line.charCodeAt(i)
    if (e === 0x65 || e === 0x45) {
      i++
      bytes++
      const sign = line.charCodeAt(i)
      if (sign === 0x2b || sign === 0x2d) {
        i++
        bytes++
      }
      if (!scanDigits()) return false
    }
    return true
  }
  const scanLiteral = (word: string): boolean => {
    if (!line.startsWith(word, i)) return false
    i += word.length
    bytes += word.length
    return true
  }

  skipWhitespace()
  if (line.charCodeAt(i) !== 0x7b) return undefined
  i++
  bytes++
  const stack: number[] = [OBJECT]
  const entries: Entry[] = []
  const strings: number[] = []
  let state: number = State.KeyOrEnd
  let keyStart = 0
  let keyEnd = 0
  let valueStart = 0
  let entryStartBytes = 0
  let longBytes = 0
  let longCount = 0
  const endEntry = () => {
    entries.push({
      keyStart,
      keyEnd,
      valueStart,
      end: i,
      bytes: bytes - entryStartBytes,
      longBytes,
      longCount,
    })
  }
  const close = (): void => {
    if (stack.length === 1 && state === State.After) endEntry()
    stack.pop()
    i++
    bytes++
    state = State.After
  }

  while (stack.length > 0) {
    skipWhitespace()
    if (i >= n) return undefined
    const c = line.charCodeAt(i)
    const top = stack[stack.length - 1]
    switch (state) {
      case State.KeyOrEnd:
      case State.Key: {
        if (c === 0x7d && state === State.KeyOrEnd) {
          close()
          break
        }
        if (c !== 0x22) return undefined
        const start = i
        const startBytes = bytes
        if (!scanString()) return undefined
        if (stack.length === 1) {
          keyStart = start
          keyEnd = i
          entryStartBytes = startBytes
          longBytes = 0
          longCount = 0
        }
        state = State.Colon
        break
      }
      case State.Colon:
        if (c !== 0x3a) return undefined
        i++
        bytes++
        state = State.Value
        if (stack.length === 1) {
          skipWhitespace()
          valueStart = i
        }
        break
      case State.ValueOrEnd:
      case State.Value:
        if (c === 0x5d && state === State.ValueOrEnd) {
          close()
          break
        }
        if (c === 0x22) {
          const start = i
          const startBytes = bytes
          if (!scanString()) return undefined
          const size = bytes - startBytes
          if (size > MIN_STRING_BYTES) {
            strings.push(start, i, size, entries.length)
            longBytes += size
            longCount++
          }
          state = State.After
        } else if (c === 0x7b || c === 0x5b) {
          stack.push(c === 0x7b ? OBJECT : ARRAY)
          i++
          bytes++
          state = c === 0x7b ? State.KeyOrEnd : State.ValueOrEnd
        } else if (c === 0x2d || isDigit(c)) {
          if (!scanNumber()) return undefined
          state = State.After
        } else if (scanLiteral(c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null')) {
          state = State.After
        } else return undefined
        break
      case State.After:
        if (c === 0x2c) {
          if (stack.length === 1) endEntry()
          i++
          bytes++
          state = top === OBJECT ? State.Key : State.Value
        } else if ((c === 0x7d && top === OBJECT) || (c === 0x5d && top === ARRAY)) {
          close()
        } else return undefined
        break
    }
  }
  skipWhitespace()
  if (i < n) return undefined
  return { entries, totalBytes: bytes, strings }
}

/**
 * The largest cap such that every string shortened to it leaves the strings within `available` bytes
 * (water-filling: the longest strings are cut to one common length, shorter ones are kept whole).
 */
function stringCap(sizes: Float64Array, available: number): number {
  sizes.sort().reverse()
  let rest = 0
  for (const size of sizes) rest += size
  if (rest <= available) return Number.POSITIVE_INFINITY
  for (let k = 1; k <= sizes.length; k++) {
    rest -= sizes[k - 1]!
    const cap = Math.floor((available - rest) / k)
    if (cap >= (sizes[k] ?? 0)) return cap
  }
  return 0
}

/**
 * The string literal `line[start, end)` shortened to at most `maxBytes` bytes, quotes included, ending with a
 * marker. Never splits an escape sequence, a surrogate pair (raw or escaped) or a character.
 */
function shortenLiteral(
  line: string,
  start: number,
  end: number,
  literalBytes: number,
  maxBytes: number,
): string {
  const contentBytes = literalBytes - 2
  const room = maxBytes - 2 - utf8(stringMarker(contentBytes))
  let used = 0
  let i = start + 1
  const last = end - 1
  while (i < last) {
    const c = line.charCodeAt(i)
    let width = 1
    let cost: number
    if (c === 0x5c) {
      const isUnicode = line.charCodeAt(i + 1) === 0x75
      width = isUnicode ? 6 : 2
      if (isUnicode && /^\\u[dD][89abAB]..\\u[dD][c-fC-F]/.test(line.slice(i, i + 12))) width = 12
      cost = width
    } else if (c < 0x80) cost = 1
    else if (c < 0x800) cost = 2
    else if (c >= 0xd800 && c <= 0xdbff && (line.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      width = 2
      cost = 4
    } else cost = 3
    if (used + cost > room) break
    used += cost
    i += width
  }
  return `"${line.slice(start + 1, i)}${stringMarker(contentBytes - used)}"`
}

function decodedKey(line: string, entry: Entry): string {
  try {
    return String(JSON.parse(line.slice(entry.keyStart, entry.keyEnd))).slice(0, 64)
  } catch {
    return '?'
  }
}

function withMarker(members: string[], originalBytes: number, droppedFields: string[]): string {
  const head = `{${members.join(',')}${members.length > 0 ? ',' : ''}${JSON.stringify(TRUNCATION_FIELD)}:`
  const headBytes = utf8(head)
  const dropped = droppedFields.length > 0 ? droppedFields : undefined
  let removedBytes = originalBytes - headBytes
  // The count includes the marker's own bytes. Settle its digits; where a digit boundary leaves no exact
  // answer (9999 claims one byte too few, 10000 one too many), claim the smaller and pad with spaces.
  for (;;) {
    const marker = JSON.stringify({ originalBytes, removedBytes, droppedFields: dropped })
    const actual = originalBytes - headBytes - utf8(marker) - 1
    if (actual < removedBytes) {
      removedBytes = actual
      continue
    }
    return `${head}${marker}${' '.repeat(actual - removedBytes)}}`
  }
}

function listDropped(line: string, dropped: Entry[]): string[] {
  const names = dropped.slice(0, MAX_LISTED_DROPS).map((entry) => decodedKey(line, entry))
  if (dropped.length > names.length) names.push(`…${dropped.length - names.length} more`)
  return names
}

function fitObject(line: string, scan: Scan, maxBytes: number): string | undefined {
  const budget = maxBytes - MARKER_RESERVE_BYTES
  const originalBytes = scan.totalBytes
  const isMarker = (e: Entry) => line.slice(e.keyStart, e.keyEnd) === JSON.stringify(TRUNCATION_FIELD)
  const isProtected = (e: Entry) =>
    e.keyEnd - e.keyStart <= 11 && PROTECTED.has(line.slice(e.keyStart, e.keyEnd))
  const kept = new Uint8Array(scan.entries.length)
  // What cannot shrink (structure, keys, numbers, short strings) plus each long string at its shortest.
  let fixed = 2
  let floor = 2
  const candidates: Array<{ index: number; floor: number }> = []
  scan.entries.forEach((entry, index) => {
    if (isMarker(entry)) return
    kept[index] = 1
    const entryFixed = entry.bytes + 1 - entry.longBytes
    const entryFloor = entryFixed + entry.longCount * MIN_STRING_BYTES
    fixed += entryFixed
    floor += entryFloor
    if (!isProtected(entry)) candidates.push({ index, floor: entryFloor })
  })
  // Fields too bulky to fit even with every string at its shortest go first, the bulkiest first.
  const dropped: Entry[] = []
  if (floor > budget) {
    candidates.sort((a, b) => b.floor - a.floor)
    for (const candidate of candidates) {
      if (floor <= budget) break
      const entry = scan.entries[candidate.index]!
      kept[candidate.index] = 0
      dropped.push(entry)
      floor -= candidate.floor
      fixed -= entry.bytes + 1 - entry.longBytes
    }
  }
  // Then the longest strings are cut to one common length.
  const { strings } = scan
  const sizes: number[] = []
  for (let s = 0; s < strings.length; s += 4) if (kept[strings[s + 3]!]) sizes.push(strings[s + 2]!)
  const cap = Math.max(MIN_STRING_BYTES, stringCap(Float64Array.from(sizes), budget - fixed))

  const members: string[] = []
  let s = 0
  scan.entries.forEach((entry, index) => {
    while (s < strings.length && strings[s + 3]! < index) s += 4
    if (!kept[index]) return
    let out = ''
    let from = entry.keyStart
    for (; s < strings.length && strings[s + 3] === index; s += 4) {
      const [start, end, size] = [strings[s]!, strings[s + 1]!, strings[s + 2]!]
      if (size <= cap) continue
      out += line.slice(from, start) + shortenLiteral(line, start, end, size, cap)
      from = end
    }
    members.push(out + line.slice(from, entry.end))
  })
  const fitted = withMarker(members, originalBytes, listDropped(line, dropped))
  if (utf8(fitted) <= maxBytes) return fitted
  return minimalObject(line, scan, maxBytes)
}

/** Protected fields alone, strings shortened, for a line whose protected fields are themselves too bulky. */
function minimalObject(line: string, scan: Scan, maxBytes: number): string | undefined {
  const members: string[] = []
  const dropped: Entry[] = []
  let budget = maxBytes - MARKER_RESERVE_BYTES
  const entries = [...scan.entries].sort((a, b) => a.bytes - b.bytes)
  const literals = new Map<Entry, number>()
  for (let s = 0; s < scan.strings.length; s += 4) {
    const entry = scan.entries[scan.strings[s + 3]!]!
    if (scan.strings[s] === entry.valueStart) literals.set(entry, scan.strings[s + 2]!)
  }
  for (const entry of entries) {
    const key = line.slice(entry.keyStart, entry.keyEnd)
    if (!PROTECTED.has(key)) {
      if (key !== JSON.stringify(TRUNCATION_FIELD)) dropped.push(entry)
      continue
    }
    const head = `${key}:`
    const valueEnd = line.slice(entry.valueStart, entry.end).trimEnd().length + entry.valueStart
    const first = line.charCodeAt(entry.valueStart)
    let value: string | undefined
    if (first === 0x22) {
      // A short string was not recorded as long: it is whole and small.
      const size = literals.get(entry)
      const cap = Math.max(
        MIN_STRING_BYTES,
        Math.min(budget - utf8(head), key === '"message"' ? budget : 256),
      )
      value =
        size === undefined || size <= cap
          ? line.slice(entry.valueStart, valueEnd)
          : shortenLiteral(line, entry.valueStart, valueEnd, size, cap)
    } else if (first !== 0x7b && first !== 0x5b && valueEnd - entry.valueStart <= MAX_SCALAR_BYTES) {
      value = line.slice(entry.valueStart, valueEnd)
    }
    if (value === undefined || utf8(head) + utf8(value) + 1 > budget) {
      dropped.push(entry)
      continue
    }
    members.push(head + value)
    budget -= utf8(head) + utf8(value) + 1
  }
  const fitted = withMarker(members, scan.totalBytes, listDropped(line, dropped))
  return utf8(fitted) <= maxBytes ? fitted : undefined
}

/** A log line as one event message within the 256 KB limit: the message, its UTF-8 size, and whether it was cut. */
export function eventMessage(line: string): { message: string; bytes: number; truncated: boolean } {
  // A UTF-16 unit is at most 3 UTF-8 bytes: a line this short fits, and is measured once.
  if (line.length <= MAX_EVENT_MESSAGE_BYTES / 3) {
    return { message: line, bytes: utf8(line), truncated: false }
  }
  const message = fitLine(line, MAX_EVENT_MESSAGE_BYTES)
  return { message, bytes: utf8(message), truncated: message !== line }
}
