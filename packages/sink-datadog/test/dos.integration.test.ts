import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createHealth, publishHealth, type Tags } from '@vivr/core'
import { type DatadogMetrics, datadogMetrics } from '@vivr/sink-datadog'
import { memoryLogger, type StatsdListener, startStatsdListener } from '@vivr/testkit'
import {
  HOSTILE_METRIC_NAMES,
  HOSTILE_TAG_SETS,
  hostileMetricCall,
  hostileValue,
  leaks,
  secretInText,
  textAround,
  throwingProxy,
} from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createThrottledErrorLog } from '../src/error-log.js'
import { pinDatadogEnv } from './env.js'

/*
 * The denial-of-service suite of the Datadog sink: the worst names, values, tags and service-check options a
 * caller can pass, through every public call, against a real DogStatsD listener on loopback. Nothing may throw or
 * take long, what reaches the wire stays valid DogStatsD within the byte limit, memory stays bounded whatever the
 * input, and no secret leaves through a service check or an error log.
 */

const MAX_BUFFER = 1432
// Generous: a loaded CI machine. A path that walks a 10 MB input per character, or quadratically, takes far longer.
const DEADLINE_MS = 1000
const runs = (numRuns: number) => ({ seed: 20_261_127, numRuns })

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function heapMb(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed / 1024 / 1024
}

function within<T>(label: string, call: () => T): T {
  const started = performance.now()
  let result: T | undefined
  expect(() => {
    result = call()
  }, label).not.toThrow()
  expect(performance.now() - started, label).toBeLessThan(DEADLINE_MS)
  return result as T
}

const bigString = () => 'x'.repeat(10 * 1024 * 1024)

describe('datadogMetrics under hostile input', () => {
  let listener: StatsdListener
  let sink: DatadogMetrics
  const logger = memoryLogger()

  beforeAll(async () => {
    pinDatadogEnv()
    listener = await startStatsdListener()
    sink = datadogMetrics({ host: '127.0.0.1', port: listener.port, logger, maxDatagramBytes: MAX_BUFFER })
  })
  afterAll(async () => {
    await sink.close()
    await listener.close()
    vi.unstubAllEnvs()
  })
  beforeEach(() => listener.clear())

  /** Everything that arrived is valid DogStatsD of this sink, no datagram is too big, no line was forged. */
  async function expectValidWire(): Promise<void> {
    await sink.flush()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(listener.unparsed).toEqual([])
    for (const datagram of listener.datagrams) expect(datagram.bytes).toBeLessThanOrEqual(MAX_BUFFER)
    for (const line of listener.lines) expect(line).toMatch(/^(?:_sc\|)?vivr\./)
    for (const metric of listener.metrics) {
      expect(['c', 'g', 'ms', 'h']).toContain(metric.type)
      expect(Number.isFinite(metric.value), metric.raw).toBe(true)
    }
  }

  it('metric calls: any name, value and tags; no throw, no stall, valid datagrams', async () => {
    fc.assert(
      fc.property(hostileMetricCall(), (call) => {
        const [name, value, tags] = call.args()
        const method = sink[call.kind] as (n: unknown, v: unknown, t?: unknown) => void
        within(call.label, () => method.call(sink, name, value, tags))
      }),
      runs(150),
    )
    await expectValidWire()
  })

  it('service checks: any name, status and options; no throw, no stall, valid datagrams', async () => {
    const statuses: unknown[] = ['ok', 'critical', 'nope', '__proto__', 'toString', 2, undefined]
    fc.assert(
      fc.property(
        fc.constantFrom(...HOSTILE_METRIC_NAMES),
        fc.constantFrom(...statuses),
        fc.oneof(fc.constantFrom(...HOSTILE_TAG_SETS), hostileValue()),
        fc.constantFrom('name', 'options', 'message', 'tags', 'hostname'),
        (name, status, hostile, where) => {
          const check = sink.serviceCheck as (n: unknown, s: unknown, o?: unknown) => void
          within(`serviceCheck(${where}: ${hostile.name} / ${name.name})`, () => {
            if (where === 'name') check(name.make(), status)
            else if (where === 'options') check('hostile.options', 'ok', hostile.make())
            else if (where === 'message') check('hostile.message', 'warning', { message: hostile.make() })
            else if (where === 'tags') check('hostile.tags', 'ok', { tags: hostile.make() })
            else check('hostile.hostname', 'ok', { hostname: hostile.make() })
          })
        },
      ),
      runs(120),
    )
    await expectValidWire()
    for (const check of listener.serviceChecks) expect([0, 1, 2, 3]).toContain(check.status)
  })

  it('what is sendable still goes out: tags sanitized, over-long ones cut, nothing forged', async () => {
    sink.increment('tags.protocol', 1, { route: 'a\nforged:1|c', 'k|#,': 'v,#@' })
    sink.timing('tags.quotes', 5, { q: '"\'\\' })
    sink.gauge('tags.long', 1, { route: bigString() })
    sink.serviceCheck('check.forged\n_sc|x|0', 'critical', { message: 'line 1\nline 2 | m:x' })
    await sink.flush()
    await listener.waitForLines(4)
    await expectValidWire()
    const tagsOf = (name: string) => listener.metrics.find((m) => m.name === name)?.tags ?? []
    expect(tagsOf('vivr.tags.protocol')).toEqual(expect.arrayContaining(['route:a_forged:1_c', 'k___:v___']))
    expect(tagsOf('vivr.tags.quotes')).toContain('q:"\'\\')
    const long = tagsOf('vivr.tags.long').find((tag) => tag.startsWith('route:'))
    expect(long?.length).toBe(200)
    expect(listener.serviceChecks).toHaveLength(1)
    expect(listener.serviceChecks[0]?.message).toBe('line 1\nline 2 / m:x')
  })

  it('flush and close always resolve, and every call after close is a counted no-op', async () => {
    const own = datadogMetrics({ host: '127.0.0.1', port: listener.port })
    own.increment('x', 1, throwingProxy() as Tags)
    await expect(own.flush()).resolves.toBeUndefined()
    await expect(own.close()).resolves.toBeUndefined()
    within('after close', () => {
      own.increment(bigString(), 1, throwingProxy() as Tags)
      own.serviceCheck('x', 'ok', throwingProxy() as never)
    })
    expect(own.stats().droppedAfterClose).toBe(2)
  })
})

