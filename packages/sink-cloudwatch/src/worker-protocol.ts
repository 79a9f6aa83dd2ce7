import type { MessagePort } from 'node:worker_threads'
import type { HandoffBuffers } from './handoff-ring.js'
import type { CloudWatchLogsStats } from './logs.js'
import type { CloudWatchLogsOptions, DropReason } from './logs-options.js'

/** The options that cross to the worker: plain data only (no client, clock, callbacks or lifecycle). */
export type WorkerLogsOptions = Omit<
  CloudWatchLogsOptions,
  'client' | 'clock' | 'fallback' | 'logger' | 'onDrop' | 'lifecycle'
>

/** What the worker receives in `workerData`. */
export interface WorkerInit {
  kind: 'vivr-cloudwatch-logs'
  ring: HandoffBuffers
  /** The worker's latest `stats()`, as a Float64Array (see STATS_FIELDS). */
  stats: SharedArrayBuffer
  /** Messages both ways; the main thread can also read it synchronously (receiveMessageOnPort) at exit. */
  port: MessagePort
  options: WorkerLogsOptions
}

/** Indexes into the ring's shared state after the ring's own (handoff-ring.ts STATE). */
export const CONTROL = {
  /** 1 once the worker reads the ring. */
  ready: 8,
  /** Set by the worker when an `exit` request is done (EXIT_DONE) or when it ends (EXIT_GONE); waited on at exit. */
  exit: 9,
} as const

export const EXIT_DONE = 1
export const EXIT_GONE = 2

/** The worker's `stats()` fields, in the order they are published. */
export const STATS_FIELDS = [
  'written',
  'delivered',
  'dropped',
  'rejected',
  'fallback',
  'truncated',
  'requests',
  'retries',
  'bufferedEvents',
  'bufferedBytes',
] as const satisfies readonly (keyof CloudWatchLogsStats)[]

export type ToWorker =
  | { type: 'flush'; id: number }
  | { type: 'close'; id: number }
  /** The process is exiting: deliver everything (close), then set CONTROL.exit. The sender waits synchronously. */
  | { type: 'exit' }

export type FromWorker =
  | { type: 'flushed'; id: number }
  | { type: 'closed'; id: number }
  /** Lines for the fallback (CloudWatch refused them, or they were left at close). */
  | { type: 'fallback'; lines: string[] }
  | { type: 'drop'; count: number; reason: DropReason }
  /** One of the destination's own warnings (already throttled in the worker). */
  | { type: 'warn'; message: string; context: Record<string, unknown> }
  /** An uncaught error in the worker: it closes its destination and ends. */
  | { type: 'failed'; error: string }
