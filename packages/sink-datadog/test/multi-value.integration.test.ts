import { type DatadogMetrics, type DatadogMetricsOptions, datadogMetrics } from '@vivr/sink-datadog'
import { type StatsdListener, startStatsdListener } from '@vivr/testkit'
import { HOSTILE_METRIC_NAMES, HOSTILE_METRIC_VALUES, HOSTILE_TAG_SETS } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { StatsD } from 'hot-shots'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { MAX_HELD_VALUES } from '../src/datadog-metrics.js'
import { metricNameSafe } from '../src/wire.js'
import { GLOBAL_TAGS, pinDatadogEnv } from './env.js'

/*
 * DogStatsD protocol 1.1 value packing, against the testkit's real loopback listener: the samples of a timing or
 * histogram series leave several to a line, every line whole in one datagram within maxDatagramBytes, every value
 * exactly once; `multiValue: false` sends one value per line for agents before 6.25 / 7.25.
 */

let listener: StatsdListener
const sinks: DatadogMetrics[] = []
beforeAll(async () => {
  listener = await startStatsdListener()
})
afterAll(() => listener.close())
beforeEach(() => {
  pinDatadogEnv()
  listener.clear()
})
afterEach(async () => {
  for (const sink of sinks.splice(0)) await sink.close()
  vi.unstubAllEnvs()
})

function sinkWith(options: DatadogMetricsOptions = {}): DatadogMetrics {
  const sink = datadogMetrics({ host: '127.0.0.1', port: listener.port, ...options })
  sinks.push(sink)
  return sink
}

