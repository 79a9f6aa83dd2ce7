import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { LogDestination } from '../src/index.js'
import { createLogger, fileDestination, getContext, withContext } from '../src/node.js'

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: Array<Record<string, unknown>> = []
  const destination: LogDestination = { write: (line) => lines.push(JSON.parse(line)) }
  return { lines, logger: createLogger({ destinations: [destination], ...options }) }
}

afterEach(() => vi.unstubAllEnvs())

describe('createLogger: line shape', () => {
  it("writes the guide's JSON: level, ISO timestamp, message, bindings and context", () => {
    const { lines, logger } = capture({ service: 'vivr-api', environment: 'test', version: '1.2.3' })
    logger.info('order placed', { userId: 'u-1', orderId: 'o-9', duration: 42, endpoint: '/api/orders' })
    expect(lines).toHaveLength(1)
    const [line] = lines
    expect(line).toMatchObject({
      level: 'INFO',
      message: 'order placed',
      service: 'vivr-api',
      environment: 'test',
      version: '1.2.3',
      userId: 'u-1',
      orderId: 'o-9',
      duration: 42,
      endpoint: '/api/orders',
    })
    expect(new Date(String(line?.timestamp)).toISOString()).toBe(line?.timestamp)
    expect(line).not.toHaveProperty('pid')
    expect(line).not.toHaveProperty('hostname')
  })

  it('warn and error carry their levels; error serializes name, message, stack, code and cause', () => {
    const { lines, logger } = capture()
    logger.warn('slow')
    const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    logger.error('payment failed', new Error('Stripe API error', { cause }), { orderId: 'o-1' })
    expect(lines[0]).toMatchObject({ level: 'WARN', message: 'slow' })
    expect(lines[1]).toMatchObject({
      level: 'ERROR',
      message: 'payment failed',
      orderId: 'o-1',
      error: {
        name: 'Error',
        message: 'Stripe API error',
        stack: expect.stringContaining('Stripe API error'),
        cause: { name: 'Error', message: 'socket hang up', code: 'ECONNRESET' },
      },
    })
  })

  it('serializes non-Error values, circular and huge context without throwing', () => {
    const { lines, logger } = capture()
    const circular: Record<string, unknown> = { id: 1 }
    circular.self = circular
    logger.error('odd throw', 'just a string')
    logger.error('odd throw', { weird: true })
    logger.info('circular', { circular })
    logger.info('huge', { blob: 'x'.repeat(1_000_000), big: 10n as unknown as number })
    expect(lines[0]?.error).toEqual({ name: 'string', message: 'just a string' })
    expect(lines[1]?.error).toEqual({ name: 'object', message: '{"weird":true}', weird: true })
    expect(lines[2]?.circular).toEqual({ id: 1, self: '[Circular]' })
    // Strings are capped (16 KiB) so one huge value cannot cost more than that to scrub and ship.
    expect(String(lines[3]?.blob)).toHaveLength(16_384)
    expect(lines[3]?.big).toBe('10')
  })
})

describe('createLogger: levels', () => {
  it('defaults to info: debug lines are dropped', () => {
    const { lines, logger } = capture()
    logger.debug('query')
    logger.info('shown')
    expect(lines.map((l) => l.message)).toEqual(['shown'])
    expect(logger.isLevelEnabled('debug')).toBe(false)
  })

  it('LOG_QUERIES=true (the guide switch) turns debug on', () => {
    vi.stubEnv('LOG_QUERIES', 'true')
    const { lines, logger } = capture()
    logger.debug('SELECT 1')
    expect(lines[0]).toMatchObject({ level: 'DEBUG', message: 'SELECT 1' })
  })

  it('LOG_LEVEL sets the level, and options.level wins over it', () => {
    vi.stubEnv('LOG_LEVEL', 'warn')
    const fromEnv = capture()
    fromEnv.logger.info('hidden')
    fromEnv.logger.warn('shown')
    expect(fromEnv.lines.map((l) => l.message)).toEqual(['shown'])
    const explicit = capture({ level: 'debug' })
    explicit.logger.debug('shown too')
    expect(explicit.lines).toHaveLength(1)
  })

  it('rejects an unknown level naming the option', () => {
    expect(() => createLogger({ level: 'verbose' as never })).toThrow(/level.*"verbose"/)
  })
})

