import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The PutLogEvents limits as AWS documents them. */
export const PUT_LOG_EVENTS_LIMITS = {
  maxEvents: 10_000,
  maxBatchBytes: 1_048_576,
  perEventOverheadBytes: 26,
  /** One event, message UTF-8 bytes plus the per-event overhead (the long-standing 256 KB limit). */
  maxEventBytes: 262_144,
  maxSpanMs: 24 * 60 * 60 * 1000,
  maxFutureMs: 2 * 60 * 60 * 1000,
  maxAgeMs: 14 * 24 * 60 * 60 * 1000,
} as const

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy). */
export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const

export type CloudWatchLogsOperation =
  | 'CreateLogGroup'
  | 'CreateLogStream'
  | 'PutLogEvents'
  | 'PutRetentionPolicy'
  | 'DescribeLogGroups'
  | 'DescribeLogStreams'
  | 'GetLogEvents'
  | 'DeleteLogGroup'
  | 'DeleteLogStream'

/**
 * A fault the endpoint serves instead of (or before) a normal answer:
 * - `throttling`: 400 ThrottlingException; `server-error`: 500 InternalFailure;
 *   `service-unavailable`: 503 ServiceUnavailableException; `access-denied`: 400 AccessDeniedException
 * - `stream-deleted`: the request's log stream is deleted, then the request is answered (ResourceNotFoundException)
 * - `connection-reset`: the socket is destroyed without an answer
 * - `{ kind: 'slow', delayMs }`: the request waits `delayMs` before it is processed; a client that gives up first
 *   leaves nothing behind (as if the request never reached the service)
 */
export type CloudWatchLogsFault =
  | 'throttling'
  | 'server-error'
  | 'service-unavailable'
  | 'access-denied'
  | 'stream-deleted'
  | 'connection-reset'
  | { kind: 'slow'; delayMs: number }

export interface StoredLogEvent {
  timestamp: number
  message: string
  ingestionTime: number
}

export interface LoopbackLogStream {
  readonly name: string
  readonly creationTime: number
  readonly events: StoredLogEvent[]
}

export interface LoopbackLogGroup {
  readonly name: string
  readonly creationTime: number
  retentionInDays?: number
  readonly streams: Map<string, LoopbackLogStream>
}

export interface RecordedCall {
  operation: string
  /** HTTP status of the answer; 0 while pending or when no answer was sent. */
  status: number
  logGroupName?: string
  /** The region the client signed for (from the SigV4 credential scope). */
  region?: string
  /** Error type for failed calls (`ThrottlingException`, …), or `connection-reset`. */
  error?: string
  /** Number of log events, for PutLogEvents. */
  events?: number
}

export interface CloudWatchLogsServerOptions {
  /** @default 0 (a free port) */
  port?: number
  /** Server clock used for ingestion time and the too-old / too-new checks. @default Date.now */
  now?: () => number
}

export interface CloudWatchLogsServer {
  /** `http://127.0.0.1:<port>`: pass as the SDK client's `endpoint`. */
  readonly endpoint: string
  readonly port: number
  readonly groups: ReadonlyMap<string, LoopbackLogGroup>
  /** Every request, in arrival order, with the status it was answered with. */
  readonly calls: readonly RecordedCall[]
  callCount(operation: CloudWatchLogsOperation, filter?: { ok?: boolean }): number
  /** Events stored in one stream, in order. */
  events(logGroupName: string, logStreamName: string): StoredLogEvent[]
  /** Every event of a group, stream by stream in creation order. */
  groupEvents(logGroupName: string): Array<StoredLogEvent & { logStreamName: string }>
  /** Serve `fault` to the next `times` requests of `operation` (default: PutLogEvents, once). */
  inject(
    fault: CloudWatchLogsFault,
    options?: { operation?: CloudWatchLogsOperation | '*'; times?: number },
  ): void
  clearFaults(): void
  /** Endpoint down: stop listening and drop open connections (clients see connection refused / reset). */
  stop(): Promise<void>
  /** Endpoint back up, on the same port. */
  start(): Promise<void>
  close(): Promise<void>
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message)
  }
}

