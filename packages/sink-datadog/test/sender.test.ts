import type { Clock } from '@vivr/core'
import { memoryLogger, parseDogStatsDLine } from '@vivr/testkit'
import { StatsD } from 'hot-shots'
import { describe, expect, it } from 'vitest'
import { createSender, SETTLE_BOUND_MS, type SenderOptions } from '../src/sender.js'

type Done = (error?: Error) => void

/** A hot-shots client of "yours": records what the sender calls, and lets the test fail it. */
function stubClient(behaviour: { throwOnSend?: unknown; flush?: (done: Done) => void } = {}) {
  const calls: unknown[][] = []
  let errorHandler: ((error: unknown) => void) | undefined
  const send =
    (kind: string) =>
    (...args: unknown[]) => {
      calls.push([kind, ...args])
      if (behaviour.throwOnSend !== undefined) throw behaviour.throwOnSend
    }
  const child = {
    increment: send('c'),
    gauge: send('g'),
    timing: send('ms'),
    histogram: send('h'),
    check: send('_sc'),
    flush: (done: Done) => {
      calls.push(['flush'])
      ;(behaviour.flush ?? ((d: Done) => d()))(done)
    },
    close: (done: Done) => {
      calls.push(['close'])
      done()
    },
  }
  const parent = {
    childClient(options: { errorHandler: (error: unknown) => void }) {
      calls.push(['childClient', options])
      errorHandler = options.errorHandler
      return child
    },
  }
  return { client: parent as unknown as StatsD, calls, fail: (error: unknown) => errorHandler?.(error) }
}

function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0
  let timers: Array<{ at: number; run: () => void; id: number }> = []
  let ids = 0
  return {
    now: () => now,
    setTimeout(run, delayMs) {
      timers.push({ at: now + delayMs, run, id: ++ids })
      return ids
    },
    clearTimeout(id) {
      timers = timers.filter((timer) => timer.id !== id)
    },
    advance(ms) {
      now += ms
      const due = timers.filter((timer) => timer.at <= now)
      timers = timers.filter((timer) => timer.at > now)
      for (const timer of due) timer.run()
    },
  }
}

function senderWith(client: StatsD, overrides: Partial<SenderOptions> = {}) {
  const logger = memoryLogger()
  const errors: Error[] = []
  const clock = manualClock()
  const sender = createSender({
    transport: { protocol: 'udp', host: '127.0.0.1', port: 8125 },
    prefix: 'vivr.',
    globalTags: { env: 'test' },
    maxDatagramBytes: 1432,
    flushIntervalMs: 1000,
    client,
    errorHandler: (error) => errors.push(error),
    logger,
    warnIntervalMs: 60_000,
    clock,
    ...overrides,
  })
  return { sender, logger, errors, clock }
}

