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

/**
 * A PaymentIntent as the PaymentIntents endpoints return it (the fields a checkout reads, with Stripe's names).
 */
export interface StripePaymentIntent {
  id: string
  object: 'payment_intent'
  amount: number
  amount_capturable: number
  amount_received: number
  automatic_payment_methods: { enabled: boolean; allow_redirects?: 'always' | 'never' } | null
  canceled_at: null
  cancellation_reason: null
  capture_method: 'automatic'
  client_secret: string
  confirmation_method: 'automatic'
  created: number
  currency: string
  customer: string | null
  description: string | null
  last_payment_error: StripeCardErrorBody | null
  latest_charge: string | null
  livemode: boolean
  metadata: Record<string, string>
  next_action: { type: 'use_stripe_sdk'; use_stripe_sdk: Record<string, string> } | null
  payment_method: string | null
  payment_method_types: string[]
  receipt_email: string | null
  status: 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'succeeded'
}

/** The `error` of a declined card (402), as Stripe sends it and as `last_payment_error` holds it. */
export interface StripeCardErrorBody {
  type: 'card_error'
  code: string
  decline_code: string
  message: string
  charge: string
  doc_url: string
  payment_method: { id: string; object: 'payment_method'; type: 'card' }
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
  /** Answers of the PaymentIntents endpoints come this late (see `delayPaymentIntents`). @default 0 */
  paymentIntentsDelayMs?: number
}

