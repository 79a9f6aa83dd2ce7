import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync, inflateSync } from 'node:zlib'

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': '*',
}

export interface EnvelopeItem {
  /** The item header: `type` (event, transaction, session, client_report, attachment…), `length`, … */
  header: { type: string; length?: number; [field: string]: unknown }
  /** Parsed JSON for JSON items; the raw bytes for anything else (attachments). */
  payload: unknown
}

export interface Envelope {
  header: { event_id?: string; dsn?: string; sent_at?: string; [field: string]: unknown }
  items: EnvelopeItem[]
  /** The request's `content-encoding`, when the SDK compressed the body. */
  encoding?: string
}

/** The fields of a Sentry event that tests usually look at; everything the SDK sent is there. */
export interface SentryEventPayload {
  event_id?: string
  level?: string
  message?: string
  environment?: string
  release?: string
  tags?: Record<string, unknown>
  extra?: Record<string, unknown>
  exception?: { values?: Array<{ type?: string; value?: string }> }
  request?: {
    url?: string
    method?: string
    headers?: Record<string, string>
    data?: unknown
    cookies?: unknown
  }
  breadcrumbs?: Array<{ message?: string; category?: string; data?: Record<string, unknown> }>
  [field: string]: unknown
}

export interface SentryServerOptions {
  /** @default 0 (a free port) */
  port?: number
  /** @default 'public' */
  publicKey?: string
  /** @default '1' */
  projectId?: string
}

export interface SentryServer {
  /** `http://<publicKey>@127.0.0.1:<port>/<projectId>`: pass as `Sentry.init({ dsn })`. */
  readonly dsn: string
  readonly port: number
  readonly envelopes: readonly Envelope[]
  /** Requests refused: wrong path, wrong key, or an unparsable envelope (with the reason). */
  readonly rejected: readonly string[]
  /** The `event` items received so far (errors and messages; not transactions or sessions). */
  events(): SentryEventPayload[]
  /** Resolves once `predicate` holds for the received events; rejects after `timeoutMs` (default 5000). */
  waitForEvents(
    predicate: (events: SentryEventPayload[]) => boolean,
    timeoutMs?: number,
  ): Promise<SentryEventPayload[]>
  /** Answer the next `times` envelopes with this status instead of 200 (e.g. 429, 500). */
  respondWith(status: number, options?: { times?: number; headers?: Record<string, string> }): void
  clear(): void
  close(): Promise<void>
}

const JSON_ITEM_TYPES = new Set([
  'event',
  'transaction',
  'session',
  'sessions',
  'client_report',
  'check_in',
  'user_report',
  'feedback',
  'log',
  'span',
  'profile',
  'statsd',
  'replay_event',
])

function readLine(body: Buffer, offset: number): { line: Buffer; next: number } {
  const end = body.indexOf(0x0a, offset)
  if (end < 0) return { line: body.subarray(offset), next: body.length }
  return { line: body.subarray(offset, end), next: end + 1 }
}

/** Parses a Sentry envelope: a JSON header line, then item header lines each followed by its payload. */
export function parseEnvelope(body: Buffer): Envelope {
  const first = readLine(body, 0)
  const envelope: Envelope = { header: JSON.parse(first.line.toString('utf8')), items: [] }
  let offset = first.next
  while (offset < body.length) {
    const headerLine = readLine(body, offset)
    offset = headerLine.next
    if (headerLine.line.length === 0) continue
    const header = JSON.parse(headerLine.line.toString('utf8')) as EnvelopeItem['header']
    let raw: Buffer
    if (typeof header.length === 'number') {
      raw = body.subarray(offset, offset + header.length)
      if (raw.length < header.length) throw new Error(`item ${header.type} is shorter than its length`)
      offset += header.length
      if (body[offset] === 0x0a) offset++
    } else {
      const payloadLine = readLine(body, offset)
      raw = payloadLine.line
      offset = payloadLine.next
    }
    const payload = JSON_ITEM_TYPES.has(header.type) ? JSON.parse(raw.toString('utf8')) : Buffer.from(raw)
    envelope.items.push({ header, payload })
  }
  return envelope
}

function decode(body: Buffer, encoding: string | undefined): Buffer {
  if (encoding === 'gzip') return gunzipSync(body)
  if (encoding === 'deflate') return inflateSync(body)
  if (encoding && encoding !== 'identity') throw new Error(`unsupported content-encoding ${encoding}`)
  return body
}

function sentryKeyOf(request: IncomingMessage, url: URL): string | undefined {
  const fromQuery = url.searchParams.get('sentry_key')
  if (fromQuery) return fromQuery
  const auth = String(request.headers['x-sentry-auth'] ?? '')
  return /sentry_key=([^,\s]+)/.exec(auth)?.[1]
}

/**
 * A Sentry ingestion endpoint on 127.0.0.1 for the real Sentry SDKs: accepts `POST /api/<project>/envelope/`,
 * checks the public key, decodes gzip / deflate bodies, and keeps every parsed envelope.
 */
export async function startSentryServer(options: SentryServerOptions = {}): Promise<SentryServer> {
  const publicKey = options.publicKey ?? 'public'
  const projectId = options.projectId ?? '1'
  const envelopes: Envelope[] = []
  const rejected: string[] = []
  const waiters = new Set<() => void>()
  const overrides: Array<{ status: number; remaining: number; headers: Record<string, string> }> = []

  const events = () =>
    envelopes.flatMap((e) =>
      e.items.filter((i) => i.header.type === 'event').map((i) => i.payload as SentryEventPayload),
    )

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('error', () => response.destroy())
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1')
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        response.writeHead(status, Object.assign({ 'content-type': 'application/json' }, CORS, headers))
        response.end(JSON.stringify(body))
      }
      // Browser SDKs send envelopes cross-origin: answer the preflight as Sentry's ingest does.
      if (request.method === 'OPTIONS') {
        response.writeHead(204, CORS).end()
        return
      }
      if (request.method !== 'POST' || url.pathname !== `/api/${projectId}/envelope/`) {
        rejected.push(`${request.method} ${url.pathname}: not an envelope endpoint`)
        return reply(404, { detail: 'not found' })
      }
      if (sentryKeyOf(request, url) !== publicKey) {
        rejected.push(`${url.pathname}: wrong or missing sentry_key`)
        return reply(401, { detail: 'invalid api key' })
      }
      const override = overrides[0]
      if (override) {
        if (--override.remaining <= 0) overrides.shift()
        return reply(override.status, {}, override.headers)
      }
      const encoding = request.headers['content-encoding']
      try {
        const envelope = parseEnvelope(decode(Buffer.concat(chunks), encoding))
        if (encoding) envelope.encoding = encoding
        envelopes.push(envelope)
      } catch (error) {
        rejected.push(`${url.pathname}: ${error instanceof Error ? error.message : String(error)}`)
        return reply(400, { detail: 'invalid envelope' })
      }
      reply(200, {})
      for (const wake of waiters) wake()
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port

  return {
    dsn: `http://${publicKey}@127.0.0.1:${port}/${projectId}`,
    port,
    envelopes,
    rejected,
    events,
    waitForEvents(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const current = events()
          if (!predicate(current)) return false
          done()
          resolve(current)
          return true
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`expected events did not arrive within ${timeoutMs}ms (have ${events().length})`))
        }, timeoutMs)
        const done = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
    respondWith(status, { times = 1, headers = {} } = {}) {
      overrides.push({ status, remaining: times, headers })
    },
    clear() {
      envelopes.length = 0
      rejected.length = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
