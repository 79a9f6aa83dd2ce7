import type { InputLogEvent } from '@aws-sdk/client-cloudwatch-logs'
import { EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_BATCH_SPAN_MS } from './limits.js'

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
  push(message: string, messageBytes: number, timestamp: number, logStreamName: string): void
  /** Drops the oldest event; returns its byte cost. */
  dropOldest(): number
  /** Removes the longest prefix that is one valid PutLogEvents request (one stream, every limit). */
  takeBatch(): Batch
  /** Removes and returns every queued message. */
  drain(): string[]
}

/**
 * A FIFO of log events in parallel arrays (no object per event) with a moving head, so a full 8 MiB buffer of
 * short lines costs little more than the strings themselves.
 */
export function createEventQueue(): EventQueue {
  let messages: string[] = []
  let costs: number[] = []
  let timestamps: number[] = []
  let streams: string[] = []
  let head = 0
  let bytes = 0
  let headSeq = 1

  function advance(count: number) {
    for (let i = head; i < head + count; i++) messages[i] = ''
    head += count
    headSeq += count
    if (head === messages.length) {
      messages = []
      costs = []
      timestamps = []
      streams = []
      head = 0
    } else if (head > 4096 && head * 2 > messages.length) {
      messages = messages.slice(head)
      costs = costs.slice(head)
      timestamps = timestamps.slice(head)
      streams = streams.slice(head)
      head = 0
    }
  }

  return {
    get length() {
      return messages.length - head
    },
    get bytes() {
      return bytes
    },
    get headSeq() {
      return headSeq
    },
    push(message, messageBytes, timestamp, logStreamName) {
      const cost = messageBytes + EVENT_OVERHEAD_BYTES
      messages.push(message)
      costs.push(cost)
      timestamps.push(timestamp)
      streams.push(logStreamName)
      bytes += cost
    },
    dropOldest() {
      const cost = costs[head] ?? 0
      bytes -= cost
      advance(1)
      return cost
    },
    takeBatch() {
      const logStreamName = streams[head]!
      const first = timestamps[head]!
      const events: InputLogEvent[] = []
      let batchBytes = 0
      let i = head
      while (
        i < messages.length &&
        events.length < MAX_BATCH_EVENTS &&
        batchBytes + costs[i]! <= MAX_BATCH_BYTES &&
        streams[i] === logStreamName &&
        timestamps[i]! - first <= MAX_BATCH_SPAN_MS
      ) {
        events.push({ timestamp: timestamps[i]!, message: messages[i]! })
        batchBytes += costs[i]!
        i++
      }
      const firstSeq = headSeq
      bytes -= batchBytes
      advance(events.length)
      return { logStreamName, events, bytes: batchBytes, firstSeq, lastSeq: firstSeq + events.length - 1 }
    },
    drain() {
      const rest = messages.slice(head)
      advance(rest.length)
      bytes = 0
      return rest
    },
  }
}
