import { spawnSync } from 'node:child_process'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createHealth, publishHealth, type Tags } from '@vivr/core'
import { type PrometheusMetrics, prometheusMetrics } from '@vivr/sink-prometheus'
import { memoryLogger } from '@vivr/testkit'
import { hostileMetricCall, leaks, secretInText, textAround, throwingProxy } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { Gauge, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { parseExposition } from './exposition.js'

/*
 * The denial-of-service suite of the Prometheus sink: the worst names, values and tags a caller can pass, through
 * every metric call and the /metrics handler. Nothing may throw or take long, memory and series stay bounded
 * whatever the input, the exposition stays valid (our parser, and promtool when it is installed), and no secret
 * leaves through a scrape.
 */

const DEADLINE_MS = 1000
const runs = (numRuns: number) => ({ seed: 20_261_128, numRuns })

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function heapMb(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed / 1024 / 1024
}

function within(label: string, call: () => unknown): void {
  const started = performance.now()
  expect(call, label).not.toThrow()
  expect(performance.now() - started, label).toBeLessThan(DEADLINE_MS)
}

const hasPromtool = spawnSync('promtool', ['--version']).status === 0

/** The exposition parses (ours), and promtool finds no format error in it. */
async function expectValidExposition(sink: PrometheusMetrics): Promise<string> {
  const started = performance.now()
  const response = await sink.metricsHandler(new Request('http://127.0.0.1/metrics'))
  expect(performance.now() - started).toBeLessThan(DEADLINE_MS)
  const text = await response.text()
  expect(response.status, text.slice(0, 500)).toBe(200)
  expect(() => parseExposition(text)).not.toThrow()
  if (hasPromtool) {
    const result = spawnSync('promtool', ['check', 'metrics'], {
      input: text,
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(result.error).toBeUndefined()
    // Lint remarks about odd names are fine; a line promtool cannot parse is not.
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/error while linting|parsing error/i)
  }
  return text
}

const bigString = () => 'x'.repeat(10 * 1024 * 1024)

describe('prometheusMetrics under hostile input', () => {
  it('metric calls: any name, value and tags; no throw, no stall, a valid exposition', async () => {
    const sink = prometheusMetrics({ maxTagSets: 50 })
    fc.assert(
      fc.property(hostileMetricCall(), (call) => {
        const [name, value, tags] = call.args()
        const method = sink[call.kind] as (n: unknown, v: unknown, t?: unknown) => void
        within(call.label, () => method.call(sink, name, value, tags))
      }),
      runs(200),
    )
    const text = await expectValidExposition(sink)
    expect(text).not.toMatch(/^forged/m)
  })

  it('label values with newlines, quotes and backslashes come back exactly; long ones are cut', async () => {
    const sink = prometheusMetrics()
    const awkward = 'a "quoted" back\\slash\nnew line\\n \r\t} ✓'
    sink.gauge('label.escape', 1, { text: awkward, long: 'v'.repeat(5000) })
    sink.histogram('label.escape_histogram', 2, { text: awkward, le: 'mine' })
    const exposition = parseExposition(await expectValidExposition(sink))
    const gauge = exposition.find('label_escape', { text: awkward })
    expect(gauge?.value).toBe(1)
    expect(gauge?.labels.long?.length).toBeLessThanOrEqual(1024)
    expect(exposition.find('label_escape_histogram_count', { text: awkward, le_: 'mine' })?.value).toBe(1)
  })

  it('metrics named like Object.prototype members never break a scrape', async () => {
    const sink = prometheusMetrics({ help: {}, bucketsByName: {} })
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      sink.gauge(name, 1)
      sink.increment(name, 1)
      sink.timing(name, 5)
    }
    const exposition = parseExposition(await expectValidExposition(sink))
    // Help and buckets are looked up by own key only: `help.toString` used to be Object.prototype.toString, and a
    // function as help text failed every later scrape with a 500.
    expect(exposition.help.get('toString_total')).toBe('toString (increment)')
    expect(exposition.find('toString_total')?.value).toBe(1)
    expect(exposition.find('constructor_seconds_count')?.value).toBe(1)
    expect(exposition.help.get('proto')).toBe('__proto__ (gauge)')
    // prom-client's registry looks names up in a plain object, so it takes a gauge named `constructor` for a
    // metric it has: such calls are dropped as a name clash, counted, and the scrape goes on.
    expect(sink.stats().droppedConflict).toBeGreaterThan(0)
  })

  it('the /metrics handler answers any method and survives a collector that throws anything', async () => {
    const registry = new Registry()
    let thrown: unknown
    new Gauge({
      name: 'collector_breaks',
      help: 'throws on collect',
      registers: [registry],
      collect() {
        if (thrown !== undefined) throw thrown
      },
    })
    const sink = prometheusMetrics({ registry })
    for (const method of ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS', 'PATCH']) {
      const response = await sink.metricsHandler(new Request('http://127.0.0.1/metrics', { method }))
      expect(response.status, method).toBe(method === 'GET' || method === 'HEAD' ? 200 : 405)
    }
    const cases: unknown[] = [
      throwingProxy(),
      10n,
      Symbol('s'),
      { message: { nested: 1 } },
      bigString(),
      null,
    ]
    for (const value of cases) {
      thrown = value
      const response = await sink.metricsHandler(new Request('http://127.0.0.1/metrics'))
      expect(response.status).toBe(500)
      expect((await response.text()).length).toBeLessThan(1024)
    }
  })
})

describe('prometheusMetrics memory and series stay bounded whatever the input', () => {
  it('distinct huge names, label values and label names hold almost nothing; label sets fold', async () => {
    const sink = prometheusMetrics({ maxTagSets: 100 })
    const before = heapMb()
    const megabyte = 'm'.repeat(1024 * 1024)
    for (let i = 0; i < 150; i++) {
      sink.increment(`${i}${megabyte}`, 1)
      sink.gauge('big.label_value', 1, { route: `${i}${megabyte}` })
      sink.gauge('big.label_name', 1, { [`${i}${megabyte}`]: 'v' })
      // A dotted name that aliases one metric many ways (`a..b`, `a...b`) must not be remembered per spelling.
      sink.increment(`alias${'.'.repeat(i + 1)}name${megabyte.slice(0, 10_000)}`, 1)
    }
    for (let i = 0; i < 20_000; i++) sink.increment('many.users', 1, { user: `user-${i}` })
    for (let i = 0; i < 300; i++) sink.increment('varying.names', 1, { [`user_${i}`]: 'x' })
    // Without bounds this holds 450 MB of names and labels: far past the limit below.
    expect(heapMb() - before).toBeLessThan(64)
    const stats = sink.stats()
    // many.users and big.label_value: 100 sets plus `other`. big.label_name and varying.names: their label names
    // vary, so each folded set is a new series too, up to twice the limit; past it, calls are dropped.
    expect(stats.series).toBeLessThanOrEqual(101 + 101 + 150 + 200 + 1)
    expect(stats.foldedLabelSets).toBeGreaterThan(0)
    expect(stats.droppedTooManySeries).toBe(100)
    const text = await expectValidExposition(sink)
    expect(text).toContain('many_users_total{user="other"} 19900')
  })
})

describe('prometheus: no secret leaves through a scrape', () => {
  it('a collector that throws a secret answers 500 without it', async () => {
    const registry = new Registry()
    let message = ''
    new Gauge({
      name: 'collector_secret',
      help: 'throws a secret',
      registers: [registry],
      collect() {
        throw new Error(message)
      },
    })
    const sink = prometheusMetrics({ registry })
    for (const planted of fc.sample(textAround(secretInText()), { seed: 5, numRuns: 100 })) {
      message = planted.text
      const response = await sink.metricsHandler(new Request('http://127.0.0.1/metrics'))
      const body = await response.text()
      expect(response.status).toBe(500)
      expect(leaks(body, planted.secret), `${planted.kind}: ${body}`).toBe(false)
    }
  })

  it('publishHealth: secrets in check messages, thrown errors and details never reach the exposition', async () => {
    const planted = fc.sample(textAround(secretInText()), { seed: 6, numRuns: 40 })
    let index = 0
    const next = () => planted[index % planted.length]!
    const sink = prometheusMetrics()
    const health = createHealth({
      includeMetrics: false,
      checks: [
        { name: 'degraded', run: () => ({ status: 'degraded', message: next().text }) },
        { name: 'details', run: () => ({ status: 'ok', details: { dsn: next().text } }) },
        {
          name: 'thrown',
          run: () => {
            throw new Error(next().text)
          },
        },
      ],
    })
    publishHealth(health, sink)
    for (; index < planted.length; index++) {
      await health.run()
      const text = await expectValidExposition(sink)
      expect(text).toContain('health_check_status{check="thrown"} 0')
      expect(leaks(text, planted[index]!.secret), planted[index]!.kind).toBe(false)
    }
  })

  it('a secret in a label value never reaches the exposition, however long the value', async () => {
    const sink = prometheusMetrics()
    const planted = fc.sample(textAround(secretInText()), { seed: 8, numRuns: 150 })
    for (const [i, { text }] of planted.entries()) {
      sink.increment('labelled.count', 1, { detail: text, i })
      sink.timing('labelled.duration', 5, { detail: text, i })
      sink.gauge('labelled.long', 1, { detail: `${'x'.repeat(1000)} ${text}`, i })
    }
    sink.gauge('labelled.card_as_number', 1, { card: 4_111_111_111_111_111 })
    const text = await expectValidExposition(sink)
    for (const { secret, kind } of planted) expect(leaks(text, secret), kind).toBe(false)
    expect(text).not.toContain('4111111111111111')
  })

  it('a logger that throws on the label-set warning is contained', () => {
    const logger = memoryLogger()
    const broken = prometheusMetrics({
      logger: Object.assign(logger, {
        warn: () => {
          throw new Error('broken logger')
        },
      }),
      maxTagSets: 1,
    })
    within('broken logger', () => {
      broken.gauge('folded', 1, { a: '1' })
      broken.gauge('folded', 1, { a: '2' } as Tags)
    })
    expect(broken.stats().foldedLabelSets).toBe(1)
  })
})
