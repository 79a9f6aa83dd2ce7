import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { HttpAdapterHarness, HttpContractRoute } from '@vivr/testkit/contracts'
import type express from 'express'
import type { RequestHandler } from 'express'
import { errorHandler, observe } from '../src/index.js'

/** The HTTP adapter contract's routes, mounted the Express way on an app observed by observe(). */
export function expressContractHarness(createApp: typeof express): HttpAdapterHarness {
  return {
    async start({ logger, metrics, reporter, routes, errorHandler: withErrorHandler }) {
      const app = createApp()
      app.use(observe({ logger, metrics }))
      for (const route of routes) app.get(route.path, handlerFor(route))
      if (withErrorHandler) app.use(errorHandler({ reporter, logger }))
      const server = await new Promise<Server>((resolve) => {
        const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
      })
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: async () => {
          server.closeAllConnections()
          await new Promise((resolve) => server.close(resolve))
        },
      }
    },
  }
}

function handlerFor({ does }: HttpContractRoute): RequestHandler {
  switch (does.kind) {
    case 'json':
      return (_req, res) => {
        res.status(does.status).json(does.body)
      }
    case 'pass':
      return (_req, _res, next) => next()
    case 'fail':
      return (_req, _res, next) => next(does.error)
    case 'stream':
      return (_req, res, next) => {
        res.setHeader('content-type', does.contentType)
        res.flushHeaders()
        let sent = 0
        // A chunk per tick; then end, fail after the headers, or hold the response open until the client leaves.
        const step = () => {
          if (sent < does.chunks.length) {
            res.write(does.chunks[sent++])
            return
          }
          clearInterval(timer)
          if (does.ending === 'end') res.end()
          else if (does.ending === 'fail') next(does.error)
        }
        const timer = setInterval(step, does.intervalMs)
        res.on('close', () => clearInterval(timer))
        step()
      }
  }
}
