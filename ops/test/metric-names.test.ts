import { type ChildProcess, spawn } from 'node:child_process'
import { labelSchemasBySample, unusedPort } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bucketBounds, labelNamesBySample, sampleNames, scrape, waitForHttp } from './support/exposition.js'
import { type MetricsApp, startMetricsApp } from './support/metrics-app.js'
import { type Dashboard, dashboardQueries, metricNames, variableMetrics } from './support/promql.js'
import { readOpsFile, readOpsYaml, run } from './support/tools.js'

/**
 * Every metric the alert rules and the dashboard name must exist: either in a real scrape of the app's
 * /api/metrics, or under a named exporter in ops/external-metrics.yml (whose Debian-packaged exporters are
 * scraped for real here too).
 *
 * The app scraped is a small real one built from the kit (support/metrics-app.ts). To check the demo store
 * instead, run it, send it some traffic, and set DEMO_METRICS_URL=http://127.0.0.1:3000/api/metrics.
 */

interface ExternalSource {
  source: string
  metrics: string[]
}
interface Rule {
  alert?: string
  expr: string
}

const external = readOpsYaml<Record<string, ExternalSource>>('external-metrics.yml')
const exporterOf = new Map(
  Object.entries(external).flatMap(([exporter, { metrics }]) => metrics.map((m) => [m, exporter] as const)),
)

const ruleUses = readOpsYaml<{ groups: { rules: Rule[] }[] }>('prometheus/rules.yml')
  .groups.flatMap((group) => group.rules)
  .flatMap((rule) => metricNames(rule.expr).map((metric) => ({ where: `rule ${rule.alert}`, metric })))
const dashboard = JSON.parse(readOpsFile('grafana/vivr-dashboard.json')) as Dashboard
const dashboardUses = [
  ...dashboardQueries(dashboard).flatMap((q) =>
    metricNames(q.expr).map((metric) => ({ where: q.where, metric })),
  ),
  ...variableMetrics(dashboard),
]

/** The uses whose metric is neither scraped nor from a named exporter. */
function unexplained(uses: { where: string; metric: string }[], scraped: Set<string>) {
  return uses.filter(({ metric }) => !scraped.has(metric) && !exporterOf.has(metric))
}

let app: MetricsApp | undefined
let exposition = ''
let scraped = new Set<string>()

beforeAll(async () => {
  let url = process.env.DEMO_METRICS_URL
  if (!url) {
    app = await startMetricsApp()
    await app.exercise()
    url = app.metricsUrl
  }
  exposition = await scrape(url)
  scraped = sampleNames(exposition)
})
afterAll(() => app?.close())

