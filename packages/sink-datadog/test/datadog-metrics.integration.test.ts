import { createSocket } from 'node:dgram'
import { type DatadogMetrics, type DatadogMetricsOptions, datadogMetrics } from '@vivr/sink-datadog'
import { memoryLogger, type StatsdListener, startStatsdListener } from '@vivr/testkit'
import { describeMetricSinkContract, type SentMetric } from '@vivr/testkit/contracts'
import { StatsD } from 'hot-shots'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { GLOBAL_TAGS, pinDatadogEnv, UNKNOWN_HOST } from './env.js'

const TYPE = { increment: 'c', gauge: 'g', timing: 'ms', histogram: 'h' } as const

function expectedLine(m: SentMetric): string {
  const tags = [...GLOBAL_TAGS, ...Object.entries(m.tags).map(([key, value]) => `${key}:${String(value)}`)]
  return `vivr.${m.name}:${m.value}|${TYPE[m.kind]}|#${tags.join(',')}`
}

const cleanups: Array<() => Promise<unknown> | unknown> = []
beforeEach(() => pinDatadogEnv())
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  vi.unstubAllEnvs()
})

async function listen(): Promise<StatsdListener> {
  const listener = await startStatsdListener()
  cleanups.push(() => listener.close())
  return listener
}

function sinkTo(listener: StatsdListener, options: DatadogMetricsOptions = {}): DatadogMetrics {
  const sink = datadogMetrics({ host: '127.0.0.1', port: listener.port, ...options })
  cleanups.push(() => sink.close())
  return sink
}

/** A UDP port nobody listens on. */
async function deadPort(): Promise<number> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const { port } = socket.address()
  await new Promise<void>((resolve) => socket.close(() => resolve()))
  return port
}

describeMetricSinkContract('datadogMetrics over loopback UDP', async () => {
  const listener = await startStatsdListener()
  const sink = datadogMetrics({ host: '127.0.0.1', port: listener.port })
  return {
    sink,
    async expectDelivered(sent) {
      const expected = sent.map(expectedLine)
      await listener.waitForLines(expected.length)
      expect([...listener.lines].sort()).toEqual([...expected].sort())
    },
    dispose: () => listener.close(),
  }
})