describe('the sender over your own hot-shots client', () => {
  it('writes through a child client with the prefix and global tags, and counts what it handed over', () => {
    const stub = stubClient()
    const { sender } = senderWith(stub.client)
    sender.metric('c', 'orders.created', 2, { channel: 'web' })
    sender.metric('ms', 'api.response_time', 12, undefined)
    sender.check('health.db', 2, { message: 'down', hostname: undefined }, { check: 'db' })
    expect(stub.calls).toEqual([
      ['childClient', expect.objectContaining({ prefix: 'vivr.', globalTags: { env: 'test' } })],
      ['c', 'orders.created', 2, { channel: 'web' }],
      ['ms', 'api.response_time', 12, undefined],
      ['_sc', 'health.db', 2, { message: 'down', hostname: undefined }, { check: 'db' }],
    ])
    expect(sender.stats()).toEqual({ sent: 3, sentValues: 2, sendErrors: 0, dnsQueries: 0 })
  })

  it('a send that throws is counted, logged once, and handed to errorHandler as an Error', () => {
    const stub = stubClient({ throwOnSend: 'socket gone' })
    const { sender, logger, errors } = senderWith(stub.client)
    expect(() => {
      sender.metric('g', 'queue.depth', 1, undefined)
      sender.check('health.db', 0, { message: undefined, hostname: undefined }, undefined)
    }).not.toThrow()
    expect(sender.stats()).toMatchObject({ sent: 0, sendErrors: 2 })
    expect(errors.map((error) => [error instanceof Error, error.message])).toEqual([
      [true, 'socket gone'],
      [true, 'socket gone'],
    ])
    expect(logger.find({ level: 'WARN', message: 'send failed' })).toHaveLength(1)
  })

  it("socket errors reported by hot-shots are counted; its aggregation's context limit is only a warning", () => {
    const stub = stubClient()
    const { sender, logger, errors } = senderWith(stub.client)
    stub.fail(Object.assign(new Error('send ECONNREFUSED'), { code: 'ECONNREFUSED' }))
    stub.fail(new Error('aggregation context limit reached'))
    expect(sender.stats().sendErrors).toBe(1)
    expect(errors).toHaveLength(1)
    expect(logger.find({ level: 'WARN', message: 'too many distinct metric contexts' })).toHaveLength(1)
  })

  it('a throwing errorHandler is contained', () => {
    const stub = stubClient({ throwOnSend: new Error('x') })
    const { sender } = senderWith(stub.client, {
      errorHandler: () => {
        throw new Error('handler bug')
      },
    })
    expect(() => sender.metric('c', 'x', 1, undefined)).not.toThrow()
    expect(sender.stats().sendErrors).toBe(1)
  })

  it('flush() resolves within SETTLE_BOUND_MS when the socket never answers', async () => {
    const stub = stubClient({ flush: () => {} })
    const { sender, clock } = senderWith(stub.client)
    let settled = false
    const flushing = sender.flush().then(() => {
      settled = true
    })
    clock.advance(SETTLE_BOUND_MS - 1)
    await Promise.resolve()
    expect(settled).toBe(false)
    clock.advance(1)
    await flushing
    expect(settled).toBe(true)
  })

  it('a flush that fails is counted; close() flushes your client, leaves it open, and writes the summary', async () => {
    const stub = stubClient({ flush: (done) => done(new Error('flush failed')) })
    const { sender, logger } = senderWith(stub.client)
    await sender.flush()
    await sender.flush()
    await sender.close()
    expect(sender.stats().sendErrors).toBe(3)
    expect(stub.calls.map(([kind]) => kind)).not.toContain('close')
    const warnings = logger.find({ level: 'WARN', message: 'send failed' })
    expect(warnings).toHaveLength(2)
    expect(warnings[1]).toMatchObject({ reason: 'flush failed', suppressed: 2, intervalMs: 60_000 })
  })
})

describe('the sender: samples as multi-value lines', () => {
  /** A hot-shots client in mock mode: lines go to the child's mockBuffer instead of a socket. */
  function mockClient(globalTags: Record<string, string>) {
    return new StatsD({ mock: true, prefix: 'shop', globalTags, includeDataDogTags: false, datadog: false })
  }

  it("packs values through hot-shots' send(): its prefix, tags and name sanitizing, within maxDatagramBytes", () => {
    const { sender } = senderWith(mockClient({ team: 'web' }), { maxDatagramBytes: 512 })
    const values = Array.from({ length: 300 }, (_, i) => i * 1.5)
    expect(sender.samples('h', 'basket:value|x', values, { currency: 'EUR' })).toBe(0)
    const lines = sender.client.mockBuffer ?? []
    expect(lines.length).toBeGreaterThan(1)
    for (const line of lines) {
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(512)
      expect(parseDogStatsDLine(line)).toMatchObject({
        name: 'vivr.shop.basket_value_x',
        type: 'h',
        tags: ['team:web', 'env:test', 'currency:EUR'],
      })
    }
    const parsed = lines.map((line) => parseDogStatsDLine(line))
    expect(parsed.flatMap((m) => (m?.kind === 'metric' ? m.values : []))).toEqual(values)
    expect(sender.stats()).toMatchObject({ sent: lines.length, sentValues: 300 })
  })

  it("values that cannot fit a line beside your client's own tags are returned as dropped, not sent", () => {
    const { sender } = senderWith(mockClient({ huge: 'x'.repeat(600) }), { maxDatagramBytes: 512 })
    expect(sender.samples('ms', 'x', [1, 2, 3], undefined)).toBe(3)
    expect(sender.client.mockBuffer).toEqual([])
    expect(sender.stats()).toMatchObject({ sent: 0, sentValues: 0 })
  })

  it("without hot-shots' send(), samples go out one value per line through timing() and histogram()", () => {
    const stub = stubClient()
    const { sender } = senderWith(stub.client)
    expect(sender.samples('ms', 'db.query', [5, 7], { table: 'order' })).toBe(0)
    expect(sender.samples('h', 'basket', [2], undefined)).toBe(0)
    expect(stub.calls.slice(1)).toEqual([
      ['ms', 'db.query', 5, { table: 'order' }],
      ['ms', 'db.query', 7, { table: 'order' }],
      ['h', 'basket', 2, undefined],
    ])
    expect(sender.stats()).toMatchObject({ sent: 3, sentValues: 3 })
  })
})
