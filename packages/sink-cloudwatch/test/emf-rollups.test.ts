import { httpTags, METRIC, OptionError, TAG } from '@vivr/core'
import { recordHttpRequest } from '@vivr/core/node'
import { type EmfMetric, extractEmfMetrics } from '@vivr/testkit'
import { describe, expect, it } from 'vitest'
import { type CloudWatchMetricsOptions, cloudwatchMetrics, emfUnit, SERVICE_ROLLUPS } from '../src/index.js'

// The `rollups` option: extra dimension sets in the same record, read back the way CloudWatch extracts them.

async function emitted(
  options: CloudWatchMetricsOptions,
  record: (sink: ReturnType<typeof cloudwatchMetrics>) => void,
): Promise<{ lines: string[]; metrics: EmfMetric[] }> {
  const lines: string[] = []
  const sink = cloudwatchMetrics({
    namespace: 'VIVR',
    dimensions: { service: 'store', environment: 'test' },
    destination: { write: (line) => lines.push(line) },
    trace: false,
    ...options,
  })
  record(sink)
  await sink.close?.()
  const { metrics, errors } = extractEmfMetrics(lines)
  expect(errors).toEqual([])
  return { lines, metrics }
}

/** Sum of one metric's values per dimension set (as `key=value` lists), as CloudWatch would aggregate them. */
function sums(metrics: EmfMetric[], name: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const m of metrics.filter((m) => m.name === name)) {
    const key = Object.entries(m.dimensions)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(',')
    out[key] = (out[key] ?? 0) + m.values.reduce((a, b) => a + b, 0)
  }
  return out
}

const requests = (sink: ReturnType<typeof cloudwatchMetrics>) => {
  recordHttpRequest(sink, { method: 'GET', route: '/a', statusCode: 200 }, 10)
  recordHttpRequest(sink, { method: 'POST', route: '/a', statusCode: 503 }, 20)
  recordHttpRequest(sink, { method: 'GET', route: '/b', statusCode: 200 }, 30)
  sink.gauge(METRIC.healthCheckStatus, 1, { [TAG.check]: 'database' })
}

