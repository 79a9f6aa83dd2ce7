// API error bodies through withObservability route handlers, behind one real HTTP server for the whole suite that
// speaks to them as Next.js does (a Web Request in, the Response streamed out).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { memoryLogger, memoryMetrics, memoryReporter } from '@vivr/testkit'
import { describeErrorBodyContract } from '@vivr/testkit/contracts'
import { afterAll, beforeAll, describe, expect, vi } from 'vitest'
import { withObservability } from '../src/index.js'

/*
 * A route handler fails with an Error whose message carries a planted secret (or with anything at all): neither
 * the body — raw or escaped — nor any log line carries the secret. In development the scrubbed message is
 * echoed; in production the body never carries the message.
 */

describe('withObservability never lets a secret into an error body or a log line', () => {
  const logger = memoryLogger()
  const metrics = memoryMetrics()
  const reporter = memoryReporter()
  let server: Server
  let base = ''
  // What the next request's handler fails with; requests are sequential.
  let failWith: () => unknown = () => new Error('unset')

  beforeAll(async () => {
    const handlers = new Map<string, (request: Request) => Promise<Response>>()
    for (const environment of ['development', 'production'] as const) {
      const options = { route: `/${environment}/[how]`, logger, metrics, reporter, environment }
      // A handler that throws before its first await, and one whose promise rejects later.
      handlers.set(
        `/${environment}/throw`,
        withObservability((): Promise<Response> => {
          throw failWith()
        }, options),
      )
      handlers.set(
        `/${environment}/reject`,
        withObservability(async () => {
          await new Promise((resolve) => setImmediate(resolve))
          throw failWith()
        }, options),
      )
    }
    server = createServer((req, res) => {
      const handler = handlers.get(new URL(req.url ?? '/', 'http://localhost').pathname)
      if (handler) void answer(handler, req, res)
      else res.writeHead(404).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  /** One failing request; resolves once its access log line and metrics are written. */
  async function fail(environment: string, how: string, make: () => unknown) {
    failWith = make
    logger.clear()
    metrics.clear()
    const response = await fetch(`${base}/${environment}/${how}`)
    const text = await response.text()
    await vi.waitFor(() => expect(metrics.find('http.requests')).toHaveLength(1), { interval: 2 })
    return { status: response.status, text, logs: JSON.stringify(logger.lines) }
  }

  describeErrorBodyContract({
    ways: ['throw', 'reject'],
    seed: 838_383,
    fail,
  })
})

/** Hands the request to a route handler as Next.js does and streams its Response back. */
async function answer(
  handler: (request: Request) => Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const left = new AbortController()
  res.on('close', () => left.abort())
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers))
    for (const item of [value ?? []].flat()) headers.append(name, item)
  const request = new Request(new URL(req.url ?? '/', 'http://localhost'), { headers, signal: left.signal })
  let response: Response
  try {
    response = await handler(request)
  } catch {
    // Next.js answers a handler that rejects past withObservability with a bare 500; so does this server.
    res.writeHead(500).end('handler rejected')
    return
  }
  res.writeHead(response.status, Object.fromEntries(response.headers))
  res.end(Buffer.from(await response.arrayBuffer()))
}
