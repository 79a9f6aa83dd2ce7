import type { InputLogEvent } from '@aws-sdk/client-cloudwatch-logs'
import {
  EVENT_OVERHEAD_BYTES,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_BATCH_SPAN_MS,
  MAX_EVENT_BYTES,
} from './limits.js'

export interface Batch {
  logStreamName: string
  events: InputLogEvent[]
  /** Bytes as PutLogEvents counts them (UTF-8 message bytes + 26 per event). */
  bytes: number
  firstSeq: number
  lastSeq: number
}

export interface EventQueue {
  readonly length: number
  /** Bytes as PutLogEvents counts them. */
  readonly bytes: number
  /** Sequence number of the oldest queued event (events are numbered from 1 in write order). */
  readonly headSeq: number
  /**
   * Appends a message of `messageBytes` UTF-8 bytes; false when the byte ring has no room for it (drop the
   * oldest and try again).
   */
  push(message: string, messageBytes: number, timestamp: number, logStreamName: string): boolean
  /** Drops the oldest event. */
  dropOldest(): void
  /** Removes the longest prefix that is one valid PutLogEvents request (one stream, every limit). */
  takeBatch(): Batch
  /** Removes and returns every queued message. */
  drain(): string[]
}

const INITIAL_SLOTS = 1024

/**
 * A FIFO of log events whose messages live as UTF-8 in one preallocated byte ring (sized from the memory bound)
 * and whose timestamps, offsets and sizes live in typed arrays. Queued lines hold no JS objects, so a full
 * buffer costs what the bound says and leaves no garbage for the collector to promote; strings are made again
 * only for the batch being sent.
 */
export function createEventQueue(maxQueuedBytes: number): EventQueue {
  // Room for every queued message, plus one maximal event of slack lost when an event skips the ring's end.
  const ring = Buffer.allocUnsafeSlow(maxQueuedBytes + MAX_EVENT_BYTES)
  let slots = INITIAL_SLOTS
  let offsets = new Uint32Array(slots)
  let sizes = new Uint32Array(slots)
  let timestamps = new Float64Array(slots)
  let streamIds = new Uint32Array(slots)
  const streamNames: string[] = []
  const streamIdOf = new Map<string, number>()
  let head = 0 // slot of the oldest event
  let count = 0
  let writeAt = 0 // next free byte
  // Queued bytes run from the oldest event's offset to writeAt; `wrapped` when they continue from 0.
  let wrapped = false
  let bytes = 0
  let headSeq = 1

  const slot = (index: number) => (head + index) & (slots - 1)

  function reordered<T extends Uint32Array | Float64Array>(from: T, into: T): T {
    for (let i = 0; i < count; i++) into[i] = from[slot(i)]!
    return into
  }

  function grow() {
    const next = slots * 2
    offsets = reordered(offsets, new Uint32Array(next))
    sizes = reordered(sizes, new Uint32Array(next))
    timestamps = reordered(timestamps, new Float64Array(next))
    streamIds = reordered(streamIds, new Uint32Array(next))
    slots = next
    head = 0
  }

  /** Where `size` contiguous bytes fit without touching queued ones, or -1. */
  function placeFor(size: number): number {
    if (count === 0) return size <= ring.length ? 0 : -1
    const readAt = offsets[head]!
    if (wrapped) return writeAt + size <= readAt ? writeAt : -1
    if (writeAt + size <= ring.length) return writeAt
    return size <= readAt ? 0 : -1
  }

  let lastName = ''
  let lastId = -1

  function idOf(logStreamName: string): number {
    if (logStreamName === lastName && lastId >= 0) return lastId
    let id = streamIdOf.get(logStreamName)
    if (id === undefined) {
      id = streamNames.length
      streamNames.push(logStreamName)
      streamIdOf.set(logStreamName, id)
    }
    lastName = logStreamName
    lastId = id
    return id
  }

  function advance(n: number) {
    const readAt = offsets[head]!
    for (let i = 0; i < n; i++) bytes -= sizes[slot(i)]! + EVENT_OVERHEAD_BYTES
    head = (head + n) & (slots - 1)
    count -= n
    headSeq += n
    if (count > 0 && offsets[head]! < readAt) wrapped = false // the oldest event is now past the wrap
    if (count === 0) {
      head = 0
      writeAt = 0
      wrapped = false
      bytes = 0
      // Stream names are kept only while events use them (one a day by default).
      streamNames.length = 0
      streamIdOf.clear()
      lastId = -1
    }
  }

  const messageAt = (s: number) => ring.toString('utf8', offsets[s]!, offsets[s]! + sizes[s]!)

  return {
    get length() {
      return count
    },
    get bytes() {
      return bytes
    },
    get headSeq() {
      return headSeq
    },
    push(message, messageBytes, timestamp, logStreamName) {
      const at = placeFor(messageBytes)
      if (at < 0) return false
      if (count === slots) grow()
      if (at === 0 && count > 0) wrapped = true
      const s = slot(count)
      ring.write(message, at, messageBytes, 'utf8')
      offsets[s] = at
      sizes[s] = messageBytes
      timestamps[s] = timestamp
      streamIds[s] = idOf(logStreamName)
      writeAt = at + messageBytes
      bytes += messageBytes + EVENT_OVERHEAD_BYTES
      count++
      return true
    },
    dropOldest() {
      if (count > 0) advance(1)
    },
    takeBatch() {
      const first = slot(0)
      const streamId = streamIds[first]!
      const firstTimestamp = timestamps[first]!
      const logStreamName = streamNames[streamId]!
      const events: InputLogEvent[] = []
      let batchBytes = 0
      for (let i = 0; i < count && events.length < MAX_BATCH_EVENTS; i++) {
        const s = slot(i)
        const cost = sizes[s]! + EVENT_OVERHEAD_BYTES
        if (
          batchBytes + cost > MAX_BATCH_BYTES ||
          streamIds[s] !== streamId ||
          timestamps[s]! - firstTimestamp > MAX_BATCH_SPAN_MS
        ) {
          break
        }
        events.push({ timestamp: timestamps[s]!, message: messageAt(s) })
        batchBytes += cost
      }
      const firstSeq = headSeq
      advance(events.length)
      return { logStreamName, events, bytes: batchBytes, firstSeq, lastSeq: firstSeq + events.length - 1 }
    },
    drain() {
      const messages: string[] = []
      for (let i = 0; i < count; i++) messages.push(messageAt(slot(i)))
      advance(count)
      return messages
    },
  }
}