describe('cloudwatchMetrics rollups', () => {
  it('writes no extra dimension set by default', async () => {
    const { metrics } = await emitted({}, requests)
    expect(Object.keys(sums(metrics, METRIC.httpRequests))).toEqual([
      'environment=test,method=GET,route=/a,service=store,status_code=200',
      'environment=test,method=POST,route=/a,service=store,status_code=503',
      'environment=test,method=GET,route=/b,service=store,status_code=200',
    ])
  })

  it('SERVICE_ROLLUPS: request metrics also per route and per service, other metrics untouched', async () => {
    const { metrics, lines } = await emitted({ rollups: SERVICE_ROLLUPS }, requests)
    expect(sums(metrics, METRIC.httpRequests)).toEqual({
      'environment=test,method=GET,route=/a,service=store,status_code=200': 1,
      'environment=test,method=POST,route=/a,service=store,status_code=503': 1,
      'environment=test,method=GET,route=/b,service=store,status_code=200': 1,
      'environment=test,route=/a,service=store': 2,
      'environment=test,route=/b,service=store': 1,
      'environment=test,service=store': 3,
    })
    expect(sums(metrics, METRIC.errors)).toMatchObject({
      'environment=test,route=/a,service=store': 1,
      'environment=test,service=store': 1,
    })
    const duration = metrics.filter(
      (m) => m.name === METRIC.httpRequestDuration && Object.keys(m.dimensions).length === 2,
    )
    expect(duration.flatMap((m) => m.values).sort((a, b) => a - b)).toEqual([10, 20, 30])
    expect(new Set(duration.map((m) => m.unit))).toEqual(new Set(['Milliseconds']))
    expect(Object.keys(sums(metrics, METRIC.healthCheckStatus))).toEqual([
      'check=database,environment=test,service=store',
    ])
    // The values are written once: the rollups are more dimension sets in the same records.
    expect(lines).toHaveLength(4)
  })

  it('skips a rollup whose tag the record lacks, and never repeats a dimension set', async () => {
    const { metrics } = await emitted(
      {
        rollups: [
          { metrics: [METRIC.httpRequests], tags: [TAG.route] },
          { metrics: [METRIC.httpRequests], tags: [TAG.route, 'service'] },
          { tags: [] },
        ],
      },
      (sink) => {
        sink.increment(METRIC.httpRequests, 2, { [TAG.method]: 'GET' })
        sink.increment(METRIC.httpRequests, 1, { [TAG.route]: '/a' })
        sink.increment(METRIC.ordersCreated, 1)
      },
    )
    expect(sums(metrics, METRIC.httpRequests)).toEqual({
      'environment=test,method=GET,service=store': 2,
      'environment=test,route=/a,service=store': 1,
      'environment=test,service=store': 3,
    })
    // `{ tags: [] }` for a metric with no tags is its own set: written once.
    expect(metrics.filter((m) => m.name === METRIC.ordersCreated)).toHaveLength(1)
  })

  it('gives metrics with different rollups in one document their own directives', async () => {
    const { lines, metrics } = await emitted(
      { rollups: [{ metrics: [METRIC.httpRequests], tags: [] }] },
      (sink) => {
        const tags = httpTags('GET', '/a', 200)
        sink.increment(METRIC.httpRequests, 1, tags)
        sink.timing(METRIC.httpRequestDuration, 5, tags)
      },
    )
    expect(lines).toHaveLength(1)
    const aws = JSON.parse(lines[0]!)._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }
    expect(aws.CloudWatchMetrics.map((d) => d.Dimensions.length).sort()).toEqual([1, 2])
    expect(metrics.filter((m) => m.name === METRIC.httpRequestDuration)).toHaveLength(1)
    expect(metrics.filter((m) => m.name === METRIC.httpRequests)).toHaveLength(2)
  })

  it.each([
    ['rollups', 'per-route'],
    ['rollups[0]', null],
    ['rollups[0].tags', undefined],
    ['rollups[0].tags', ['route', 'route']],
    ['rollups[0].tags', ['_aws']],
    ['rollups[0].tags', Array.from({ length: 29 }, (_, i) => `t${i}`)],
    ['rollups[0].metrics', []],
    ['rollups[0].metrics', [METRIC.httpRequests, '']],
  ])('rejects a bad %s (%j) at construction, naming the option', (option, bad) => {
    const rollups =
      option === 'rollups'
        ? bad
        : [
            option.endsWith('.metrics')
              ? { metrics: bad, tags: [] }
              : option === 'rollups[0]'
                ? bad
                : { tags: bad },
          ]
    const create = () =>
      cloudwatchMetrics({ dimensions: { service: 'a', environment: 'b' }, rollups: rollups as never })
    expect(create).toThrow(OptionError)
    expect(create).toThrow(`Invalid option ${option}:`)
  })
})

describe('emfUnit', () => {
  it('is the unit the sink writes: the vocabulary’s for kit metrics, else by kind', async () => {
    const { metrics } = await emitted({}, (sink) => {
      sink.gauge(METRIC.healthCheckLatency, 12)
      sink.gauge(METRIC.rss, 1)
      sink.increment(METRIC.gcPause, 0.5)
      sink.timing('custom.timing', 3)
      sink.gauge('custom.gauge', 3)
    })
    expect(metrics).toHaveLength(5)
    for (const m of metrics) {
      const kind = m.name === 'custom.timing' ? 'timing' : m.name === METRIC.gcPause ? 'increment' : 'gauge'
      expect(emfUnit(kind, m.name), m.name).toBe(m.unit)
    }
    expect(emfUnit('gauge', METRIC.healthCheckLatency)).toBe('Milliseconds')
    expect(emfUnit('increment', METRIC.gcPause)).toBe('Seconds')
  })
})
