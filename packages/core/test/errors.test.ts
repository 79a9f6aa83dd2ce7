import { memoryLogger, memoryReporter } from '@vivr/testkit'
import { describe, expect, it } from 'vitest'
import { type ErrorReporter, handleApiError, isCriticalError } from '../src/index.js'

describe('handleApiError', () => {
  it("reports with the guide's tags, extra and level, logs the event id, and answers with the request id", () => {
    const reporter = memoryReporter()
    const logger = memoryLogger()
    const body = handleApiError(
      new Error('Database connection lost'),
      { route: '/api/orders', userId: 'u-1', requestId: 'req-1' },
      { reporter, logger, environment: 'development' },
    )
    expect(body).toEqual({ error: 'Database connection lost', requestId: 'req-1' })
    expect(reporter.captured[0]?.context).toEqual({
      tags: { type: 'api_error', route: '/api/orders' },
      extra: { userId: 'u-1', requestId: 'req-1' },
      level: 'error',
    })
    const line = logger.find({ level: 'ERROR' })[0]
    expect(line).toMatchObject({
      route: '/api/orders',
      userId: 'u-1',
      requestId: 'req-1',
      eventId: 'event-1',
    })
    expect(line?.error?.message).toBe('Database connection lost')
  })

  it('uses level info for other errors, and the level rule can be overridden', () => {
    const reporter = memoryReporter()
    handleApiError(new Error('validation failed'), { route: '/r' }, { reporter, logger: memoryLogger() })
    handleApiError(
      new Error('x'),
      { route: '/r' },
      { reporter, logger: memoryLogger(), levelFor: () => 'fatal' },
    )
    expect(reporter.captured.map((c) => c.context.level)).toEqual(['info', 'fatal'])
  })

  it('answers with the event id when the request has no id of its own', () => {
    const body = handleApiError(
      new Error('x'),
      { route: '/api/x' },
      { reporter: memoryReporter(), logger: memoryLogger(), environment: 'production' },
    )
    expect(body).toEqual({ error: 'Internal Server Error', requestId: 'event-1' })
  })

  it('never echoes the message in production and answers with the request id without an event id', () => {
    const silent: ErrorReporter = { captureException: () => undefined }
    const body = handleApiError(
      new Error('internal detail: table users missing'),
      { route: '/api/x', requestId: 'req-9' },
      { reporter: silent, logger: memoryLogger(), environment: 'production' },
    )
    expect(body).toEqual({ error: 'Internal Server Error', requestId: 'req-9' })
  })

  it('wraps non-Error throws, scrubs secrets, and survives a reporter that throws', () => {
    const broken: ErrorReporter = {
      captureException: () => {
        throw new Error('reporter down')
      },
    }
    const logger = memoryLogger()
    const body = handleApiError(
      'token=abc123 rejected',
      { route: '/r' },
      { reporter: broken, logger, environment: 'test' },
    )
    expect(body.error).toBe('token=*** rejected')
    expect(logger.lines).toHaveLength(1)
  })
})

describe('isCriticalError', () => {
  it.each([
    [new Error('Database timeout'), true],
    [new Error('payment declined'), true],
    [new Error('AUTH expired'), true],
    [new Error('security violation'), true],
    [new Error('not found'), false],
    ['database as a string', false],
  ])('%s → %s', (error, expected) => {
    expect(isCriticalError(error)).toBe(expected)
  })
})
