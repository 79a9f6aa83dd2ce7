import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { memoryLogger, memoryMetrics, memoryReporter } from '@vivr/testkit'
import { leaks, secretInText, type ThrownCase, textAround, thrownValue } from '@vivr/testkit/hostile'
import express from 'express'
import express4 from 'express4'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { errorHandler, observe, serve } from '../src/index.js'

/*
 * API error bodies through errorHandler, over real HTTP, one server per Express major for the whole suite: a
 * route fails with an Error whose message carries a planted secret (or with anything at all), and neither the
 * body — raw or escaped — nor any log line carries the secret. In development the scrubbed message is echoed;
 * in production the body never carries the message.
 */

const runs = (numRuns: number) => ({ seed: 737_373, numRuns })
const MARKER = 'planted-message-marker'

type How = 'next' | 'throw' | 'async throw'

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
    async function fail(environment: string, how: How, make: () => unknown) {
      failWith = make
      logger.clear()
      metrics.clear()
      const path = how === 'async throw' ? 'async-throw' : how
      const response = await fetch(`${base}/${environment}/${path}`)
      const text = await response.text()
      await vi.waitFor(() => expect(metrics.find('http.requests')).toHaveLength(1), { interval: 2 })
      return { status: response.status, text, logs: JSON.stringify(logger.lines) }
    }

    const how = fc.constantFrom<How>('next', 'throw', 'async throw')

    it('development: the scrubbed message is echoed; no secret in the body or the logs', async () => {
      await fc.assert(
        fc.asyncProperty(textAround(secretInText()), how, async (planted, way) => {
          const { status, text, logs } = await fail(
            'development',
            way,
            () => new Error(`${MARKER}: ${planted.text}`),
          )
          expect(status).toBe(500)
          const body = JSON.parse(text) as { error: string; requestId: string }
          expect(body.error.startsWith(`${MARKER}: `), text).toBe(true)
          expect(leaks(text, planted.secret), `${planted.kind} in body: ${text}`).toBe(false)
          expect(leaks(logs, planted.secret), `${planted.kind} in logs: ${logs}`).toBe(false)
          expect(logs).toContain('API error')
        }),
        runs(100),
      )
    })

    it('production: the body never carries the message', async () => {
      await fc.assert(
        fc.asyncProperty(textAround(secretInText()), how, async (planted, way) => {
          const { status, text, logs } = await fail(
            'production',
            way,
            () => new Error(`${MARKER}: ${planted.text}`),
          )
          expect(status).toBe(500)
          expect(JSON.parse(text)).toEqual({ error: 'Internal Server Error', requestId: expect.any(String) })
          expect(text).not.toContain(MARKER)
          expect(leaks(logs, planted.secret), `${planted.kind} in logs: ${logs}`).toBe(false)
        }),
        runs(50),
      )
    })

    it('anything thrown (Proxies, throwing getters, 10 MB messages) answers a bounded JSON body', async () => {
      await fc.assert(
        fc.asyncProperty(
          thrownValue(),
          how,
          fc.constantFrom('development', 'production'),
          async (thrown: ThrownCase, way, environment) => {
            const { status, text, logs } = await fail(environment, way, thrown.make)
            expect(status, thrown.name).toBeGreaterThanOrEqual(400)
            expect(text.length, thrown.name).toBeLessThan(2048)
            expect(() => JSON.parse(text), `${thrown.name}: ${text}`).not.toThrow()
            if (thrown.secret !== '') {
              expect(leaks(text, thrown.secret), `${thrown.name} in body: ${text}`).toBe(false)
              expect(leaks(logs, thrown.secret), `${thrown.name} in logs`).toBe(false)
            }
          },
        ),
        runs(100),
      )
    })
  })
}
