import { hostileValue, leaks, plantedValue, secretInText, textAround } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type ErrorReporter, handleApiError, type LogContext, type LogDestination } from '../src/index.js'
import { createLogger, withContext } from '../src/node.js'

const runs = (numRuns: number) => ({ seed: 4242, numRuns })

function capture() {
  const raw: string[] = []
  const destination: LogDestination = { write: (line) => raw.push(line) }
  return { raw, logger: createLogger({ destinations: [destination], service: 'svc' }) }
}

describe('logger: secrets never reach a line', () => {
  it('whether planted in context, request context, child bindings, an error or the message', () => {
    fc.assert(
      fc.property(plantedValue(), fc.integer({ min: 0, max: 4 }), (planted, where) => {
        const { raw, logger } = capture()
        const value = planted.value
        switch (where) {
          case 0:
            logger.info('with context', { payload: value } as LogContext)
            break
          case 1:
            withContext({ payload: value } as LogContext, () => logger.warn('in request'))
            break
          case 2:
            logger.child({ payload: value } as LogContext).info('child line')
            break
          case 3:
            logger.error('failed', Object.assign(new Error('wrapper'), { payload: value }))
            break
          default:
            logger.error('failed', value)
        }
        expect(raw).toHaveLength(1)
        expect(leaks(raw[0]!, planted.secret), `${planted.kind} at ${where}: ${raw[0]}`).toBe(false)
      }),
      runs(800),
    )
  })

  it('in messages and error messages, any casing and position', () => {
    fc.assert(
      fc.property(textAround(secretInText()), (planted) => {
        const { raw, logger } = capture()
        logger.info(planted.text)
        logger.error('boom', new Error(planted.text))
        for (const line of raw) expect(leaks(line, planted.secret), `${planted.kind}: ${line}`).toBe(false)
      }),
      runs(800),
    )
  })

  it('an `err` key, an HTTP client error with its config and toJSON, and a secret 20 levels down', () => {
    class AxiosLikeError extends Error {
      config = { url: '/charge', headers: { Authorization: 'Bearer sk_live_AXIOSleak123', Accept: 'json' } }
      toJSON() {
        return { message: this.message, config: this.config }
      }
    }
    let deep: Record<string, unknown> = { password: 'deep-secret-value-1' }
    for (let i = 0; i < 20; i++) deep = { level: deep }
    const { raw, logger } = capture()
    logger.info('err key', { err: new Error('postgres://app:errpass9@db/app') })
    logger.error('axios', new AxiosLikeError('Request failed with status code 402'))
    logger.info('axios in context', { cause: new AxiosLikeError('nested') })
    logger.info('deep', deep)
    const text = raw.join('\n')
    for (const secret of ['errpass9', 'AXIOSleak123', 'deep-secret-value-1'])
      expect(text).not.toContain(secret)
    expect(JSON.parse(raw[1]!).error.config.headers).toEqual({ Authorization: '[REDACTED]', Accept: 'json' })
  })

  it('request context fields are redacted and scrubbed like any other', () => {
    const { raw, logger } = capture()
    withContext({ requestId: 'r1', authorization: 'tok-123456', callback: 'https://u:ctxpass1@h/x' }, () =>
      logger.info('inside'),
    )
    const line = JSON.parse(raw[0]!)
    expect(line).toMatchObject({ requestId: 'r1', authorization: '[REDACTED]' })
    expect(raw[0]).not.toContain('ctxpass1')
  })

  it('header pairs and raw header arrays lose their secret values', () => {
    const { raw, logger } = capture()
    logger.info('headers', {
      pairs: [
        ['authorization', 'pairsecret1'],
        ['accept', 'json'],
      ],
      rawHeaders: ['Host', 'x', 'Cookie', 'rawsecret2'],
    })
    expect(raw[0]).not.toMatch(/pairsecret1|rawsecret2/)
    expect(JSON.parse(raw[0]!).rawHeaders).toEqual(['Host', 'x', 'Cookie', '[REDACTED]'])
  })
})

describe('logger: hostile values never throw and never forge fields', () => {
  it('any value as context, child bindings, error or message', () => {
    fc.assert(
      fc.property(hostileValue(), fc.integer({ min: 0, max: 4 }), (hostile, where) => {
        const { raw, logger } = capture()
        const value = hostile.make()
        const started = performance.now()
        expect(() => {
          if (where === 0) logger.info('ctx', { value } as LogContext)
          else if (where === 1) logger.info('ctx', value as LogContext)
          else if (where === 2) logger.child(value as LogContext).info('child')
          else if (where === 3) logger.error('err', value)
          else logger.info(value as string)
        }, hostile.name).not.toThrow()
        expect(performance.now() - started, hostile.name).toBeLessThan(1000)
        for (const line of raw) expect(() => JSON.parse(line)).not.toThrow()
      }),
      runs(120),
    )
  })

  it('a null-prototype object (querystring.parse output) works as child bindings', () => {
    const { raw, logger } = capture()
    const bindings = Object.assign(Object.create(null), { user: 'a', token: 'qs-token-1' })
    logger.child(bindings).info('child')
    expect(JSON.parse(raw[0]!)).toMatchObject({ user: 'a', token: '[REDACTED]' })
  })

  it('context keys named like the logger own fields are moved aside, never duplicated', () => {
    const { raw, logger } = capture()
    logger.info('real', { level: 'DEBUG', timestamp: 'forged', message: 'forged', service: 'forged', x: 1 })
    logger.child({ level: 'forged' }).warn('child')
    for (const line of raw) {
      for (const key of ['level', 'timestamp', 'message', 'service']) {
        expect(line.split(`"${key}":`).length - 1, `${key} in ${line}`).toBe(1)
      }
    }
    expect(JSON.parse(raw[0]!)).toMatchObject({
      level: 'INFO',
      message: 'real',
      service: 'svc',
      ctx_level: 'DEBUG',
    })
    expect(JSON.parse(raw[1]!)).toMatchObject({ level: 'WARN', ctx_level: 'forged' })
  })
})

describe('handleApiError: whatever is thrown', () => {
  it('never throws, never echoes a secret, and hides the message in production', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileValue(),
          plantedValue().map((p) => ({ name: p.kind, make: () => p.value, secret: p.secret })),
        ),
        fc.boolean(),
        (thrown, production) => {
          const { raw, logger } = capture()
          const reporter: ErrorReporter = { captureException: () => 'event-1' }
          const error = thrown.make()
          let body: unknown
          expect(() => {
            body = handleApiError(
              error,
              { route: '/api/x', requestId: 'r1' },
              {
                reporter,
                logger,
                environment: production ? 'production' : 'development',
              },
            )
          }, thrown.name).not.toThrow()
          const text = JSON.stringify(body)
          if (production) expect(body).toEqual({ error: 'Internal Server Error', requestId: 'r1' })
          if ('secret' in thrown && typeof thrown.secret === 'string') {
            expect(leaks(text, thrown.secret)).toBe(false)
            expect(leaks(raw.join('\n'), thrown.secret)).toBe(false)
          }
        },
      ),
      runs(300),
    )
  })
})
