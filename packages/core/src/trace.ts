/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/), the parts the kit needs: reading `traceparent` and
 * `tracestate` strictly (a malformed header is ignored, never echoed), making ids, and writing the headers back.
 * Isomorphic: ids come from `crypto.getRandomValues`, which every runtime the kit supports has.
 */

/** The ids that link one request's log lines, error events, exemplars and EMF records. */
export interface TraceIds {
  /** 32 lower-case hex digits, not all zero. */
  traceId: string
  /** 16 lower-case hex digits, not all zero: the span of this process's work on the request. */
  spanId: string
}

export interface TraceContext extends TraceIds {
  /** The caller's span, when the request came with a `traceparent`. */
  parentSpanId?: string
  /** The sampled flag: whether the caller records this trace. New traces are sampled. */
  sampled: boolean
  /** The incoming `tracestate`, when valid; passed on untouched. */
  traceState?: string
}

/** Where the kit reads the active trace from when a tracer owns it (OpenTelemetry, dd-trace, Sentry). */
export type TraceSource = () => TraceIds | undefined

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)
const MAX_TRACESTATE_LENGTH = 512
const MAX_TRACESTATE_MEMBERS = 32
// key = simple-key / multi-tenant-key; value = 0*255(chr) nblk-chr (printable ASCII without `,` and `=`).
const TRACESTATE_MEMBER =
  /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/

export function isTraceId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{32}$/.test(value) && value !== ZERO_TRACE
}

export function isSpanId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{16}$/.test(value) && value !== ZERO_SPAN
}

/**
 * A `traceparent` header read strictly: version 00 exactly as specified, a later version by its first four
 * fields (as the spec asks), never version ff, never an all-zero id, at most 512 characters looked at.
 * Anything else is `undefined`: the request then starts a trace of its own.
 */
export function parseTraceparent(
  header: unknown,
): Pick<TraceContext, 'traceId' | 'parentSpanId' | 'sampled'> | undefined {
  if (typeof header !== 'string' || header.length > 512) return undefined
  const match = TRACEPARENT.exec(header.trim())
  if (!match) return undefined
  const [, version, traceId, spanId, flags, rest] = match
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (!isTraceId(traceId) || !isSpanId(spanId)) return undefined
  return { traceId, parentSpanId: spanId, sampled: (Number.parseInt(flags ?? '00', 16) & 1) === 1 }
}

/** A `tracestate` header kept only when every list member is well-formed (and within the spec's limits). */
export function parseTracestate(header: unknown): string | undefined {
  if (typeof header !== 'string' || header.length === 0 || header.length > MAX_TRACESTATE_LENGTH)
    return undefined
  const members = header
    .split(',')
    .map((member) => member.trim())
    .filter((member) => member !== '')
  if (members.length === 0 || members.length > MAX_TRACESTATE_MEMBERS) return undefined
  if (!members.every((member) => TRACESTATE_MEMBER.test(member))) return undefined
  return members.join(',')
}

function randomHex(bytes: number): string {
  const buffer = new Uint8Array(bytes)
  globalThis.crypto.getRandomValues(buffer)
  let hex = ''
  for (const byte of buffer) hex += byte.toString(16).padStart(2, '0')
  return hex
}

export function newTraceId(): string {
  const id = randomHex(16)
  return id === ZERO_TRACE ? newTraceId() : id
}

export function newSpanId(): string {
  const id = randomHex(8)
  return id === ZERO_SPAN ? newSpanId() : id
}

/**
 * The trace context of a request: a child of the incoming `traceparent` (same trace, a new span, the caller's
 * span as parent, its `tracestate` kept), or a new sampled trace when there is none or it is malformed.
 */
export function traceFromHeaders(traceparent: unknown, tracestate?: unknown): TraceContext {
  const parent = parseTraceparent(traceparent)
  if (!parent) return { traceId: newTraceId(), spanId: newSpanId(), sampled: true }
  const context: TraceContext = { ...parent, spanId: newSpanId() }
  const state = parseTracestate(tracestate)
  if (state !== undefined) context.traceState = state
  return context
}

/** `00-<trace id>-<span id>-<flags>`: the `traceparent` to send on, or the `traceresponse` to answer with. */
export function formatTraceparent(trace: TraceIds & { sampled?: boolean }): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.sampled === false ? '00' : '01'}`
}

/**
 * Datadog's form of the ids, for `dd.trace_id` / `dd.span_id` on log lines: the lower 64 bits of each, in
 * decimal (how dd-trace prints them and how Datadog links a log line to an APM trace).
 */
export function datadogIds(trace: TraceIds): { traceId: string; spanId: string } {
  return {
    traceId: BigInt(`0x${trace.traceId.slice(-16)}`).toString(10),
    spanId: BigInt(`0x${trace.spanId}`).toString(10),
  }
}