/** Whatever arrived: quiet for a moment, so that a value sent twice would have been seen too. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30))

const ENDPOINTS = Array.from({ length: 50 }, (_, i) => ({ endpoint: `/api/products/${i}`, method: 'GET' }))

describe('multi-value lines (DogStatsD 1.1)', () => {
  it('10,000 metrics, half timings: at least 30 per datagram, every timing once, no datagram over 1432 bytes', async () => {
    const sink = sinkWith()
    const timings = new Map<string, number[]>()
    for (let chunk = 0; chunk < 20; chunk++) {
      for (let i = 0; i < 500; i++) {
        const tags = ENDPOINTS[i % ENDPOINTS.length]!
        if (i % 2 === 0) {
          sink.increment('http.requests', 1, tags)
          continue
        }
        sink.timing('http.request.duration', i % 300, tags)
        const sent = timings.get(tags.endpoint) ?? []
        sent.push(i % 300)
        timings.set(tags.endpoint, sent)
      }
    }
    await sink.flush()
    await listener.waitForValues(5000 + 25)
    await settle()

    const perDatagram = 10_000 / listener.datagrams.length
    expect(perDatagram).toBeGreaterThanOrEqual(30)
    for (const datagram of listener.datagrams) expect(datagram.bytes).toBeLessThanOrEqual(1432)
    expect(listener.unparsed).toEqual([])
    const received = new Map<string, number[]>()
    for (const metric of listener.metrics.filter((m) => m.type === 'ms')) {
      expect(metric.name).toBe('vivr.http.request.duration')
      const endpoint = metric.tags.find((tag) => tag.startsWith('endpoint:'))?.slice('endpoint:'.length) ?? ''
      received.set(endpoint, [...(received.get(endpoint) ?? []), ...metric.values])
    }
    expect(received).toEqual(timings)
    const counts = listener.metrics.filter((m) => m.type === 'c')
    expect(counts).toHaveLength(25)
    for (const count of counts) expect(count.values).toEqual([200])
    expect(sink.stats()).toMatchObject({ sentValues: 5025, droppedOversize: 0, earlyFlushes: 0 })
  })

  it('a series too long for one line goes out as several, each whole in one datagram, values in order', async () => {
    const sink = sinkWith({ maxDatagramBytes: 512 })
    const values = Array.from({ length: 3000 }, (_, i) => i + 0.123_456_789_012_3)
    for (const value of values) sink.histogram('basket.value', value, { currency: 'EUR' })
    await sink.flush()
    await listener.waitForValues(values.length)
    await settle()
    expect(listener.unparsed).toEqual([])
    for (const datagram of listener.datagrams) {
      expect(datagram.bytes).toBeLessThanOrEqual(512)
      // A line cut in two would not parse: every line of every datagram is a whole metric of this series.
      for (const line of datagram.text.split('\n'))
        expect(line).toMatch(
          /^vivr\.basket\.value(?::[\d.]+)+\|h\|#env:test,service:vivr-api,version:1\.2\.3,currency:EUR$/,
        )
    }
    expect(listener.metrics.length).toBeGreaterThan(1)
    expect(listener.metrics.flatMap((m) => m.values)).toEqual(values)
    expect(sink.stats()).toMatchObject({ sent: listener.metrics.length, sentValues: values.length })
  })

  it('past MAX_HELD_VALUES held samples, sends them before the interval ends: counted, nothing lost', async () => {
    const sink = sinkWith({ flushIntervalMs: 600_000 })
    const total = MAX_HELD_VALUES + 10
    for (let i = 0; i < total; i++) sink.timing('busy.duration', i % 1000, { route: `/r/${i % 10}` })
    expect(sink.stats().earlyFlushes).toBe(1)
    // Out before any flush, but for the datagram hot-shots still fills.
    await listener.waitForValues(MAX_HELD_VALUES - 1000, { timeoutMs: 5000 })
    await sink.flush()
    await listener.waitForValues(total, { timeoutMs: 5000 })
    await settle()
    expect(listener.valueCount).toBe(total)
    expect(sink.stats()).toMatchObject({ sentValues: total, earlyFlushes: 1, droppedOversize: 0 })
  })

  it('multiValue: false sends one value per line, as hot-shots writes it', async () => {
    const sink = sinkWith({ multiValue: false })
    for (let i = 0; i < 100; i++) sink.timing('api.response_time', i, { route: '/a' })
    for (let i = 0; i < 50; i++) sink.histogram('order.items', i % 5)
    await sink.flush()
    await listener.waitForLines(150)
    await settle()
    expect(listener.metrics).toHaveLength(150)
    for (const metric of listener.metrics) expect(metric.values).toHaveLength(1)
    const tags = GLOBAL_TAGS.join(',')
    expect(listener.lines.slice(0, 2)).toEqual([
      `vivr.api.response_time:0|ms|#${tags},route:/a`,
      `vivr.api.response_time:1|ms|#${tags},route:/a`,
    ])
    expect(sink.stats()).toMatchObject({ sent: 150, sentValues: 150, earlyFlushes: 0 })
  })

  it('aggregation: false packs nothing either', async () => {
    const sink = sinkWith({ aggregation: false })
    for (let i = 0; i < 20; i++) sink.timing('api.response_time', i)
    await sink.flush()
    await listener.waitForLines(20)
    for (const metric of listener.metrics) expect(metric.values).toHaveLength(1)
  })

  it('through your own client: packed lines count its prefix and global tags, and stay within the limit', async () => {
    const client = new StatsD({
      host: '127.0.0.1',
      port: listener.port,
      prefix: 'shop',
      globalTags: { team: 'w'.repeat(150) },
      maxBufferSize: 512,
      includeDataDogTags: false,
      datadog: false,
    })
    try {
      const sink = datadogMetrics({ client, globalTags: {}, maxDatagramBytes: 512 })
      for (let i = 0; i < 2000; i++) sink.timing('checkout.duration', i)
      await sink.close()
      await listener.waitForValues(2000)
      await settle()
      for (const datagram of listener.datagrams) expect(datagram.bytes).toBeLessThanOrEqual(512)
      expect(listener.metrics[0]).toMatchObject({
        name: 'vivr.shop.checkout.duration',
        tags: [`team:${'w'.repeat(150)}`, ...GLOBAL_TAGS],
      })
      expect(listener.metrics.flatMap((m) => m.values)).toEqual(Array.from({ length: 2000 }, (_, i) => i))
    } finally {
      await new Promise<void>((resolve) => client.close(() => resolve()))
    }
  })
})

/** Anything a caller may put in a name or a tag: protocol characters, lone surrogates, 4-byte emoji. */
const anyText = (minLength: number, maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('a', 'b', '.', '_', '/', '0') },
      fc.constantFrom('|', ':', ',', '#', '@', '\n', '\r', '✓', '📦', '\ud800', ' '),
    ),
    minLength,
    maxLength,
  })

