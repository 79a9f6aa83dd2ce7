import { createSocket } from 'node:dgram'

/**
 * One metric line: `name:value|type|@rate|#tags|T<ts>|c:<container>`, or with several values packed
 * (DogStatsD protocol 1.1, Datadog Agent ≥ 6.25 / 7.25): `name:1:2.5:3|h|@rate|#tags`, the type, sample rate and
 * tags shared by every value.
 */
export interface DogStatsDMetric {
  kind: 'metric'
  name: string
  /** First value. */
  value: number
  /** Every value of the line, in order: one, or several packed. */
  values: number[]
  /** `c` counter, `g` gauge, `ms` timing, `h` histogram, `d` distribution, `s` set. */
  type: string
  sampleRate?: number
  /** In the order sent, e.g. `['env:test', 'route:/checkout']`. */
  tags: string[]
  /** Unix seconds (`|T`). */
  timestamp?: number
  containerId?: string
  raw: string
}

export type ServiceCheckStatus = 0 | 1 | 2 | 3

/** One service check: `_sc|name|status|d:<ts>|h:<host>|#tags|m:<message>`. */
export interface DogStatsDServiceCheck {
  kind: 'serviceCheck'
  name: string
  /** 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
  status: ServiceCheckStatus
  tags: string[]
  timestamp?: number
  hostname?: string
  /** Unescaped (`\\n` → newline, `m\\:` → `m:`). */
  message?: string
  raw: string
}

/** One event: `_e{<title length>,<text length>}:title|text|d:|h:|k:|p:|s:|t:|#tags`. */
export interface DogStatsDEvent {
  kind: 'event'
  title: string
  /** Unescaped (`\\n` → newline). */
  text: string
  tags: string[]
  timestamp?: number
  hostname?: string
  aggregationKey?: string
  priority?: string
  sourceType?: string
  alertType?: string
  raw: string
}

export type DogStatsDMessage = DogStatsDMetric | DogStatsDServiceCheck | DogStatsDEvent

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder()

function splitTags(field: string): string[] {
  return field === '' ? [] : field.split(',')
}

/**
 * A value as the agent reads it (Go's strconv.ParseFloat, decimal only): digits with an optional sign, point and
 * exponent. Stricter than `Number()`, which reads `''` as 0 and accepts `0x10` or ` 1`: an empty value between
 * two colons (`a:1::2|h`) is a broken line, not a zero.
 */
const DOGSTATSD_VALUE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

function parseMetric(line: string): DogStatsDMetric | undefined {
  const fields = line.split('|')
  const head = fields[0] ?? ''
  const colon = head.indexOf(':')
  const type = fields[1]
  if (colon <= 0 || !type) return undefined
  // A set's value is one member, whatever it spells (sets take no packing: `:` may be in a member).
  const texts = type === 's' ? [head.slice(colon + 1)] : head.slice(colon + 1).split(':')
  if (type !== 's' && !texts.every((text) => DOGSTATSD_VALUE.test(text))) return undefined
  const values = texts.map((text) => Number(text))
  // `1e999` spells a number but not a double: the agent refuses it (out of range).
  if (values.some((v) => Number.isNaN(v) || (type !== 's' && !Number.isFinite(v)))) return undefined
  const metric: DogStatsDMetric = {
    kind: 'metric',
    name: head.slice(0, colon),
    value: values[0]!,
    values,
    type,
    tags: [],
    raw: line,
  }
  for (const field of fields.slice(2)) {
    if (field.startsWith('@')) metric.sampleRate = Number(field.slice(1))
    else if (field.startsWith('#')) metric.tags = splitTags(field.slice(1))
    else if (field.startsWith('T')) metric.timestamp = Number(field.slice(1))
    else if (field.startsWith('c:')) metric.containerId = field.slice(2)
  }
  return metric
}