describe('datadogMetrics', () => {
  it('sends the exact DogStatsD line for each kind, global tags first', async () => {
    const listener = await listen()
    const sink = sinkTo(listener)
    sink.increment('http.requests', 1, { endpoint: '/api/products', method: 'GET' })
    sink.gauge('cache.hit_rate', 0.93)
    sink.timing('api.response_time', 12.5, { route: '/api/orders' })
    sink.histogram('order.average_value', 99.9, { currency: 'EUR' })
    await sink.flush()
    await listener.waitForLines(4)
    expect([...listener.lines].sort()).toEqual(
      [
        'vivr.http.requests:1|c|#env:test,service:vivr-api,version:1.2.3,endpoint:/api/products,method:GET',
        'vivr.cache.hit_rate:0.93|g|#env:test,service:vivr-api,version:1.2.3',
        'vivr.api.response_time:12.5|ms|#env:test,service:vivr-api,version:1.2.3,route:/api/orders',
        'vivr.order.average_value:99.9|h|#env:test,service:vivr-api,version:1.2.3,currency:EUR',
      ].sort(),
    )
    expect(listener.unparsed).toEqual([])
  })

  it('aggregates increments and gauges within an interval, and packs the samples of a timing', async () => {
    const listener = await listen()
    const sink = sinkTo(listener, { globalTags: {}, service: 'svc' })
    for (let i = 0; i < 3; i++) sink.increment('orders.created', 2, { channel: 'web' })
    sink.increment('orders.created', 1, { channel: 'app' })
    sink.gauge('conversion.rate', 0.1)
    sink.gauge('conversion.rate', 0.42)
    for (const ms of [5, 7, 9]) sink.timing('database.query.duration', ms)
    sink.histogram('order.items', 2, { channel: 'web' })
    sink.histogram('order.items', 3, { channel: 'web' })
    await sink.flush()
    await listener.waitForLines(5)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const tags = 'env:test,service:svc,version:1.2.3'
    expect([...listener.lines].sort()).toEqual(
      [
        `vivr.orders.created:6|c|#${tags},channel:web`,
        `vivr.orders.created:1|c|#${tags},channel:app`,
        `vivr.conversion.rate:0.42|g|#${tags}`,
        `vivr.database.query.duration:5:7:9|ms|#${tags}`,
        `vivr.order.items:2:3|h|#${tags},channel:web`,
      ].sort(),
    )
    expect(sink.stats()).toMatchObject({ sent: 5, sentValues: 8 })
  })

  it('sends aggregated and buffered metrics on its own every flushIntervalMs', async () => {
    const listener = await listen()
    const sink = sinkTo(listener, { flushIntervalMs: 50 })
    for (let i = 0; i < 10; i++) sink.increment('cart.abandoned')
    sink.timing('page.load_time', 800)
    await listener.waitForLines(2, { timeoutMs: 1000 })
    expect(listener.metrics.map((m) => [m.name, m.value]).sort()).toEqual([
      ['vivr.cart.abandoned', 10],
      ['vivr.page.load_time', 800],
    ])
  })

  it('with aggregation: false, sends every call', async () => {
    const listener = await listen()
    const sink = sinkTo(listener, { aggregation: false })
    for (let i = 0; i < 3; i++) sink.increment('orders.created')
    await sink.flush()
    await listener.waitForLines(3)
    expect(listener.lines).toEqual(Array(3).fill(`vivr.orders.created:1|c|#${GLOBAL_TAGS.join(',')}`))
  })

  it('batches lines into datagrams of at most maxDatagramBytes bytes', async () => {
    const listener = await listen()
    const sink = sinkTo(listener)
    for (let i = 0; i < 300; i++) sink.timing('api.response_time', i, { route: `/api/products/${i}` })
    await sink.flush()
    await listener.waitForLines(300)
    expect(listener.datagrams.length).toBeLessThan(300 / 5)
    for (const datagram of listener.datagrams) expect(datagram.bytes).toBeLessThanOrEqual(1432)
    expect(listener.metrics.map((m) => m.value)).toEqual(Array.from({ length: 300 }, (_, i) => i))
  })

  it('counts bytes, not characters: multi-byte tags never push a datagram past maxDatagramBytes', async () => {
    const listener = await listen()
    const sink = sinkTo(listener, { maxDatagramBytes: 512 })
    const city = 'Zürich–東京✓'.repeat(8) // 3-byte characters and a 2-byte one
    const emoji = '📦🚚'.repeat(10) // surrogate pairs, 4 bytes each
    for (let i = 0; i < 200; i++) sink.timing('shipping.time', i, { city, parcel: emoji })
    await sink.flush()
    await listener.waitForValues(200)
    for (const datagram of listener.datagrams) expect(datagram.bytes).toBeLessThanOrEqual(512)
    expect(listener.metrics.flatMap((m) => m.values)).toEqual(Array.from({ length: 200 }, (_, i) => i))
    for (const metric of listener.metrics)
      expect(metric.tags).toEqual([...GLOBAL_TAGS, `city:${city}`, `parcel:${emoji}`])
  })

  it("cuts a tag to Datadog's 200 characters and drops, counting, a line no datagram can hold", async () => {
    const listener = await listen()
    const sink = sinkTo(listener)
    sink.increment('x.long_tag', 1, { long: 'v'.repeat(5000) })
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`tag${i}`, 'w'.repeat(150)]))
    sink.timing('x.too_many_tags', 1, many)
    sink.timing('x.after', 1)
    await sink.flush()
    await listener.waitForLines(2)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(listener.lines).toHaveLength(2)
    const long = listener.metrics.find((m) => m.name === 'vivr.x.long_tag')
    expect(long?.tags.at(-1)).toBe(`long:${'v'.repeat(195)}`)
    expect(sink.stats()).toMatchObject({ sent: 2, droppedOversize: 1, truncatedTags: 1 })
    for (const datagram of listener.datagrams) expect(datagram.bytes).toBeLessThanOrEqual(1432)
  })

  it('close() delivers everything buffered, including through a hostname resolved once', async () => {
    const listener = await listen()
    const sink = sinkTo(listener, { host: 'localhost', flushIntervalMs: 60_000 })
    for (let i = 0; i < 2000; i++) sink.timing('api.response_time', i % 50, { route: `/r/${i % 7}` })
    for (let i = 0; i < 100; i++) sink.increment('http.requests', 1, { endpoint: `/e/${i}` })
    await sink.close()
    await listener.waitForValues(2100, { timeoutMs: 5000 })
    const values = (type: string) => listener.metrics.filter((m) => m.type === type).flatMap((m) => m.values)
    expect(values('ms')).toHaveLength(2000)
    expect(values('c')).toHaveLength(100)
    expect(sink.stats()).toMatchObject({ sentValues: 2100, sendErrors: 0, dnsQueries: 1 })
  })

  it('asks DNS once for many flushes', async () => {
    const listener = await listen()
    const sink = sinkTo(listener, { host: 'localhost' })
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 200; i++) sink.timing('api.response_time', i)
      await sink.flush()
    }
    await listener.waitForValues(1000)
    expect(sink.stats().dnsQueries).toBe(1)
  })

  it('unknown agent host: calls never throw, failures are counted and logged once', async () => {
    const logger = memoryLogger()
    const errors: Error[] = []
    const sink = datadogMetrics({
      host: UNKNOWN_HOST,
      port: 8125,
      logger,
      errorHandler: (e) => errors.push(e),
    })
    cleanups.push(() => sink.close())
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) expect(() => sink.timing('api.response_time', i)).not.toThrow()
      const started = Date.now()
      await sink.flush()
      expect(Date.now() - started).toBeLessThan(2500)
    }
    const stats = sink.stats()
    expect(stats.sendErrors).toBeGreaterThanOrEqual(3)
    expect(stats.dnsQueries).toBe(1)
    expect(errors.length).toBe(stats.sendErrors)
    const warnings = logger.find({ level: 'WARN', message: 'datadog metrics' })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ code: 'ENOTFOUND' })
  })

  it('a socket closed under the sink: no throw, counted, close() still resolves', async () => {
    const listener = await listen()
    const sink = sinkTo(listener)
    sink.client.socket.close()
    expect(() => {
      for (let i = 0; i < 50; i++) sink.timing('api.response_time', i)
    }).not.toThrow()
    await sink.flush()
    expect(sink.stats().sendErrors).toBeGreaterThanOrEqual(1)
    await expect(sink.close()).resolves.toBeUndefined()
    expect(listener.lines).toEqual([])
  })

  it('an agent that is not listening: calls return and flush resolves (UDP reports nothing)', async () => {
    const sink = datadogMetrics({ host: '127.0.0.1', port: await deadPort() })
    cleanups.push(() => sink.close())
    for (let i = 0; i < 500; i++) sink.timing('api.response_time', i)
    const started = Date.now()
    await sink.flush()
    expect(Date.now() - started).toBeLessThan(1000)
    expect(sink.stats()).toMatchObject({ sentValues: 500, droppedOversize: 0 })
  })

  it('a throwing errorHandler is contained', async () => {
    const listener = await listen()
    let calls = 0
    const sink = sinkTo(listener, {
      errorHandler: () => {
        calls++
        throw new Error('handler bug')
      },
    })
    sink.client.socket.close()
    sink.timing('x', 1)
    await expect(sink.flush()).resolves.toBeUndefined()
    expect(calls).toBeGreaterThanOrEqual(1)
  })

  it('logs the first error of an interval at once and sums the rest up when it ends', async () => {
    const listener = await listen()
    const logger = memoryLogger()
    const sink = sinkTo(listener, { logger, warnIntervalMs: 200 })
    sink.client.socket.close()
    for (let round = 0; round < 3; round++) {
      sink.timing('x', round)
      await sink.flush()
    }
    expect(logger.find({ level: 'WARN' })).toHaveLength(1)
    await new Promise((resolve) => setTimeout(resolve, 400))
    const warnings = logger.find({ level: 'WARN' })
    expect(warnings).toHaveLength(2)
    expect(warnings[1]).toMatchObject({ suppressed: sink.stats().sendErrors - 1, intervalMs: 200 })
  })

  it('drops and counts calls after close and values that are not finite numbers', async () => {
    const listener = await listen()
    const sink = sinkTo(listener)
    sink.gauge('x.nan', Number.NaN)
    sink.gauge('x.inf', Number.POSITIVE_INFINITY)
    sink.increment('')
    sink.increment('x.ok')
    await sink.close()
    sink.increment('x.late')
    sink.serviceCheck('x.late', 'ok')
    await listener.waitForLines(1)
    expect(listener.metrics.map((m) => m.name)).toEqual(['vivr.x.ok'])
    expect(sink.stats()).toMatchObject({ sent: 1, droppedInvalid: 3, droppedAfterClose: 2 })
  })

  it('sends service checks with escaped, size-bounded messages', async () => {
    const listener = await listen()
    const sink = sinkTo(listener, { maxDatagramBytes: 512 })
    sink.serviceCheck('health.database', 'critical', {
      message: 'connect ECONNREFUSED\nretry | later',
      tags: { check: 'database' },
    })
    sink.serviceCheck('health.cache', 'ok')
    sink.serviceCheck('health.payment', 'warning', { message: '✓'.repeat(1000) })
    await sink.flush()
    await listener.waitForLines(3)
    expect(listener.lines[0]).toBe(
      `_sc|vivr.health.database|2|#${GLOBAL_TAGS.join(',')},check:database|m:connect ECONNREFUSED\\nretry / later`,
    )
    expect(listener.serviceChecks.map((c) => [c.name, c.status])).toEqual([
      ['vivr.health.database', 2],
      ['vivr.health.cache', 0],
      ['vivr.health.payment', 1],
    ])
    expect(listener.serviceChecks[0]?.message).toBe('connect ECONNREFUSED\nretry / later')
    const payment = listener.datagrams.find((d) => d.text.includes('health.payment'))
    expect(payment?.bytes).toBeLessThanOrEqual(512)
    expect(listener.serviceChecks[2]?.message?.length).toBeGreaterThan(100)
  })

  it('writes through your own hot-shots client and leaves it open on close', async () => {
    const listener = await listen()
    const client = new StatsD({
      host: '127.0.0.1',
      port: listener.port,
      maxBufferSize: 1432,
      globalTags: { team: 'web' },
      includeDataDogTags: false,
      datadog: false,
    })
    cleanups.push(() => new Promise<void>((resolve) => client.close(() => resolve())))
    const sink = datadogMetrics({ client, globalTags: {} })
    sink.increment('orders.created', 2)
    await sink.close()
    client.increment('still.open')
    client.flush()
    await listener.waitForLines(2)
    expect(listener.lines).toEqual([
      `vivr.orders.created:2|c|#team:web,${GLOBAL_TAGS.join(',')}`,
      'still.open:1|c|#team:web',
    ])
  })

  it('takes host and port from DD_AGENT_HOST / DD_AGENT_PORT', async () => {
    const listener = await listen()
    pinDatadogEnv({ DD_AGENT_HOST: '127.0.0.1', DD_AGENT_PORT: String(listener.port) })
    const sink = datadogMetrics()
    cleanups.push(() => sink.close())
    sink.increment('customers.signups')
    await sink.flush()
    await listener.waitForLines(1)
    expect(listener.metrics[0]?.name).toBe('vivr.customers.signups')
  })

  it('global tags: DD_ENV and DD_VERSION win, the service option wins, unset ones are left out', async () => {
    const listener = await listen()
    pinDatadogEnv({ DD_ENV: 'staging', DD_VERSION: '2.0.0', NODE_ENV: 'production' })
    const sink = sinkTo(listener, { service: 'checkout', globalTags: { region: 'eu-west-1' } })
    sink.increment('a')
    pinDatadogEnv({ APP_VERSION: '', DD_SERVICE: '' })
    const bare = sinkTo(listener, { prefix: 'shop' })
    bare.increment('b')
    await sink.flush()
    await bare.flush()
    await listener.waitForLines(2)
    expect([...listener.lines].sort()).toEqual([
      'shop.b:1|c|#env:test',
      'vivr.a:1|c|#env:staging,service:checkout,version:2.0.0,region:eu-west-1',
    ])
  })
})