const invalid = (message: string) => new ServiceError('InvalidParameterException', message)
const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/
const STREAM_NAME = /^[^:*]{1,512}$/

function stringField(body: Record<string, unknown>, field: string, pattern?: RegExp): string {
  const value = body[field]
  if (typeof value !== 'string') {
    throw invalid(
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    )
  }
  if (pattern && !pattern.test(value)) {
    throw invalid(
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`,
    )
  }
  return value
}

function optionalNumber(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`Invalid ${field}`)
  return value
}

/**
 * A CloudWatch Logs endpoint on 127.0.0.1 speaking the AWS JSON 1.1 protocol (`POST /`,
 * `X-Amz-Target: Logs_20140328.<Operation>`), for exercising the real AWS SDK client: log groups and streams,
 * PutLogEvents with every documented limit enforced, retention, reads, and injectable faults.
 */
export async function startCloudWatchLogsServer(
  options: CloudWatchLogsServerOptions = {},
): Promise<CloudWatchLogsServer> {
  const now = options.now ?? Date.now
  const groups = new Map<string, LoopbackLogGroup>()
  const calls: RecordedCall[] = []
  const faults: Array<{ fault: CloudWatchLogsFault; operation: string; remaining: number }> = []
  let sequence = 0

  function group(name: string): LoopbackLogGroup {
    const found = groups.get(name)
    if (!found) throw new ServiceError('ResourceNotFoundException', 'The specified log group does not exist.')
    return found
  }

  function stream(groupName: string, streamName: string): LoopbackLogStream {
    const found = group(groupName).streams.get(streamName)
    if (!found)
      throw new ServiceError('ResourceNotFoundException', 'The specified log stream does not exist.')
    return found
  }

  function putLogEvents(body: Record<string, unknown>) {
    const groupName = stringField(body, 'logGroupName', GROUP_NAME)
    const streamName = stringField(body, 'logStreamName', STREAM_NAME)
    const events = body.logEvents
    if (!Array.isArray(events) || events.length === 0) {
      throw invalid(
        "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1",
      )
    }
    if (events.length > PUT_LOG_EVENTS_LIMITS.maxEvents) {
      throw invalid(
        `1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to ${PUT_LOG_EVENTS_LIMITS.maxEvents}`,
      )
    }
    let batchBytes = 0
    let previous = Number.NEGATIVE_INFINITY
    const parsed: Array<{ timestamp: number; message: string }> = []
    for (const event of events) {
      const message: unknown = event?.message
      const timestamp: unknown = event?.timestamp
      if (typeof message !== 'string' || message.length === 0 || typeof timestamp !== 'number') {
        throw invalid('Each log event needs a non-empty message and a timestamp.')
      }
      const eventBytes = Buffer.byteLength(message) + PUT_LOG_EVENTS_LIMITS.perEventOverheadBytes
      if (eventBytes > PUT_LOG_EVENTS_LIMITS.maxEventBytes) {
        throw invalid(
          `Log event too large: ${eventBytes} bytes exceeds limit of ${PUT_LOG_EVENTS_LIMITS.maxEventBytes}`,
        )
      }
      if (timestamp < previous) {
        throw invalid('Log events in a single PutLogEvents request must be in chronological order.')
      }
      previous = timestamp
      batchBytes += eventBytes
      parsed.push({ timestamp, message })
    }
    if (batchBytes > PUT_LOG_EVENTS_LIMITS.maxBatchBytes) {
      throw invalid(
        `Upload too large: ${batchBytes} bytes exceeds limit of ${PUT_LOG_EVENTS_LIMITS.maxBatchBytes}`,
      )
    }
    const target = stream(groupName, streamName)
    const ingestionTime = now()
    const retention = groups.get(groupName)?.retentionInDays
    const oldest = ingestionTime - PUT_LOG_EVENTS_LIMITS.maxAgeMs
    const expiredBefore =
      retention === undefined ? Number.NEGATIVE_INFINITY : ingestionTime - retention * 86_400_000
    const newest = ingestionTime + PUT_LOG_EVENTS_LIMITS.maxFutureMs
    let tooOldEnd = 0
    let expiredEnd = 0
    let tooNewStart = parsed.length
    parsed.forEach((event, index) => {
      if (event.timestamp < oldest) tooOldEnd = index + 1
      if (event.timestamp < expiredBefore) expiredEnd = index + 1
      if (event.timestamp > newest && tooNewStart === parsed.length) tooNewStart = index
    })
    // The 24-hour span applies to the events CloudWatch keeps (AWS: "for valid events").
    const firstValid = parsed[Math.max(tooOldEnd, expiredEnd)]
    const lastValid = parsed[tooNewStart - 1]
    if (
      firstValid &&
      lastValid &&
      lastValid.timestamp - firstValid.timestamp > PUT_LOG_EVENTS_LIMITS.maxSpanMs
    ) {
      throw invalid(
        'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
      )
    }
    for (let i = Math.max(tooOldEnd, expiredEnd); i < tooNewStart; i++) {
      target.events.push({ ...parsed[i]!, ingestionTime })
    }
    const rejected: Record<string, number> = {}
    if (tooOldEnd > 0) rejected.tooOldLogEventEndIndex = tooOldEnd
    if (expiredEnd > 0) rejected.expiredLogEventEndIndex = expiredEnd
    if (tooNewStart < parsed.length) rejected.tooNewLogEventStartIndex = tooNewStart
    return {
      nextSequenceToken: String(++sequence).padStart(56, '0'),
      ...(Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {}),
    }
  }

  function describeStream(groupName: string, s: LoopbackLogStream) {
    const first = s.events[0]
    const last = s.events.at(-1)
    return {
      logStreamName: s.name,
      creationTime: s.creationTime,
      arn: `arn:aws:logs:us-east-1:123456789012:log-group:${groupName}:log-stream:${s.name}`,
      storedBytes: 0,
      ...(first && last
        ? {
            firstEventTimestamp: first.timestamp,
            lastEventTimestamp: last.timestamp,
            lastIngestionTime: last.ingestionTime,
          }
        : {}),
    }
  }

  function page<T>(items: T[], body: Record<string, unknown>, defaultLimit: number) {
    const limit = optionalNumber(body, 'limit') ?? defaultLimit
    const start = typeof body.nextToken === 'string' ? Number.parseInt(body.nextToken, 10) || 0 : 0
    const slice = items.slice(start, start + limit)
    const next = start + slice.length < items.length ? String(start + slice.length) : undefined
    return { slice, next }
  }

  const operations: Record<CloudWatchLogsOperation, (body: Record<string, unknown>) => unknown> = {
    CreateLogGroup(body) {
      const name = stringField(body, 'logGroupName', GROUP_NAME)
      if (groups.has(name)) {
        throw new ServiceError('ResourceAlreadyExistsException', 'The specified log group already exists')
      }
      groups.set(name, { name, creationTime: now(), streams: new Map() })
      return {}
    },
    CreateLogStream(body) {
      const target = group(stringField(body, 'logGroupName', GROUP_NAME))
      const name = stringField(body, 'logStreamName', STREAM_NAME)
      if (target.streams.has(name)) {
        throw new ServiceError('ResourceAlreadyExistsException', 'The specified log stream already exists')
      }
      target.streams.set(name, { name, creationTime: now(), events: [] })
      return {}
    },
    PutLogEvents: putLogEvents,
    PutRetentionPolicy(body) {
      const target = group(stringField(body, 'logGroupName', GROUP_NAME))
      const days = body.retentionInDays
      if (typeof days !== 'number' || !(RETENTION_DAYS as readonly number[]).includes(days)) {
        throw invalid(
          `1 validation error detected: Value '${String(days)}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
        )
      }
      target.retentionInDays = days
      return {}
    },
    DescribeLogGroups(body) {
      const prefix = typeof body.logGroupNamePrefix === 'string' ? body.logGroupNamePrefix : ''
      const all = [...groups.values()]
        .filter((g) => g.name.startsWith(prefix))
        .sort((a, b) => a.name.localeCompare(b.name))
      const { slice, next } = page(all, body, 50)
      return {
        logGroups: slice.map((g) => ({
          logGroupName: g.name,
          creationTime: g.creationTime,
          arn: `arn:aws:logs:us-east-1:123456789012:log-group:${g.name}:*`,
          storedBytes: 0,
          ...(g.retentionInDays === undefined ? {} : { retentionInDays: g.retentionInDays }),
        })),
        ...(next ? { nextToken: next } : {}),
      }
    },
    DescribeLogStreams(body) {
      const groupName = stringField(body, 'logGroupName', GROUP_NAME)
      const prefix = typeof body.logStreamNamePrefix === 'string' ? body.logStreamNamePrefix : ''
      const byLastEvent = body.orderBy === 'LastEventTime'
      if (byLastEvent && prefix) throw invalid('Cannot order by LastEventTime with a logStreamNamePrefix.')
      const all = [...group(groupName).streams.values()].filter((s) => s.name.startsWith(prefix))
      all.sort((a, b) =>
        byLastEvent
          ? (a.events.at(-1)?.timestamp ?? 0) - (b.events.at(-1)?.timestamp ?? 0)
          : a.name.localeCompare(b.name),
      )
      if (body.descending === true) all.reverse()
      const { slice, next } = page(all, body, 50)
      return {
        logStreams: slice.map((s) => describeStream(groupName, s)),
        ...(next ? { nextToken: next } : {}),
      }
    },
    GetLogEvents(body) {
      const target = stream(
        stringField(body, 'logGroupName', GROUP_NAME),
        stringField(body, 'logStreamName', STREAM_NAME),
      )
      const startTime = optionalNumber(body, 'startTime') ?? Number.NEGATIVE_INFINITY
      const endTime = optionalNumber(body, 'endTime') ?? Number.POSITIVE_INFINITY
      const limit = Math.min(optionalNumber(body, 'limit') ?? 10_000, 10_000)
      const events = target.events.filter((e) => e.timestamp >= startTime && e.timestamp < endTime)
      const token = typeof body.nextToken === 'string' ? /^([fb])\/(\d+)$/.exec(body.nextToken) : null
      if (typeof body.nextToken === 'string' && !token) throw invalid('The specified nextToken is invalid.')
      let from: number
      let to: number
      if (token?.[1] === 'f') {
        from = Math.min(Number(token[2]), events.length)
        to = Math.min(from + limit, events.length)
      } else if (token?.[1] === 'b') {
        to = Math.min(Number(token[2]), events.length)
        from = Math.max(0, to - limit)
      } else if (body.startFromHead === true) {
        from = 0
        to = Math.min(limit, events.length)
      } else {
        to = events.length
        from = Math.max(0, to - limit)
      }
      return {
        events: events.slice(from, to),
        nextForwardToken: `f/${String(to).padStart(20, '0')}`,
        nextBackwardToken: `b/${String(from).padStart(20, '0')}`,
      }
    },
    DeleteLogGroup(body) {
      const name = stringField(body, 'logGroupName', GROUP_NAME)
      group(name)
      groups.delete(name)
      return {}
    },
    DeleteLogStream(body) {
      const target = group(stringField(body, 'logGroupName', GROUP_NAME))
      const name = stringField(body, 'logStreamName', STREAM_NAME)
      stream(target.name, name)
      target.streams.delete(name)
      return {}
    },
  }

  function takeFault(operation: string): CloudWatchLogsFault | undefined {
    const index = faults.findIndex((f) => f.operation === '*' || f.operation === operation)
    if (index < 0) return undefined
    const entry = faults[index]!
    if (--entry.remaining <= 0) faults.splice(index, 1)
    return entry.fault
  }

  function send(response: ServerResponse, status: number, body: unknown, errorType?: string) {
    const payload = JSON.stringify(body)
    response.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(payload),
      'x-amzn-requestid': crypto.randomUUID(),
      ...(errorType
        ? { 'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazonaws.logs/` }
        : {}),
    })
    response.end(payload)
  }

  function sendError(response: ServerResponse, call: RecordedCall, error: ServiceError) {
    call.status = error.status
    call.error = error.type
    send(response, error.status, { __type: error.type, message: error.message }, error.type)
  }

  async function readBody(request: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const target = String(request.headers['x-amz-target'] ?? '')
    const operation = target.startsWith('Logs_20140328.') ? target.slice('Logs_20140328.'.length) : target
    const call: RecordedCall = { operation, status: 0 }
    let text: string
    try {
      text = await readBody(request)
    } catch {
      return
    }
    calls.push(call)
    if (request.method !== 'POST' || !(operation in operations)) {
      return sendError(
        response,
        call,
        new ServiceError('UnknownOperationException', `Unknown operation ${target}`),
      )
    }
    const authorization = String(request.headers.authorization ?? '')
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization)?.[1]
    if (region) call.region = region
    if (!authorization.startsWith('AWS4-HMAC-SHA256')) {
      return sendError(
        response,
        call,
        new ServiceError('MissingAuthenticationTokenException', 'Missing Authentication Token'),
      )
    }
    let body: Record<string, unknown>
    try {
      const parsed: unknown = JSON.parse(text || '{}')
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object')
      body = parsed as Record<string, unknown>
    } catch {
      return sendError(
        response,
        call,
        new ServiceError('SerializationException', 'Could not parse the request body'),
      )
    }
    if (typeof body.logGroupName === 'string') call.logGroupName = body.logGroupName
    if (operation === 'PutLogEvents' && Array.isArray(body.logEvents)) call.events = body.logEvents.length

    const fault = takeFault(operation)
    if (fault === 'connection-reset') {
      call.status = 0
      call.error = 'connection-reset'
      request.socket.destroy()
      return
    }
    if (typeof fault === 'object') {
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs))
      if (response.destroyed || request.socket.destroyed) {
        call.status = 0
        call.error = 'client-gone'
        return
      }
    }
    if (fault === 'throttling')
      return sendError(response, call, new ServiceError('ThrottlingException', 'Rate exceeded'))
    if (fault === 'server-error') {
      return sendError(
        response,
        call,
        new ServiceError('InternalFailure', 'An internal error occurred.', 500),
      )
    }
    if (fault === 'service-unavailable') {
      return sendError(
        response,
        call,
        new ServiceError('ServiceUnavailableException', 'The service cannot complete the request.', 503),
      )
    }
    if (fault === 'access-denied') {
      return sendError(
        response,
        call,
        new ServiceError(
          'AccessDeniedException',
          `User: arn:aws:iam::123456789012:user/app is not authorized to perform: logs:${operation}`,
        ),
      )
    }
    if (
      fault === 'stream-deleted' &&
      typeof body.logGroupName === 'string' &&
      typeof body.logStreamName === 'string'
    ) {
      groups.get(body.logGroupName)?.streams.delete(body.logStreamName)
    }
    try {
      const result = operations[operation as CloudWatchLogsOperation](body)
      call.status = 200
      send(response, 200, result)
    } catch (error) {
      if (error instanceof ServiceError) return sendError(response, call, error)
      sendError(response, call, new ServiceError('InternalFailure', String(error), 500))
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy())
  })
  server.keepAliveTimeout = 5000

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve((server.address() as AddressInfo).port)
      })
    })
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve()
      server.close(() => resolve())
      server.closeAllConnections()
    })

  const port = await listen(options.port ?? 0)

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    groups,
    calls,
    callCount: (operation, filter = {}) =>
      calls.filter(
        (c) => c.operation === operation && (filter.ok === undefined || (c.status === 200) === filter.ok),
      ).length,
    events: (groupName, streamName) => [...(groups.get(groupName)?.streams.get(streamName)?.events ?? [])],
    groupEvents: (groupName) =>
      [...(groups.get(groupName)?.streams.values() ?? [])].flatMap((s) =>
        s.events.map((e) => ({ ...e, logStreamName: s.name })),
      ),
    inject(fault, { operation = 'PutLogEvents', times = 1 } = {}) {
      faults.push({ fault, operation, remaining: times })
    },
    clearFaults() {
      faults.length = 0
    },
    stop: stopListening,
    async start() {
      if (!server.listening) await listen(port)
    },
    close: stopListening,
  }
}