function parseServiceCheck(line: string): DogStatsDServiceCheck | undefined {
  const fields = line.split('|')
  const name = fields[1]
  const status = Number(fields[2])
  if (!name || !(status === 0 || status === 1 || status === 2 || status === 3)) return undefined
  const check: DogStatsDServiceCheck = { kind: 'serviceCheck', name, status, tags: [], raw: line }
  for (let i = 3; i < fields.length; i++) {
    const field = fields[i]!
    if (field.startsWith('m:')) {
      // The message is the last field; keep any `|` it contained.
      check.message = fields.slice(i).join('|').slice(2).replace(/\\n/g, '\n').replace(/m\\:/g, 'm:')
      break
    }
    if (field.startsWith('d:')) check.timestamp = Number(field.slice(2))
    else if (field.startsWith('h:')) check.hostname = field.slice(2)
    else if (field.startsWith('#')) check.tags = splitTags(field.slice(1))
  }
  return check
}

/**
 * The spec gives title and text lengths in UTF-8 bytes; some clients (hot-shots among them) send UTF-16
 * lengths. Both are accepted: whichever split lands on the `|` separators wins.
 */
function splitEventBody(body: string, titleLength: number, textLength: number) {
  const bytes = utf8.encode(body)
  if (
    bytes[titleLength] === 0x7c &&
    (bytes.length === titleLength + 1 + textLength || bytes[titleLength + 1 + textLength] === 0x7c)
  ) {
    return {
      title: utf8Decoder.decode(bytes.subarray(0, titleLength)),
      text: utf8Decoder.decode(bytes.subarray(titleLength + 1, titleLength + 1 + textLength)),
      rest: utf8Decoder.decode(bytes.subarray(titleLength + 1 + textLength)),
    }
  }
  if (body[titleLength] === '|') {
    return {
      title: body.slice(0, titleLength),
      text: body.slice(titleLength + 1, titleLength + 1 + textLength),
      rest: body.slice(titleLength + 1 + textLength),
    }
  }
  return undefined
}

function parseEvent(line: string): DogStatsDEvent | undefined {
  const header = /^_e\{(\d+),(\d+)\}:/.exec(line)
  if (!header) return undefined
  const parts = splitEventBody(line.slice(header[0].length), Number(header[1]), Number(header[2]))
  if (!parts) return undefined
  const event: DogStatsDEvent = {
    kind: 'event',
    title: parts.title,
    text: parts.text.replace(/\\n/g, '\n'),
    tags: [],
    raw: line,
  }
  for (const field of parts.rest.split('|')) {
    if (field.startsWith('d:')) event.timestamp = Number(field.slice(2))
    else if (field.startsWith('h:')) event.hostname = field.slice(2)
    else if (field.startsWith('k:')) event.aggregationKey = field.slice(2)
    else if (field.startsWith('p:')) event.priority = field.slice(2)
    else if (field.startsWith('s:')) event.sourceType = field.slice(2)
    else if (field.startsWith('t:')) event.alertType = field.slice(2)
    else if (field.startsWith('#')) event.tags = splitTags(field.slice(1))
  }
  return event
}

/** Parses one DogStatsD line (metric, service check or event); `undefined` when it is not valid DogStatsD. */
export function parseDogStatsDLine(line: string): DogStatsDMessage | undefined {
  if (line.startsWith('_sc|')) return parseServiceCheck(line)
  if (line.startsWith('_e{')) return parseEvent(line)
  return parseMetric(line)
}

/** Splits a datagram into its lines (one per `\n`, empty lines ignored). */
export function splitDatagram(datagram: string): string[] {
  return datagram.split('\n').filter((line) => line !== '')
}

export interface ReceivedDatagram {
  text: string
  /** Size on the wire. */
  bytes: number
}

export interface StatsdListenerOptions {
  /** @default '127.0.0.1' */
  host?: string
  /** @default 0 (a free port) */
  port?: number
  /**
   * Socket receive buffer. Loopback UDP drops whatever arrives while the buffer is full, and a test that sends in
   * a tight loop fills the default (~200 KB) before the listener reads; the kernel caps this at `rmem_max`.
   * @default 4 MiB
   */
  receiveBufferBytes?: number
}

export interface WaitOptions {
  /** @default 2000 */
  timeoutMs?: number
}