export interface StripeServer {
  readonly host: '127.0.0.1'
  readonly port: number
  /** Spread into the SDK's config: `new Stripe(key, { ...server.clientOptions })`. */
  readonly clientOptions: { host: string; port: number; protocol: 'http' }
  /** `http://127.0.0.1:<port>`: where an app that takes a Stripe API base URL should point. */
  readonly apiBase: string
  /**
   * Every PaymentIntent created, in order, as it stands now. An intent is listed as soon as it is created, before
   * a delayed answer leaves (so a test can act while a checkout waits on Stripe).
   */
  readonly paymentIntents: readonly StripePaymentIntent[]
  /**
   * Answer every PaymentIntents request `ms` late from now on (0: at once): a slow Stripe, for in-flight drills
   * (SIGTERM during a checkout). Other endpoints, such as the balance a health check reads, keep answering at once.
   */
  delayPaymentIntents(ms: number): void
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

interface Answer {
  status: number
  body: unknown
  headers?: Record<string, string>
}

const invalidRequest = (
  status: number,
  message: string,
  extra: { code?: string; param?: string } = {},
): Answer => ({
  status,
  body: {
    error: {
      type: 'invalid_request_error',
      ...extra,
      ...(extra.code && {
        doc_url: `https://stripe.com/docs/error-codes/${extra.code.replaceAll('_', '-')}`,
      }),
      message,
    },
  },
})

/** Stripe's test payment methods (https://docs.stripe.com/testing) that a confirmation charges successfully. */
const SUCCEEDING_PAYMENT_METHODS = new Set([
  'pm_card_visa',
  'pm_card_visa_debit',
  'pm_card_mastercard',
  'pm_card_mastercard_debit',
  'pm_card_amex',
  'pm_card_discover',
  'pm_card_us',
])

/** Stripe's declining test payment methods, with the error each confirmation gets. */
const DECLINING_PAYMENT_METHODS: Record<string, { code: string; decline_code: string; message: string }> = {
  pm_card_chargeDeclined: {
    code: 'card_declined',
    decline_code: 'generic_decline',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    code: 'card_declined',
    decline_code: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
  pm_card_chargeDeclinedLostCard: {
    code: 'card_declined',
    decline_code: 'lost_card',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedStolenCard: {
    code: 'card_declined',
    decline_code: 'stolen_card',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedExpiredCard: {
    code: 'expired_card',
    decline_code: 'expired_card',
    message: 'Your card has expired.',
  },
  pm_card_chargeDeclinedIncorrectCvc: {
    code: 'incorrect_cvc',
    decline_code: 'incorrect_cvc',
    message: "Your card's security code is incorrect.",
  },
  pm_card_chargeDeclinedProcessingError: {
    code: 'processing_error',
    decline_code: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
}

/** A confirmation with this one needs 3D Secure: the intent stops at `requires_action`. */
const AUTHENTICATION_REQUIRED = 'pm_card_authenticationRequired'

const objectId = (prefix: string) => `${prefix}_3Viv${randomBytes(10).toString('hex')}`

/** Stripe's form encoding (`metadata[orderId]=…`) as one map per bracketed prefix. */
function bracketed(form: URLSearchParams, name: string): Record<string, string> {
  const values: Record<string, string> = {}
  for (const [key, value] of form) {
    const match = /^([^[]+)\[([^\]]+)\]$/.exec(key)
    if (match?.[1] === name && match[2] !== undefined) values[match[2]] = value
  }
  return values
}

/** The parameters of a request, order-independent (an idempotency key must come back with the same ones). */
const signature = (form: URLSearchParams) =>
  [...form]
    .map(([key, value]) => `${key}=${value}`)
    .sort()
    .join('&')

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
 * A Stripe API on 127.0.0.1 for exercising the real `stripe` SDK, with Stripe's JSON, authentication, 404 and
 * error bodies (`{ error: { type, code?, message } }`) and headers (`request-id`, `stripe-version`):
 * - `GET /v1/balance` (what a payment health check reads);
 * - PaymentIntents: `POST /v1/payment_intents` (create, and confirm with Stripe's test payment methods:
 *   `pm_card_visa` succeeds, `pm_card_chargeDeclined…` are declined with a 402 card error,
 *   `pm_card_authenticationRequired` stops at `requires_action`), idempotency keys honoured as Stripe does
 *   (the same answer replayed, other parameters refused); `GET /v1/payment_intents/:id` and `GET /v1/payment_intents`;
 * - injectable faults (401, 403, 429, 500, a slow answer, a dropped connection) and a delay for PaymentIntents.
 */
export async function startStripeServer(options: StripeServerOptions = {}): Promise<StripeServer> {
  const accepted = options.apiKeys ? new Set(options.apiKeys) : undefined
  const balance = options.balance ?? DEFAULT_BALANCE
  const requests: StripeRequestRecord[] = []
  const faults: Array<{ fault: StripeFault; remaining: number }> = []
  const sockets = new Set<Socket>()
  const delays = new Set<ReturnType<typeof setTimeout>>()
  const paymentIntents: StripePaymentIntent[] = []
  /** `<api key>\n<idempotency key>` → the parameters and the answer of the first request. */
  const idempotent = new Map<string, { params: string; answer: Answer }>()
  let paymentIntentsDelayMs = validDelay(options.paymentIntentsDelayMs ?? 0)
  let port = options.port ?? 0

  function validDelay(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delay must be a number of ms ≥ 0, got ${ms}`)
    return ms
  }

  function nextFault(): StripeFault | undefined {
    const next = faults[0]
    if (!next) return undefined
    next.remaining--
    if (next.remaining <= 0) faults.shift()
    return next.fault
  }

  function later(ms: number, run: () => void) {
    const timer = setTimeout(() => {
      delays.delete(timer)
      run()
    }, ms)
    timer.unref()
    delays.add(timer)
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

  function createPaymentIntent(form: URLSearchParams, livemode: boolean): Answer {
    const rawAmount = form.get('amount')
    if (rawAmount === null || rawAmount === '')
      return invalidRequest(400, 'Missing required param: amount.', {
        code: 'parameter_missing',
        param: 'amount',
      })
    if (!/^\d+$/.test(rawAmount))
      return invalidRequest(400, `Invalid integer: ${rawAmount}`, {
        code: 'parameter_invalid_integer',
        param: 'amount',
      })
    const currency = form.get('currency')?.toLowerCase()
    if (!currency)
      return invalidRequest(400, 'Missing required param: currency.', {
        code: 'parameter_missing',
        param: 'currency',
      })
    const amount = Number(rawAmount)
    if (amount < 50)
      return invalidRequest(
        400,
        currency === 'usd'
          ? 'Amount must be at least $0.50 usd'
          : 'Amount must convert to at least 50 cents.',
        { code: 'amount_too_small', param: 'amount' },
      )
    const paymentMethod = form.get('payment_method') || null
    const decline = paymentMethod ? DECLINING_PAYMENT_METHODS[paymentMethod] : undefined
    if (
      paymentMethod &&
      (livemode ||
        !(
          decline ||
          SUCCEEDING_PAYMENT_METHODS.has(paymentMethod) ||
          paymentMethod === AUTHENTICATION_REQUIRED
        ))
    ) {
      return invalidRequest(
        400,
        `No such PaymentMethod: '${paymentMethod}'${livemode ? '; a similar object exists in test mode, but a live mode key was used to make this request.' : ''}`,
        { code: 'resource_missing', param: 'payment_method' },
      )
    }
    const confirm = form.get('confirm') === 'true'
    if (confirm && !paymentMethod)
      return invalidRequest(
        400,
        "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
        { code: 'payment_intent_unexpected_state' },
      )
    const automatic = bracketed(form, 'automatic_payment_methods')
    const id = objectId('pi')
    const intent: StripePaymentIntent = {
      id,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_received: 0,
      automatic_payment_methods:
        automatic.enabled === undefined
          ? null
          : {
              enabled: automatic.enabled === 'true',
              ...(automatic.allow_redirects === 'never' || automatic.allow_redirects === 'always'
                ? { allow_redirects: automatic.allow_redirects }
                : {}),
            },
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic',
      client_secret: `${id}_secret_${randomBytes(12).toString('hex')}`,
      confirmation_method: 'automatic',
      created: Math.floor(Date.now() / 1000),
      currency,
      customer: form.get('customer') || null,
      description: form.get('description') || null,
      last_payment_error: null,
      latest_charge: null,
      livemode,
      metadata: bracketed(form, 'metadata'),
      next_action: null,
      payment_method: paymentMethod,
      payment_method_types: ['card'],
      receipt_email: form.get('receipt_email') || null,
      status: paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    }
    paymentIntents.push(intent)
    if (!confirm || !paymentMethod) return { status: 200, body: intent }
    if (decline) {
      const error: StripeCardErrorBody = {
        type: 'card_error',
        ...decline,
        charge: objectId('ch'),
        doc_url: `https://stripe.com/docs/error-codes/${decline.code.replaceAll('_', '-')}`,
        payment_method: { id: paymentMethod, object: 'payment_method', type: 'card' },
      }
      // A declined intent waits for another payment method; the one that failed is in last_payment_error.
      Object.assign(intent, {
        status: 'requires_payment_method',
        payment_method: null,
        latest_charge: error.charge,
        last_payment_error: error,
      })
      return { status: 402, body: { error: { ...error, payment_intent: intent } } }
    }
    if (paymentMethod === AUTHENTICATION_REQUIRED) {
      Object.assign(intent, {
        status: 'requires_action',
        next_action: { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect' } },
      })
      return { status: 200, body: intent }
    }
    Object.assign(intent, { status: 'succeeded', amount_received: amount, latest_charge: objectId('ch') })
    return { status: 200, body: intent }
  }

  function paymentIntentsAnswer(
    request: IncomingMessage,
    url: URL,
    key: string,
    body: string,
  ): Answer | undefined {
    const livemode = key.includes('_live_')
    if (request.method === 'POST' && url.pathname === '/v1/payment_intents') {
      const form = new URLSearchParams(body)
      const header = request.headers['idempotency-key']
      const idempotencyKey = typeof header === 'string' && header !== '' ? header : undefined
      const saved = idempotencyKey ? idempotent.get(`${key}\n${idempotencyKey}`) : undefined
      if (saved && idempotencyKey) {
        if (saved.params !== signature(form)) {
          return {
            status: 400,
            body: {
              error: {
                type: 'idempotency_error',
                message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
              },
            },
          }
        }
        return { ...saved.answer, headers: { ...saved.answer.headers, 'idempotent-replayed': 'true' } }
      }
      const answer = createPaymentIntent(form, livemode)
      // As Stripe does: a request refused by validation saves nothing; a created intent (paid or declined) does.
      if (idempotencyKey && answer.status !== 400)
        idempotent.set(`${key}\n${idempotencyKey}`, { params: signature(form), answer })
      return answer
    }
    if (request.method !== 'GET') return undefined
    if (url.pathname === '/v1/payment_intents') {
      const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 10) || 10))
      const visible = paymentIntents.filter((intent) => intent.livemode === livemode).reverse()
      return {
        status: 200,
        body: {
          object: 'list',
          data: visible.slice(0, limit),
          has_more: visible.length > limit,
          url: '/v1/payment_intents',
        },
      }
    }
    const match = /^\/v1\/payment_intents\/([^/]+)$/.exec(url.pathname)
    if (!match?.[1]) return undefined
    const id = decodeURIComponent(match[1])
    const intent = paymentIntents.find((candidate) => candidate.id === id && candidate.livemode === livemode)
    return intent
      ? { status: 200, body: intent }
      : invalidRequest(404, `No such payment_intent: '${id}'`, { code: 'resource_missing', param: 'intent' })
  }

  function answer(
    request: IncomingMessage,
    response: ServerResponse,
    record: StripeRequestRecord,
    body: string,
    fault?: StripeErrorFault,
  ) {
    const key = bearerKey(request)
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const paymentIntentsPath =
      url.pathname === '/v1/payment_intents' || url.pathname.startsWith('/v1/payment_intents/')
    let result: Answer
    if (fault) {
      const failure = errorFor(fault, key)
      result = { status: failure.status, body: { error: failure.error }, headers: failure.headers }
    } else if (!key || !(accepted ? accepted.has(key) : WELL_FORMED_KEY.test(key))) {
      const failure = invalidKey(key)
      result = { status: failure.status, body: { error: failure.error }, headers: failure.headers }
    } else if (request.method === 'GET' && url.pathname === '/v1/balance') {
      result = { status: 200, body: { ...balance, livemode: key.includes('_live_') } }
    } else {
      result = (paymentIntentsPath && paymentIntentsAnswer(request, url, key, body)) || {
        status: 404,
        body: {
          error: {
            type: 'invalid_request_error',
            message: `Unrecognized request URL (${request.method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
          },
        },
      }
    }
    const deliver = () => {
      if (response.destroyed) return
      record.status = result.status
      send(response, result.status, result.body, result.headers)
    }
    if (paymentIntentsPath && !fault && paymentIntentsDelayMs > 0) later(paymentIntentsDelayMs, deliver)
    else deliver()
  }

  const server = createServer((request, response) => {
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
    // The whole body first (form-encoded parameters), then the answer.
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('error', () => request.socket.destroy())
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      if (typeof fault === 'object') {
        record.fault = 'slow'
        later(fault.delayMs, () => answer(request, response, record, body))
        return
      }
      if (fault) record.fault = fault
      answer(request, response, record, body, fault)
    })
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
    get apiBase() {
      return `http://127.0.0.1:${port}`
    },
    paymentIntents,
    delayPaymentIntents(ms) {
      paymentIntentsDelayMs = validDelay(ms)
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
