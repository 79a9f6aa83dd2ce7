import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * A fault the server serves instead of a normal answer, each with the status and body Stripe really sends:
 * - `unauthorized`: 401 `Invalid API Key provided: sk_test_***…1234` (the SDK throws StripeAuthenticationError)
 * - `permission-denied`: 403 for a restricted key without the permission (StripePermissionError)
 * - `rate-limited`: 429 `code: 'rate_limit'` (StripeRateLimitError)
 * - `server-error`: 500 `type: 'api_error'` (StripeAPIError; the SDK retries it by default)
 * - `connection-reset`: the socket is destroyed without an answer (StripeConnectionError)
 * - `{ kind: 'slow', delayMs }`: the answer comes `delayMs` late (a client timeout becomes StripeConnectionError)
 */
export type StripeFault = StripeErrorFault | 'connection-reset' | { kind: 'slow'; delayMs: number }

/** The faults answered with a Stripe error body. */
export type StripeErrorFault = 'unauthorized' | 'permission-denied' | 'rate-limited' | 'server-error'

export interface StripeBalanceAmount {
  amount: number
  currency: string
  source_types?: Record<string, number>
}

/** The Balance object as `GET /v1/balance` returns it. */
export interface StripeBalance {
  object: 'balance'
  available: StripeBalanceAmount[]
  connect_reserved: StripeBalanceAmount[]
  livemode: boolean
  pending: StripeBalanceAmount[]
}

export interface StripeRequestRecord {
  method: string
  /** Path with query, e.g. `/v1/balance`. */
  path: string
  status: number
  /** The fault served, if any. */
  fault?: string
  /** The key the request authenticated with, masked as Stripe masks it (`sk_test_****1234`). */
  apiKey?: string
  /** The `Stripe-Version` header the client sent. */
  stripeVersion?: string
}

export interface StripeServerOptions {
  /** @default 0 (a free port) */
  port?: number
  /**
   * Keys the server accepts; any other gets Stripe's 401. @default any well-formed test or live secret or
   * restricted key (`sk_test_…`, `sk_live_…`, `rk_test_…`, `rk_live_…`)
   */
  apiKeys?: string[]
  /** What `GET /v1/balance` answers. @default an empty USD balance in test mode */
  balance?: StripeBalance
}

export interface StripeServer {
  readonly host: '127.0.0.1'
  readonly port: number
  /** Spread into the SDK's config: `new Stripe(key, { ...server.clientOptions })`. */
  readonly clientOptions: { host: string; port: number; protocol: 'http' }
  /** Every request, in arrival order, with the status it was answered with (0 for a dropped connection). */
  readonly requests: readonly StripeRequestRecord[]
  /** Requests to one path (default `/v1/balance`). */
  requestCount(path?: string): number
  /** Serve `fault` to the next `times` requests (default: every request until `clearFaults()`). */
  inject(fault: StripeFault, options?: { times?: number }): void
  clearFaults(): void
  /** Stripe down: stop listening and drop open connections (clients see connection refused / reset). */
  stop(): Promise<void>
  /** Stripe back, on the same port. */
  start(): Promise<void>
  close(): Promise<void>
}

const DEFAULT_BALANCE: StripeBalance = {
  object: 'balance',
  available: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
  connect_reserved: [{ amount: 0, currency: 'usd' }],
  livemode: false,
  pending: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
}

const WELL_FORMED_KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/

/** How Stripe shows a key back: its prefix and last four characters. */
export function maskStripeKey(key: string): string {
  const prefix = /^(sk|rk|pk)_(test|live)_/.exec(key)?.[0] ?? ''
  return `${prefix}${'*'.repeat(Math.max(4, key.length - prefix.length - 4))}${key.slice(-4)}`
}

interface ErrorBody {
  status: number
  error: { type: string; message: string; code?: string }
  headers?: Record<string, string>
}

const NO_KEY_MESSAGE =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."

function invalidKey(key: string | undefined): ErrorBody {
  return {
    status: 401,
    error: {
      type: 'invalid_request_error',
      message: key ? `Invalid API Key provided: ${maskStripeKey(key)}` : NO_KEY_MESSAGE,
    },
    headers: { 'www-authenticate': 'Bearer realm="Stripe"' },
  }
}

function errorFor(fault: StripeErrorFault, key: string | undefined): ErrorBody {
  switch (fault) {
    case 'unauthorized':
      return invalidKey(key ?? 'sk_test_00000000')
    case 'permission-denied':
      return {
        status: 403,
        error: {
          type: 'invalid_request_error',
          message: `The provided key '${maskStripeKey(key ?? 'rk_test_00000000')}' does not have the required permissions for this endpoint on account 'acct_1VivrLoopback00'. Having the 'rak_balance_read' permission would allow this request to continue.`,
        },
      }
    case 'rate-limited':
      return {
        status: 429,
        error: {
          type: 'invalid_request_error',
          code: 'rate_limit',
          message:
            'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
        },
      }
    case 'server-error':
      return {
        status: 500,
        error: { type: 'api_error', message: 'An unknown error occurred' },
      }
  }
}