export interface StatsdListener {
  readonly host: string
  readonly port: number
  readonly datagrams: readonly ReceivedDatagram[]
  readonly lines: readonly string[]
  readonly metrics: readonly DogStatsDMetric[]
  readonly serviceChecks: readonly DogStatsDServiceCheck[]
  readonly events: readonly DogStatsDEvent[]
  /** Lines that were not valid DogStatsD. */
  readonly unparsed: readonly string[]
  /** Resolves once at least `count` lines arrived; rejects after `timeoutMs` saying how many did. */
  waitForLines(count: number, options?: WaitOptions): Promise<void>
  /**
   * Resolves once at least `count` metric values arrived, each value of a packed line counted (`a:1:2:3|h` is
   * three); rejects after `timeoutMs` saying how many did.
   */
  waitForValues(count: number, options?: WaitOptions): Promise<void>
  /** Metric values received so far, each value of a packed line counted. */
  readonly valueCount: number
  /** Resolves once `predicate()` holds (checked on every datagram); rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, options?: WaitOptions): Promise<void>
  clear(): void
  close(): Promise<void>
}

/**
 * A UDP server speaking the DogStatsD protocol on loopback: it records every datagram and parses each line into
 * metrics, service checks and events, so tests can assert what a StatsD client really sent.
 */
export async function startStatsdListener(options: StatsdListenerOptions = {}): Promise<StatsdListener> {
  const host = options.host ?? '127.0.0.1'
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4')
  const datagrams: ReceivedDatagram[] = []
  const lines: string[] = []
  const metrics: DogStatsDMetric[] = []
  const serviceChecks: DogStatsDServiceCheck[] = []
  const events: DogStatsDEvent[] = []
  const unparsed: string[] = []
  const waiters = new Set<() => void>()
  let valueCount = 0
  let closed: Promise<void> | undefined

  socket.on('message', (message) => {
    const text = message.toString('utf8')
    datagrams.push({ text, bytes: message.length })
    for (const line of splitDatagram(text)) {
      lines.push(line)
      const parsed = parseDogStatsDLine(line)
      if (!parsed) unparsed.push(line)
      else if (parsed.kind === 'metric') {
        metrics.push(parsed)
        valueCount += parsed.values.length
      } else if (parsed.kind === 'serviceCheck') serviceChecks.push(parsed)
      else events.push(parsed)
    }
    for (const waiter of [...waiters]) waiter()
  })

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(options.port ?? 0, host, () => {
      socket.off('error', reject)
      resolve()
    })
  })
  try {
    socket.setRecvBufferSize(options.receiveBufferBytes ?? 4 * 1024 * 1024)
  } catch {
    // Refused by the platform: keep the default buffer.
  }
  // A listener must never keep a test process alive, nor crash it on a late socket error.
  socket.unref()
  socket.on('error', () => {})

  function waitFor(predicate: () => boolean, { timeoutMs = 2000 }: WaitOptions = {}, describe = () => '') {
    return new Promise<void>((resolve, reject) => {
      if (predicate()) return resolve()
      const check = () => {
        if (!predicate()) return
        cleanup()
        resolve()
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`StatsD listener: condition not met within ${timeoutMs} ms${describe()}`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        waiters.delete(check)
      }
      waiters.add(check)
    })
  }

  return {
    host,
    port: socket.address().port,
    datagrams,
    lines,
    metrics,
    serviceChecks,
    events,
    unparsed,
    waitFor: (predicate, waitOptions) => waitFor(predicate, waitOptions),
    waitForLines: (count, waitOptions) =>
      waitFor(
        () => lines.length >= count,
        waitOptions,
        () => ` (wanted ${count} lines, got ${lines.length})`,
      ),
    waitForValues: (count, waitOptions) =>
      waitFor(
        () => valueCount >= count,
        waitOptions,
        () => ` (wanted ${count} values, got ${valueCount})`,
      ),
    get valueCount() {
      return valueCount
    },
    clear() {
      for (const list of [datagrams, lines, metrics, serviceChecks, events, unparsed]) list.length = 0
      valueCount = 0
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve())
        } catch {
          resolve()
        }
      })
      return closed
    },
  } satisfies StatsdListener
}