describe('datadogMetrics memory stays bounded whatever the input', () => {
  beforeEach(() => pinDatadogEnv())

  it('distinct huge names, tag values and tag sets within one interval hold almost nothing', async () => {
    const listener = await startStatsdListener()
    // One long interval: everything the sink keeps between flushes stays kept while we measure.
    const sink = datadogMetrics({ host: '127.0.0.1', port: listener.port, flushIntervalMs: 600_000 })
    try {
      const before = heapMb()
      const megabyte = 'm'.repeat(1024 * 1024)
      for (let i = 0; i < 150; i++) {
        sink.increment(`${i}${megabyte}`, 1)
        sink.gauge('big.tag', 1, { route: `${i}${megabyte}` })
        sink.increment('big.key', 1, { [`${i}${megabyte}`]: 'v' })
      }
      for (let i = 0; i < 20_000; i++) sink.increment('many.contexts', 1, { user: `user-${i}` })
      // Samples held for packing: more values than the cap in one interval, and distinct series past the limit.
      for (let i = 0; i < 300_000; i++) sink.histogram('many.samples', i + 0.5, { route: '/a' })
      for (let i = 0; i < 20_000; i++) sink.timing('many.series', 1, { user: `user-${i}` })
      // Without bounds this holds 450 MB of names and tags plus every context: far past the limit below.
      expect(heapMb() - before).toBeLessThan(64)
      expect(sink.stats().droppedOversize).toBeGreaterThanOrEqual(150)
      expect(sink.stats().earlyFlushes).toBeGreaterThanOrEqual(3)
    } finally {
      await sink.close()
      await listener.close()
      vi.unstubAllEnvs()
    }
  })
})