function bearerKey(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization
  if (!header) return undefined
  const bearer = /^Bearer\s+(\S+)$/i.exec(header)
  if (bearer) return bearer[1]
  const basic = /^Basic\s+(\S+)$/i.exec(header)
  if (basic)
    return (
      Buffer.from(basic[1] ?? '', 'base64')
        .toString()
        .split(':')[0] || undefined
    )
  return undefined
}

/**
 * A Stripe API on 127.0.0.1 for exercising the real `stripe` SDK: `GET /v1/balance` with Stripe's JSON, its
 * authentication, 404 and error bodies (`{ error: { type, code?, message } }`) and headers (`request-id`,
 * `stripe-version`), plus injectable faults (401, 403, 429, 500, a slow answer, a dropped connection).
 */
export async function startStripeServer(options: StripeServerOptions = {}): Promise<StripeServer> {
  const accepted = options.apiKeys ? new Set(options.apiKeys) : undefined
  const balance = options.balance ?? DEFAULT_BALANCE
  const requests: StripeRequestRecord[] = []
  const faults: Array<{ fault: StripeFault; remaining: number }> = []
  const sockets = new Set<Socket>()
  const delays = new Set<ReturnType<typeof setTimeout>>()
  let port = options.port ?? 0

  function nextFault(): StripeFault | undefined {
    const next = faults[0]
    if (!next) return undefined
    next.remaining--
    if (next.remaining <= 0) faults.shift()
    return next.fault
  }

  function send(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    if (response.destroyed) return
    const json = JSON.stringify(body, null, 2)
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(json),
      'request-id': `req_${randomBytes(7).toString('hex')}`,
      'stripe-version': String(response.req.headers['stripe-version'] ?? '2026-10-28.endive'),
      'cache-control': 'no-cache, no-store',
      ...headers,
    })
    response.end(json)
  }

  function answer(
    request: IncomingMessage,
    response: ServerResponse,
    record: StripeRequestRecord,
    fault?: StripeErrorFault,
  ) {
    const key = bearerKey(request)
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    let status: number
    if (fault) {
      const failure = errorFor(fault, key)
      status = failure.status
      send(response, status, { error: failure.error }, failure.headers)
    } else if (!key || !(accepted ? accepted.has(key) : WELL_FORMED_KEY.test(key))) {
      const failure = invalidKey(key)
      status = failure.status
      send(response, status, { error: failure.error }, failure.headers)
    } else if (request.method === 'GET' && url.pathname === '/v1/balance') {
      status = 200
      send(response, status, { ...balance, livemode: key.includes('_live_') })
    } else {
      status = 404
      send(response, status, {
        error: {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${request.method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        },
      })
    }
    record.status = status
  }

  const server = createServer((request, response) => {
    // Drain the body (the SDK sends none for GET, but a user's POST must not stall the socket).
    request.resume()
    const key = bearerKey(request)
    const record: StripeRequestRecord = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      status: 0,
    }
    if (key) record.apiKey = maskStripeKey(key)
    const version = request.headers['stripe-version']
    if (typeof version === 'string') record.stripeVersion = version
    requests.push(record)

    const fault = nextFault()
    if (fault === 'connection-reset') {
      record.fault = fault
      request.socket.destroy()
      return
    }
    if (typeof fault === 'object') {
      record.fault = 'slow'
      const timer = setTimeout(() => {
        delays.delete(timer)
        answer(request, response, record)
      }, fault.delayMs)
      timer.unref()
      delays.add(timer)
      return
    }
    if (fault) record.fault = fault
    answer(request, response, record, fault)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  async function start() {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('Stripe server has no TCP address')
    port = address.port
  }

  async function stop() {
    for (const timer of delays) clearTimeout(timer)
    delays.clear()
    if (!server.listening) return
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await closed
  }

  await start()
  return {
    host: '127.0.0.1',
    get port() {
      return port
    },
    get clientOptions() {
      return { host: '127.0.0.1', port, protocol: 'http' as const }
    },
    requests,
    requestCount: (path = '/v1/balance') =>
      requests.filter((r) => new URL(r.path, 'http://127.0.0.1').pathname === path).length,
    inject(fault, { times = Number.POSITIVE_INFINITY } = {}) {
      faults.push({ fault, remaining: times })
    },
    clearFaults() {
      faults.length = 0
    },
    stop,
    start,
    close: stop,
  }
}
