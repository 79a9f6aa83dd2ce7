import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { memoryLogger, memoryMetrics, memoryReporter } from '@vivr/testkit'
import { describeErrorBodyContract } from '@vivr/testkit/contracts'
import express from 'express'
import express4 from 'express4'
import { afterAll, beforeAll, describe, expect, vi } from 'vitest'
import { errorHandler, observe, serve } from '../src/index.js'

/*
 * API error bodies through errorHandler, over real HTTP, one server per Express major for the whole suite: a
 * route fails with an Error whose message carries a planted secret (or with anything at all), and neither the
 * body — raw or escaped — nor any log line carries the secret. In development the scrubbed message is echoed;
 * in production the body never carries the message.
 */

for (const [major, expressModule] of [
  ['Express 5', express],
  ['Express 4', express4 as unknown as typeof express],
] as const) {
  describe(`${major}: errorHandler never lets a secret into a body or a log line`, () => {
    const logger = memoryLogger()
    const metrics = memoryMetrics()
    const reporter = memoryReporter()
    let server: Server
    let base = ''
    // What the next request's route fails with; requests are sequential.
    let failWith: () => unknown = () => new Error('unset')

    beforeAll(async () => {
      const app = expressModule()
      app.use(observe({ logger, metrics }))
      for (const environment of ['development', 'production'] as const) {
        const router = expressModule.Router()
        router.get('/next', (_req, _res, next) => next(failWith()))
        router.get('/throw', () => {
          throw failWith()
        })
        // Express 4 does not catch a rejected handler: there, the route hands the rejection to next().
        router.get('/async-throw', (_req, _res, next) => {
          Promise.reject(failWith()).catch(next)
        })
        router.use(errorHandler({ reporter, logger, environment }))
        app.use(`/${environment}`, router)
      }
      server = await serve(app, { port: 0, host: '127.0.0.1' })
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })

    afterAll(async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    })

    /** One failing request; resolves once its access log line and metrics are written (on 'close'). */
    async function fail(environment: string, how: string, make: () => unknown) {
      failWith = make
      logger.clear()
      metrics.clear()
      const path = how === 'async throw' ? 'async-throw' : how
      const response = await fetch(`${base}/${environment}/${path}`)
      const text = await response.text()
      await vi.waitFor(() => expect(metrics.find('http.requests')).toHaveLength(1), { interval: 2 })
      return { status: response.status, text, logs: JSON.stringify(logger.lines) }
    }

    describeErrorBodyContract({
      ways: ['next', 'throw', 'async throw'],
      fail,
    })
  })
}
