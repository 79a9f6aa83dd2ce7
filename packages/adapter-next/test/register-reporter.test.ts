// The `reporter` option's wiring: built once in register(), then what onRequestError reports through.
// Its own file: a registration is once per process, and this one must start from none.
import { memoryLogger, memoryReporter } from '@vivr/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { getObservability, type NextErrorReporter, registerObservability } from '../src/index.js'

const REGISTRY = Symbol.for('@vivr/adapter-next/observability')
afterEach(() => Reflect.deleteProperty(globalThis, REGISTRY))

const request = { path: '/broken?token=abc', method: 'GET', headers: { accept: 'text/html' } }
const context = { routerKind: 'App Router', routePath: '/broken', routeType: 'render' }

describe('registerObservability({ reporter })', () => {
  it('builds a reporter factory once, in register(), before the logger and metrics', async () => {
    const built: string[] = []
    const reporter = memoryReporter()
    const instrumentation = registerObservability({
      reporter: async () => {
        built.push('reporter')
        return reporter
      },
      logger: () => {
        built.push('logger')
        return memoryLogger()
      },
    })
    expect(built).toEqual([])
    await Promise.all([instrumentation.register(), instrumentation.register()])
    await registerObservability({ reporter: () => memoryReporter() }).register()
    expect(built).toEqual(['reporter', 'logger'])
    expect(getObservability()?.reporter).toBe(reporter)
  })

  it("hands Next.js's request errors whole to a reporter that takes them (sink-sentry's with @sentry/nextjs)", async () => {
    const seen: unknown[][] = []
    const fallback = memoryReporter()
    const reporter: NextErrorReporter = {
      captureException: fallback.captureException,
      captureRequestError: (...args) => void seen.push(args),
    }
    const logger = memoryLogger()
    const { register, onRequestError } = registerObservability({ reporter, logger })
    await register()
    const error = new Error('Database unavailable while rendering')
    onRequestError(error, request, context)
    expect(seen).toEqual([[error, request, context]])
    expect(fallback.captured).toEqual([])
    expect(logger.find({ message: 'request error' })[0]).toMatchObject({ path: '/broken', route: '/broken' })
  })
})
