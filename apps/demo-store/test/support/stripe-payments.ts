import { randomBytes } from 'node:crypto'
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { type StripeServer, startStripeServer } from '@vivr/testkit'

/**
 * TO MOVE INTO @vivr/testkit: the testkit's loopback Stripe API answers `GET /v1/balance` (what the payment check
 * calls) but not the PaymentIntents endpoints a checkout needs. This front server answers
 * `POST /v1/payment_intents` (create + confirm with Stripe's test payment methods, idempotency keys honoured) and
 * `GET /v1/payment_intents/:id` with Stripe's JSON shapes, and forwards every other request to the testkit server,
 * so its balance endpoint, key checks and injected faults stay in play.
 */
export interface StripePaymentsServer {
  /** `http://127.0.0.1:<port>`: the store's STRIPE_API_BASE. */
  readonly apiBase: string
  readonly balanceServer: StripeServer
  /** Payment intents created, in order. */
  readonly intents: readonly PaymentIntent[]
  /** Answers to POST /v1/payment_intents come this much later (a slow Stripe, for in-flight drills). */
  setDelay(ms: number): void
  close(): Promise<void>
}

export interface PaymentIntent {
  id: string
  object: 'payment_intent'
  amount: number
  currency: string
  status: 'succeeded' | 'requires_payment_method'
  payment_method: string | null
  metadata: Record<string, string>
  receipt_email: string | null
  created: number
  livemode: false
  client_secret: string
  latest_charge: string | null
}

const DECLINES: Record<string, { code: string; decline_code: string; message: string }> = {
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
}

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`

/** Stripe's form encoding (`metadata[orderId]=…`) into a flat map of bracketed keys. */
function readForm(body: string): Map<string, string> {
  return new Map(new URLSearchParams(body))
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': id('req'),
  })
  response.end(text)
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startStripePaymentsServer(): Promise<StripePaymentsServer> {
  const balanceServer = await startStripeServer()
  const intents: PaymentIntent[] = []
  const byIdempotencyKey = new Map<string, { status: number; body: unknown }>()
  const sockets = new Set<Socket>()
  let delayMs = 0

  function createIntent(form: Map<string, string>): { status: number; body: unknown } {
    const paymentMethod = form.get('payment_method') ?? null
    const metadata: Record<string, string> = {}
    for (const [key, value] of form) {
      const match = /^metadata\[(.+)\]$/.exec(key)
      if (match) metadata[match[1]!] = value
    }
    const amount = Number(form.get('amount'))
    if (!Number.isInteger(amount) || amount < 50) {
      return {
        status: 400,
        body: {
          error: {
            type: 'invalid_request_error',
            code: 'amount_too_small',
            param: 'amount',
            message: 'Amount must be at least $0.50 usd',
          },
        },
      }
    }
    const decline = paymentMethod ? DECLINES[paymentMethod] : undefined
    const intentId = id('pi')
    const intent: PaymentIntent = {
      id: intentId,
      object: 'payment_intent',
      amount,
      currency: form.get('currency') ?? 'usd',
      status: decline || form.get('confirm') !== 'true' ? 'requires_payment_method' : 'succeeded',
      payment_method: paymentMethod,
      metadata,
      receipt_email: form.get('receipt_email') ?? null,
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      client_secret: `${intentId}_secret_${randomBytes(8).toString('hex')}`,
      latest_charge: decline ? null : id('ch'),
    }
    intents.push(intent)
    if (decline) {
      return {
        status: 402,
        body: {
          error: {
            type: 'card_error',
            ...decline,
            charge: id('ch'),
            doc_url: `https://stripe.com/docs/error-codes/${decline.code}`,
            payment_intent: intent,
          },
        },
      }
    }
    return { status: 200, body: intent }
  }

  function forward(request: IncomingMessage, response: ServerResponse, body: string) {
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: balanceServer.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      },
    )
    upstream.on('error', () => request.socket.destroy())
    upstream.end(body)
  }

  const server = createServer(async (request, response) => {
    const body = await readBody(request)
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    if (!url.pathname.startsWith('/v1/payment_intents')) return forward(request, response, body)
    if (!/^Bearer sk_test_\w+$/.test(request.headers.authorization ?? '')) {
      return json(response, 401, {
        error: { type: 'invalid_request_error', message: 'Invalid API Key provided' },
      })
    }
    if (request.method === 'POST' && url.pathname === '/v1/payment_intents') {
      const key = request.headers['idempotency-key']
      const idempotencyKey = typeof key === 'string' ? key : undefined
      const answer = (idempotencyKey && byIdempotencyKey.get(idempotencyKey)) || createIntent(readForm(body))
      if (idempotencyKey) byIdempotencyKey.set(idempotencyKey, answer)
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
      return json(response, answer.status, answer.body)
    }
    const match = /^\/v1\/payment_intents\/([\w]+)$/.exec(url.pathname)
    const intent = match && request.method === 'GET' ? intents.find((i) => i.id === match[1]) : undefined
    if (intent) return json(response, 200, intent)
    return json(response, 404, {
      error: { type: 'invalid_request_error', message: `No such payment_intent: '${match?.[1] ?? ''}'` },
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    apiBase: `http://127.0.0.1:${port}`,
    balanceServer,
    intents,
    setDelay(ms) {
      delayMs = ms
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await balanceServer.close()
    },
  }
}
