import type { Clock, LogDestination, MetricKind } from '@vivr/core'
import { systemClock } from '@vivr/core'
import {
  type CloudWatchLogsServer,
  type EmfMetric,
  extractEmfMetrics,
  parseEmf,
  startCloudWatchLogsServer,
} from '@vivr/testkit'
import { describeMetricSinkContract } from '@vivr/testkit/contracts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cloudwatchLogs, cloudwatchMetrics } from '../src/index.js'
import { loopbackConfig } from './helpers.js'

let server: CloudWatchLogsServer
let groupCounter = 0

beforeAll(async () => {
  server = await startCloudWatchLogsServer()
})
afterAll(async () => {
  await server.close()
})

function kindOf(metric: EmfMetric): MetricKind {
  if (metric.unit === 'Count') return 'increment'
  if (metric.unit === 'Milliseconds') return 'timing'
  return metric.isArray ? 'histogram' : 'gauge'
}

// The whole path: EMF lines → cloudwatchLogs → PutLogEvents → the metrics CloudWatch would extract.
describeMetricSinkContract('cloudwatchMetrics (EMF through cloudwatchLogs)', () => {
  const logGroupName = `/vivr/test/emf-${++groupCounter}`
  const destination = cloudwatchLogs({
    logGroupName,
    clientConfig: loopbackConfig(server),
    fallback: () => {},
  })
  const sink = cloudwatchMetrics({ namespace: 'VIVR', dimensions: { service: 'store' }, destination })
  return {
    sink,
    async expectDelivered(sent) {
      const { metrics, errors } = extractEmfMetrics(server.groupEvents(logGroupName).map((e) => e.message))
      expect(errors).toEqual([])
      expect(metrics.every((m) => m.namespace === 'VIVR' && m.dimensions.service === 'store')).toBe(true)
      for (const s of sent) {
        const tags = Object.fromEntries(Object.entries(s.tags).map(([k, v]) => [k, String(v)]))
        const found = metrics.find(
          (m) => m.name === s.name && kindOf(m) === s.kind && m.values.includes(s.value),
        )
        expect(found, `${s.kind} ${s.name}`).toBeDefined()
        const { service, ...rest } = found!.dimensions
        expect(rest).toEqual(tags)
      }
    },
    dispose: () => destination.close(),
  }
})

function memoryDestination(): LogDestination & { lines: string[] } {
  const lines: string[] = []
  return { lines, write: (line) => lines.push(line), flush: async () => {} }
}

