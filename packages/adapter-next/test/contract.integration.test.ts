// withObservability's route handlers behind a real HTTP server that speaks to them as Next.js does: a Web Request
// whose signal aborts when the client leaves, the Response body streamed out and cancelled on the same event.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRouteMatcher } from '@vivr/core'
import { describeHttpAdapterContract, type HttpContractRoute } from '@vivr/testkit/contracts'
import { withObservability } from '../src/index.js'

type RouteHandler = (request: Request) => Promise<Response>

/** `/items/:id` → `/items/[id]`: the contract's neutral paths as Next.js spells route templates. */
const nextTemplate = (path: string) => path.replace(/:(\w+)/g, '[$1]')

describeHttpAdapterContract('adapter-next withObservability', {
  routeTemplate: nextTemplate,
  // A route handler answers or throws; it cannot hand the request on.
  fallThrough: false,
  async start({ logger, metrics, reporter, routes }) {
    const handlers = new Map<string, RouteHandler>()
    for (const route of routes) {
      const options = { route: nextTemplate(route.path), logger, metrics, reporter }
      handlers.set(route.path, withObservability(handlerFor(route), options))
    }
    const match = createRouteMatcher([...handlers.keys()])
    const server = createServer((req, res) => {
      const handler = handlers.get(match(new URL(req.url ?? '/', 'http://localhost').pathname) ?? '')
      if (handler) void answer(handler, req, res)
      else res.writeHead(404).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: async () => {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
      },
    }
  },
})

function handlerFor({ does }: HttpContractRoute): () => Promise<Response> {
  switch (does.kind) {
    case 'json':
      return async () => Response.json(does.body, { status: does.status })
    case 'pass':
      throw new Error('route handlers cannot hand a request on')
    case 'fail':
      return async () => {
        throw does.error
      }
    case 'stream':
      return async () => {
        const encoder = new TextEncoder()
        let timer: NodeJS.Timeout | undefined
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            let sent = 0
            // A chunk per tick; then close, fail after the headers, or hold until the reader cancels.
            const step = () => {
              if (sent < does.chunks.length) {
                controller.enqueue(encoder.encode(does.chunks[sent++]))
                return
              }
              clearInterval(timer)
              if (does.ending === 'end') controller.close()
              else if (does.ending === 'fail') controller.error(does.error)
            }
            timer = setInterval(step, does.intervalMs)
            step()
          },
          cancel() {
            clearInterval(timer)
          },
        })
        return new Response(body, { headers: { 'content-type': does.contentType } })
      }
  }
}

async function answer(handler: RouteHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const left = new AbortController()
  res.on('close', () => left.abort())
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers))
    for (const item of [value ?? []].flat()) headers.append(name, item)
  const request = new Request(new URL(req.url ?? '/', 'http://localhost'), { headers, signal: left.signal })
  const response = await handler(request)
  res.writeHead(response.status, Object.fromEntries(response.headers))
  res.flushHeaders()
  if (!response.body) return void res.end()
  const reader = response.body.getReader()
  left.signal.addEventListener('abort', () => reader.cancel().catch(() => {}))
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) res.write(read.value)
    res.end()
  } catch {
    // The body failed after the headers went out: cut the response, so the client cannot take it for whole.
    res.destroy()
  }
}