describe('datadog: no secret leaves through a service check or an error log', () => {
  let listener: StatsdListener
  let sink: DatadogMetrics

  beforeAll(async () => {
    pinDatadogEnv()
    listener = await startStatsdListener()
    sink = datadogMetrics({ host: '127.0.0.1', port: listener.port })
  })
  afterAll(async () => {
    await sink.close()
    await listener.close()
    vi.unstubAllEnvs()
  })

  it('publishHealth: a secret in a check message, a thrown error or details never reaches the wire', async () => {
    const planted = fc.sample(textAround(secretInText()), { seed: 7, numRuns: 60 })
    let index = 0
    const next = () => planted[index % planted.length]!
    const health = createHealth({
      includeMetrics: false,
      checks: [
        { name: 'degraded', run: () => ({ status: 'degraded', message: next().text }) },
        {
          name: 'details',
          run: () => ({ status: 'ok', details: { dsn: next().text, nested: [next().text] } }),
        },
        {
          name: 'thrown',
          run: () => {
            throw new Error(next().text)
          },
        },
      ],
    })
    const unsubscribe = publishHealth(health, sink)
    try {
      for (; index < planted.length; index++) {
        listener.clear()
        await health.run()
        await sink.flush()
        await listener.waitFor(() => listener.serviceChecks.length >= 3)
        const wire = listener.lines.join('\n')
        const { secret, kind } = planted[index]!
        expect(leaks(wire, secret), `${kind}: ${wire}`).toBe(false)
      }
    } finally {
      unsubscribe()
    }
  })

  it('serviceCheck scrubs its own message, whoever calls it', async () => {
    const planted = fc.sample(textAround(secretInText()), { seed: 11, numRuns: 100 })
    listener.clear()
    for (const [i, { text }] of planted.entries()) {
      sink.serviceCheck(`direct.${i}`, 'critical', { message: `failed: ${text}` })
    }
    await sink.flush()
    await listener.waitFor(() => listener.serviceChecks.length >= planted.length)
    for (const [i, { secret, kind }] of planted.entries()) {
      const check = listener.serviceChecks.find((c) => c.name === `vivr.direct.${i}`)
      expect(check?.message).toMatch(/^failed: /)
      expect(leaks(check?.raw ?? '', secret), `${kind}: ${check?.raw}`).toBe(false)
    }
  })

  it('a secret in a tag value never reaches the wire, aggregated, sent as it comes, or on a service check', async () => {
    const planted = fc.sample(textAround(secretInText()), { seed: 13, numRuns: 150 })
    listener.clear()
    for (const [i, { text }] of planted.entries()) {
      const tags = { detail: text, i: String(i) }
      sink.increment('tagged.count', 1, tags)
      sink.timing('tagged.duration', 5, tags)
      sink.serviceCheck('tagged.check', 'ok', { tags })
      // Long values too: scrubbed before they are cut to 200 characters.
      sink.histogram('tagged.long', 1, { detail: `${'x'.repeat(150)} ${text}`, i: String(i) })
    }
    await sink.flush()
    await listener.waitFor(() => listener.lines.length >= 4 * planted.length, { timeoutMs: 5000 })
    for (const [i, { secret, kind }] of planted.entries()) {
      const mine = new RegExp(`,i:${i}(?:$|[|,])`)
      const lines = listener.lines.filter((line) => mine.test(line))
      expect(lines.length, kind).toBe(4)
      for (const line of lines) expect(leaks(line, secret), `${kind}: ${line}`).toBe(false)
    }
  })

  it('the throttled error log: a secret in a send error never reaches a log line, hostile errors never throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          textAround(secretInText()).map((p) => ({ ...p, make: (): unknown => new Error(p.text) })),
          textAround(secretInText()).map((p) => ({
            ...p,
            make: (): unknown => Object.assign(new Error('send failed'), { code: p.text }),
          })),
          hostileValue().map((h) => ({ kind: h.name, secret: '', make: h.make })),
        ),
        (sent) => {
          const logger = memoryLogger()
          let now = 0
          const log = createThrottledErrorLog({
            logger,
            intervalMs: 10,
            clock: {
              now: () => now,
              setTimeout: () => 0,
              clearTimeout: () => {},
            },
            message: 'datadog metrics: send failed; metrics are being lost',
          })
          const error = sent.make()
          within(sent.kind, () => {
            log.report(error)
            log.report(error)
            now = 20
            log.settle()
          })
          expect(logger.lines).toHaveLength(2)
          if (sent.secret !== '') {
            const text = JSON.stringify(logger.lines)
            expect(leaks(text, sent.secret), `${sent.kind}: ${text}`).toBe(false)
          }
        },
      ),
      runs(300),
    )
  })

  it('a send error with a secret, from the socket up, is logged scrubbed', async () => {
    const logger = memoryLogger()
    const secret = 'sockpass9Q'
    // The agent's Unix socket path is echoed by the kernel's error: put a credential-looking URL in it.
    const own = datadogMetrics({ socketPath: `/nonexistent/redis://app:${secret}@cache/sock`, logger })
    own.increment('x')
    await own.flush()
    await own.close()
    expect(own.stats().sendErrors).toBeGreaterThan(0)
    const text = JSON.stringify(logger.lines)
    expect(text).toContain('send failed')
    expect(text).not.toContain(secret)
  })
})