interface Made {
  name: string
  make: () => unknown
}
const made = (value: unknown, name = String(value)): Made => ({ name, make: () => value })

const nameCase: fc.Arbitrary<Made> = fc.oneof(fc.constantFrom(...HOSTILE_METRIC_NAMES), {
  weight: 3,
  arbitrary: anyText(1, 60).map((text) => made(text)),
})
const tagCase: fc.Arbitrary<Made> = fc.oneof(
  fc.constantFrom(...HOSTILE_TAG_SETS),
  fc.constant(made(undefined, 'no tags')),
  {
    weight: 3,
    arbitrary: fc
      .dictionary(anyText(1, 20), anyText(0, 150), { maxKeys: 8 })
      .map((tags) => made(tags, JSON.stringify(tags))),
  },
)
const valueCase: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 4, arbitrary: fc.integer({ min: -5, max: 5000 }) },
  fc.constantFrom(...HOSTILE_METRIC_VALUES),
)

/** What the agent reads back for a value this sink accepted: its name as hot-shots spells it, UTF-8 decoded. */
const wireName = (name: string) => Buffer.from(`vivr.${metricNameSafe(name)}`).toString('utf8')
const key = (type: string, name: string, value: number) => `${type} ${name} ${value === 0 ? 0 : value}`

describe('multi-value lines under hostile names, tags and values', () => {
  it('no datagram over the limit, every line valid, every accepted value delivered exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(nameCase, { minLength: 1, maxLength: 4 }),
        fc.array(tagCase, { minLength: 1, maxLength: 3 }),
        // Up to 400 calls over at most 4 × 3 series × 2 types: long series, split over several lines.
        fc.array(fc.tuple(fc.constantFrom('timing', 'histogram'), fc.nat(), fc.nat(), valueCase), {
          minLength: 1,
          maxLength: 400,
          size: 'max',
        }),
        fc.integer({ min: 512, max: 2048 }),
        async (nameCases, tagCases, calls, maxDatagramBytes) => {
          listener.clear()
          // Made once per run: a 10 MB name is one string, passed again and again.
          const names = nameCases.map((c) => c.make())
          const tagSets = tagCases.map((c) => c.make())
          const sink = datadogMetrics({
            host: '127.0.0.1',
            port: listener.port,
            maxDatagramBytes,
            flushIntervalMs: 600_000,
          })
          const expected: string[] = []
          for (const [kind, n, t, value] of calls) {
            const name = names[n % names.length]
            const before = sink.stats()
            const call = sink[kind] as (name: unknown, value: unknown, tags: unknown) => void
            call(name, value, tagSets[t % tagSets.length])
            const after = sink.stats()
            const dropped =
              after.droppedInvalid - before.droppedInvalid + after.droppedOversize - before.droppedOversize
            if (dropped === 0 && typeof name === 'string' && typeof value === 'number')
              expected.push(key(kind === 'timing' ? 'ms' : 'h', wireName(name), value))
          }
          await sink.close()
          await listener.waitForValues(expected.length, { timeoutMs: 3000 })
          await settle()

          for (const datagram of listener.datagrams)
            expect(datagram.bytes).toBeLessThanOrEqual(maxDatagramBytes)
          expect(listener.unparsed).toEqual([])
          const delivered = listener.metrics.flatMap((m) => m.values.map((v) => key(m.type, m.name, v)))
          expect(delivered.sort()).toEqual(expected.sort())
          const stats = sink.stats()
          expect(stats.sentValues).toBe(expected.length)
          expect(stats.sentValues + stats.droppedInvalid + stats.droppedOversize).toBe(calls.length)
        },
      ),
      { seed: 20_261_215, numRuns: 40 },
    )
  })
})