describe('createLogger: redaction', () => {
  it('redacts sensitive fields at any depth and card numbers, leaving the caller object untouched', () => {
    const { lines, logger } = capture()
    const context = {
      userId: 'u-1',
      password: 'hunter2',
      headers: { Authorization: 'Bearer abc.def', cookie: 'sid=1', 'set-cookie': 'a=b', accept: 'json' },
      payment: { cardNumber: '4242 4242 4242 4242', note: '4000056655665556', amount: 1999 },
      items: [{ apiKey: 'k-1' }, { sku: 'A' }],
      stripe_secret: 'sk_live_x',
      refreshToken: 'r',
    }
    logger.info('checkout', context)
    const line = lines[0] ?? {}
    expect(line.password).toBe('[REDACTED]')
    expect(line.headers).toEqual({
      Authorization: '[REDACTED]',
      cookie: '[REDACTED]',
      'set-cookie': '[REDACTED]',
      accept: 'json',
    })
    expect(line.payment).toEqual({ cardNumber: '[REDACTED]', note: '****5556', amount: 1999 })
    expect(line.items).toEqual([{ apiKey: '[REDACTED]' }, { sku: 'A' }])
    expect(line.stripe_secret).toBe('[REDACTED]')
    expect(line.refreshToken).toBe('[REDACTED]')
    expect(line.userId).toBe('u-1')
    expect(context.password).toBe('hunter2')
    expect(context.headers.Authorization).toBe('Bearer abc.def')
  })

  it('scrubs credentials out of messages, error messages and stacks', () => {
    const { lines, logger } = capture()
    logger.info('connecting to postgres://app:hunter2@db:5432/shop')
    logger.error('failed', new Error('auth failed for redis://:s3cret@cache:6379'))
    const text = JSON.stringify(lines)
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('s3cret')
    expect(lines[0]?.message).toBe('connecting to postgres://***@db:5432/shop')
  })

  it('is configurable: extra keys, or off', () => {
    const extra = capture({ redact: { keys: ['ssn'] } })
    extra.logger.info('x', { ssn: '123', password: 'kept when not listed' })
    expect(extra.lines[0]).toMatchObject({ ssn: '[REDACTED]', password: 'kept when not listed' })
    const off = capture({ redact: false })
    off.logger.info('x', { password: 'visible' })
    expect(off.lines[0]?.password).toBe('visible')
  })
})

describe('request context', () => {
  it('every line inside withContext carries its fields, nested contexts merge, and it ends with the call', async () => {
    const { lines, logger } = capture()
    await withContext({ requestId: 'req-1', userId: 'u-1' }, async () => {
      await new Promise((r) => setTimeout(r, 5))
      logger.info('inside')
      await withContext({ orderId: 'o-7' }, async () => {
        expect(getContext()).toEqual({ requestId: 'req-1', userId: 'u-1', orderId: 'o-7' })
        logger.child({ component: 'payments' }).warn('nested')
      })
    })
    logger.info('outside')
    expect(lines[0]).toMatchObject({ message: 'inside', requestId: 'req-1', userId: 'u-1' })
    expect(lines[1]).toMatchObject({
      message: 'nested',
      requestId: 'req-1',
      orderId: 'o-7',
      component: 'payments',
    })
    expect(lines[2]).not.toHaveProperty('requestId')
    expect(getContext()).toBeUndefined()
  })

  it('explicit context fields win over the request context, which is not mutated', () => {
    const { lines, logger } = capture()
    withContext({ requestId: 'req-1' }, () => {
      logger.info('a', { requestId: 'override', extra: 1 })
      logger.info('b')
      expect(getContext()).toEqual({ requestId: 'req-1' })
    })
    expect(lines[0]).toMatchObject({ requestId: 'override', extra: 1 })
    expect(lines[1]).toMatchObject({ requestId: 'req-1' })
    expect(lines[1]).not.toHaveProperty('extra')
  })
})

describe('destinations', () => {
  it('fans out each line to every destination; one that throws does not stop the others', async () => {
    const a: string[] = []
    const b: string[] = []
    let flushed = 0
    const logger = createLogger({
      destinations: [
        { write: (l) => a.push(l), flush: async () => void flushed++ },
        {
          write: () => {
            throw new Error('broken destination')
          },
        },
        { write: (l) => b.push(l), flush: async () => void flushed++ },
      ],
    })
    logger.info('one')
    await logger.flush()
    expect(a).toHaveLength(1)
    expect(b).toEqual(a)
    expect(a[0]?.endsWith('\n')).toBe(false)
    expect(flushed).toBe(2)
  })

  it('fileDestination writes newline-delimited JSON and flushes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'vivr-log-')), 'app.log')
    const destination = fileDestination(path)
    const logger = createLogger({ destinations: [destination] })
    logger.info('first')
    logger.info('second')
    await logger.flush()
    await destination.close?.()
    const written = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(written.map((l) => l.message)).toEqual(['first', 'second'])
  })

  it('rejects destinations that cannot write', () => {
    expect(() => createLogger({ destinations: [{} as never] })).toThrow(/destinations/)
  })
})