describe('metric names in ops/ against a real scrape of the app', () => {
  it('the scrape has the kit’s metrics (a sanity check of the scrape itself)', () => {
    expect(scraped.size).toBeGreaterThan(30)
    expect(scraped).toContain('http_requests_total')
    expect(scraped).toContain('health_check_status')
  })

  it('every metric an alert rule names is scraped or comes from a named exporter', () => {
    expect(ruleUses.length).toBeGreaterThan(10)
    expect(unexplained(ruleUses, scraped)).toEqual([])
  })

  it('every metric the dashboard names is scraped or comes from a named exporter', () => {
    expect(dashboardUses.length).toBeGreaterThan(30)
    expect(unexplained(dashboardUses, scraped)).toEqual([])
  })

  it("flags the guide's names that nothing exports", () => {
    const guide = [
      { where: 'guide DatabaseConnectionPoolExhausted', metric: 'pg_connections_available' },
      { where: 'guide HighMemoryUsage', metric: 'container_memory_usage_bytes' },
      { where: 'guide SlowQueryDetected', metric: 'database_slow_queries_total' },
    ]
    expect(unexplained(guide, scraped)).toEqual(guide)
  })

  it('lists each external metric under one exporter, only when used, and never one the app exports', () => {
    const used = new Set([...ruleUses, ...dashboardUses].map((use) => use.metric))
    for (const [exporter, { source, metrics }] of Object.entries(external)) {
      expect(source, exporter).toBeTruthy()
      for (const metric of metrics) {
        expect(used, `${metric} (${exporter}) is listed but unused`).toContain(metric)
        expect(scraped, `${metric} is exported by the app, not ${exporter}`).not.toContain(metric)
      }
    }
    const all = Object.values(external).flatMap((e) => e.metrics)
    expect(new Set(all).size).toBe(all.length)
  })

  it('carries the labels the rules group by and the runbooks name', () => {
    // Subsets: an app may add its own default labels (the demo store adds `service`).
    const labels = (sample: string) => [...(labelNamesBySample(exposition).get(sample) ?? [])]
    expect(labels('http_requests_total')).toEqual(expect.arrayContaining(['method', 'route', 'status_code']))
    expect(labels('http_request_duration_seconds_bucket')).toEqual(
      expect.arrayContaining(['le', 'method', 'route', 'status_code']),
    )
    expect(labels('health_check_status')).toContain('check')
    expect(labels('health_check_latency_seconds')).toContain('check')
    expect(labels('slow_queries_total')).toEqual(expect.arrayContaining(['model', 'operation']))
    expect(labels('database_query_duration_seconds_bucket')).toEqual(
      expect.arrayContaining(['le', 'model', 'operation']),
    )
    expect(labels('runtime_gc_pause_seconds_total')).toContain('kind')
    expect(labels('runtime_event_loop_delay_p99_seconds')).not.toContain('quantile')
  })

  it('has one label schema per metric: every series of a metric carries the same label names', () => {
    const mixed = [...labelSchemasBySample(exposition)].filter(([, schemas]) => schemas.size > 1)
    expect(mixed.map(([sample, schemas]) => `${sample}: {${[...schemas].join('} {')}}`)).toEqual([])
  })

  it('exports the bucket bounds the HighResponseTime unit test uses, with the 5 s threshold on a bound', () => {
    const scrapedBounds = bucketBounds(exposition, 'http_request_duration_seconds')
    const testBounds = [
      ...readOpsFile('prometheus/tests/HighResponseTime.yml').matchAll(
        /http_request_duration_seconds_bucket\{[^}]*le="([^"]+)"/g,
      ),
    ]
      .map((m) => m[1]!)
      .filter((le, i, all) => le !== '+Inf' && all.indexOf(le) === i)
      .map(Number)
    expect(testBounds).toEqual(scrapedBounds)
    // histogram_quantile cannot report more than the largest finite bound: the threshold must be below it.
    expect(scrapedBounds).toContain(5)
    expect(Math.max(...scrapedBounds)).toBeGreaterThan(5)
  })

  it("passes promtool's metrics linter, except prom-client's own default gauges named *_total", async () => {
    const lint = await run('promtool', ['check', 'metrics'], { input: exposition })
    const findings = lint.output.split('\n').filter(Boolean)
    const promClientDefaults = /^nodejs_active_(handles|requests|resources)_total non-counter metrics/
    expect(findings.filter((line) => !promClientDefaults.test(line))).toEqual([])
  })
})

describe('external metrics from the real exporters Debian packages', () => {
  it('node_exporter produces the node_* metrics the rules use', async () => {
    const port = await unusedPort()
    const text = await scrapeExporter(
      'prometheus-node-exporter',
      [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.filesystem'],
      port,
    )
    const names = sampleNames(text)
    for (const metric of external.node_exporter!.metrics) expect(names, metric).toContain(metric)
  })

  it('postgres_exporter, against the shared PostgreSQL, produces the pg_* metrics the rules and dashboard use', async () => {
    const port = await unusedPort()
    const text = await scrapeExporter(
      'prometheus-postgres-exporter',
      [`--web.listen-address=127.0.0.1:${port}`],
      port,
      { DATA_SOURCE_NAME: 'postgresql://postgres@127.0.0.1:5432/test?sslmode=disable' },
    )
    const names = sampleNames(text)
    for (const metric of external.postgres_exporter!.metrics) expect(names, metric).toContain(metric)
    expect(labelNamesBySample(text).get('pg_stat_activity_count')).toContain('state')
  })
})

/** Starts an exporter on loopback, scrapes it once, stops it (by its own pid). */
async function scrapeExporter(command: string, args: string[], port: number, env: NodeJS.ProcessEnv = {}) {
  let child: ChildProcess | undefined
  try {
    child = await new Promise<ChildProcess>((resolve, reject) => {
      const spawned = spawn(command, args, { env: { ...process.env, ...env }, stdio: 'ignore' })
      spawned.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new Error(`${command} is not installed: apt-get install -y ${command}`)
            : error,
        ),
      )
      spawned.once('spawn', () => resolve(spawned))
    })
    const url = `http://127.0.0.1:${port}/metrics`
    await waitForHttp(url)
    return await scrape(url)
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }
}