describe('cloudwatchMetrics aggregation', () => {
  it('sums counters, keeps the last gauge and every timing sample per interval', async () => {
    const destination = memoryDestination()
    const sink = cloudwatchMetrics({ destination, dimensions: { service: 'api' } })
    sink.increment('orders.created', 1, { route: '/checkout' })
    sink.increment('orders.created', 2, { route: '/checkout' })
    sink.increment('orders.created', 1, { route: '/cart' })
    sink.gauge('cache.hit_rate', 0.5)
    sink.gauge('cache.hit_rate', 0.75)
    sink.timing('api.response_time', 12)
    sink.timing('api.response_time', 30)
    expect(destination.lines).toEqual([])
    await sink.flush?.()
    const { metrics, errors } = extractEmfMetrics(destination.lines)
    expect(errors).toEqual([])
    const pick = (name: string, route?: string) =>
      metrics.filter((m) => m.name === name && m.dimensions.route === route).map((m) => m.values)
    expect(pick('orders.created', '/checkout')).toEqual([[3]])
    expect(pick('orders.created', '/cart')).toEqual([[1]])
    expect(pick('cache.hit_rate')).toEqual([[0.75]])
    expect(pick('api.response_time')).toEqual([[12, 30]])
    // One document per dimension set: metrics with the same dimensions share it.
    expect(destination.lines).toHaveLength(3)
    const untagged = JSON.parse(destination.lines.find((l) => l.includes('cache.hit_rate'))!)
    expect(untagged._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'VIVR',
      Dimensions: [['service']],
      Metrics: [
        { Name: 'cache.hit_rate', Unit: 'None' },
        { Name: 'api.response_time', Unit: 'Milliseconds' },
      ],
    })
  })

  it('writes a timing line early at 100 samples (the EMF limit per metric)', () => {
    const destination = memoryDestination()
    const sink = cloudwatchMetrics({ destination })
    for (let i = 0; i < 250; i++) sink.timing('db.query', i)
    const { metrics } = extractEmfMetrics(destination.lines)
    expect(metrics.map((m) => m.values.length)).toEqual([100, 100])
  })

  it('writes after flushIntervalMs on its own, or at once with flushIntervalMs: 0', async () => {
    const destination = memoryDestination()
    const timed = cloudwatchMetrics({ destination, flushIntervalMs: 50 })
    timed.increment('signups')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(destination.lines).toHaveLength(1)
    const immediate = memoryDestination()
    cloudwatchMetrics({ destination: immediate, flushIntervalMs: 0 }).gauge('queue.depth', 4)
    expect(immediate.lines).toHaveLength(1)
  })

  it('keeps documents valid with many, empty or colliding tags', async () => {
    const destination = memoryDestination()
    const clock: Clock = { ...systemClock, now: () => 1_700_000_000_000 }
    const sink = cloudwatchMetrics({ destination, clock, dimensions: { env: 'prod' } })
    const many = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`t${String(i).padStart(2, '0')}`, i]),
    )
    sink.increment('wide', 1, many)
    sink.increment('x', 1, { empty: '', x: 'same as name', _aws: 'nope' })
    await sink.flush?.()
    const { metrics, errors } = extractEmfMetrics(destination.lines)
    expect(errors).toEqual([])
    const wide = metrics.find((m) => m.name === 'wide')!
    expect(Object.keys(wide.dimensions)).toHaveLength(30)
    expect(JSON.parse(destination.lines[0]!).t39).toBe('39') // kept as a property, searchable in Logs Insights
    expect(metrics.find((m) => m.name === 'x')!.dimensions).toEqual({ env: 'prod' })
    expect(wide.timestamp).toBe(1_700_000_000_000)
  })

  it('keeps every document one valid EMF object within the 256 KB event limit, however wide or long', async () => {
    const destination = memoryDestination()
    const sink = cloudwatchMetrics({ destination, dimensions: { service: 'api' } })
    // Thousands of tags (only 30 can be dimensions; the rest become properties), some with huge keys.
    const wide = Object.fromEntries(
      Array.from({ length: 5000 }, (_, i) => [
        `tag${String(i).padStart(4, '0')}`,
        `${'日'.repeat(1500)}${i}`,
      ]),
    )
    wide[`${'k'.repeat(100_000)}`] = 'huge key'
    sink.increment('wide.counter', 1, wide)
    // 100 metrics × 100 full-precision samples, 255-character names, 29 long dimension values.
    const long = Object.fromEntries(
      Array.from({ length: 29 }, (_, i) => [`d${i}`.padEnd(250, 'd'), `x${'🚀'.repeat(600)}`]),
    )
    const names = Array.from({ length: 100 }, (_, i) => `m${i}`.padEnd(300, 'n'))
    for (const name of names) {
      for (let i = 0; i < 99; i++) sink.timing(name, -Math.PI * 1e-300 * (i + 1), long)
    }
    await sink.flush?.()
    for (const line of destination.lines) {
      expect(Buffer.byteLength(line) + 26).toBeLessThanOrEqual(262_144)
      // JSON.stringify writes half a surrogate pair as an escape: no value was cut inside a character.
      expect(line).not.toMatch(/\\ud[89a-f][0-9a-f]{2}/i)
    }
    const { metrics, errors } = extractEmfMetrics(destination.lines)
    expect(errors).toEqual([])
    const counter = metrics.filter((m) => m.name === 'wide.counter')
    expect(counter.map((m) => m.values)).toEqual([[1]])
    expect(Object.keys(counter[0]!.dimensions)).toHaveLength(30)
    for (const name of names) {
      const found = metrics.filter((m) => m.name === name.slice(0, 255))
      expect(found.flatMap((m) => m.values)).toHaveLength(99)
      expect(Object.keys(found[0]!.dimensions)).toHaveLength(30)
    }
  })

  it('is rejected by the EMF validator when a document is malformed (the validator can fail)', () => {
    expect(
      parseEmf(
        '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"V","Dimensions":[["a"]],"Metrics":[{"Name":"m"}]}]},"m":1}',
      ),
    ).toEqual({
      error: 'dimension a must reference a string of 1–1024 characters at the root',
    })
    expect(parseEmf('{"level":"INFO"}')).toEqual({ metrics: [] })
  })
})
