import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { type Dashboard, dashboardQueries, metricNames, withGrafanaVariables } from './support/promql.js'
import { readOpsFile, run } from './support/tools.js'

interface GridPos {
  x: number
  y: number
  w: number
  h: number
}
interface Panel {
  id: number
  type: string
  title: string
  gridPos: GridPos
  datasource?: { type: string; uid: string }
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[]
}

interface DashboardModel {
  schemaVersion: number
  uid: string
  title: string
  id: unknown
  panels: Panel[]
  templating: { list: { name: string; type: string; query?: unknown }[] }
}

const text = readOpsFile('grafana/vivr-dashboard.json')
const dashboard = JSON.parse(text) as DashboardModel
const queries = dashboardQueries(JSON.parse(text) as Dashboard)
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template.
const DATASOURCE_UID = '${datasource}'

const scratch = mkdtempSync(join(tmpdir(), 'vivr-dashboard-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('ops/grafana/vivr-dashboard.json', () => {
  it('is an importable dashboard model: no id, a uid, a schemaVersion and a Prometheus data source variable', () => {
    expect(dashboard.id).toBeNull()
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/)
    expect(dashboard.title).toBe('VIVR Production Monitoring')
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36)
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    )
  })

  it('lays panels out on the 24-column grid without overlaps, with unique ids', () => {
    const ids = dashboard.panels.map((panel) => panel.id)
    expect(new Set(ids).size).toBe(ids.length)
    const cells = new Map<string, string>()
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos
      expect(x + w, panel.title).toBeLessThanOrEqual(24)
      expect(Math.min(x, y, w - 1, h - 1), panel.title).toBeGreaterThanOrEqual(0)
      for (let row = y; row < y + h; row++) {
        for (let col = x; col < x + w; col++) {
          const key = `${col},${row}`
          expect(cells.get(key), `${panel.title} overlaps ${cells.get(key)}`).toBeUndefined()
          cells.set(key, panel.title)
        }
      }
    }
  })

  it("has the guide's panels plus health and business panels, all querying through $datasource", () => {
    const titles = dashboard.panels.map((panel) => panel.title)
    for (const title of [
      'Requests per second',
      'Error rate',
      'Query time p95 by model',
      'Active connections',
      'Check status',
      'Check latency',
      'Orders per minute',
      'Revenue processed',
    ]) {
      expect(titles).toContain(title)
    }
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: DATASOURCE_UID })
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0)
      for (const target of panel.targets ?? [])
        expect(target.datasource?.uid, panel.title).toBe(DATASOURCE_UID)
    }
  })

  it('fixes the guide: p95 from rates of buckets, errors as a share of requests', () => {
    const p95 = queries.find((q) => q.where.startsWith('panel "Query time p95 by model"'))!
    expect(p95.expr).toMatch(
      /^histogram_quantile\(0\.95, sum by \(model, le\) \(rate\(database_query_duration_seconds_bucket\{.*\}\[\$__rate_interval\]\)\)\)$/,
    )
    const errorRate = queries.find((q) => q.where === 'panel "Error rate" A')!
    expect(errorRate.expr).toMatch(/status_code=~"5\.\."\}.*\/ sum\(rate\(http_requests_total/)
  })

  it('has only PromQL that promtool parses (each expression as a recording rule)', async () => {
    expect(queries.length).toBeGreaterThan(25)
    const rules = {
      groups: [
        {
          name: 'dashboard_expressions',
          rules: queries.map((query, i) => ({
            record: `vivr_dashboard:expr_${i}`,
            expr: withGrafanaVariables(query.expr),
          })),
        },
      ],
    }
    const file = join(scratch, 'dashboard-rules.yml')
    writeFileSync(file, stringify(rules))
    const result = await run('promtool', ['check', 'rules', file])
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain(`SUCCESS: ${queries.length} rules found`)
  })

  it('would fail the parse check on a broken expression (the check is not a formality)', async () => {
    const file = join(scratch, 'broken-rules.yml')
    const broken = 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m]))'
    writeFileSync(
      file,
      stringify({ groups: [{ name: 'broken', rules: [{ record: 'broken:expr', expr: broken }] }] }),
    )
    const result = await run('promtool', ['check', 'rules', file])
    expect(result.code).not.toBe(0)
  })
})

describe('metricNames (the PromQL scanner the metric checks rely on)', () => {
  it.each([
    ['up{job="vivr"} == 0 or absent(up{job="vivr"})', ['up']],
    [
      'sum by (job) (rate(http_requests_total{status_code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total[5m])) > 0.05',
      ['http_requests_total'],
    ],
    [
      'max by (job, instance) (pg_settings_max_connections) - sum by (job, instance) (pg_stat_activity_count) < 5',
      ['pg_settings_max_connections', 'pg_stat_activity_count'],
    ],
    ['(increase(x_total[5m]) > 0) or (x_total unless x_total offset 5m)', ['x_total']],
    ['a / on (instance) group_left (version) b * 1e9 > bool 5 and c{le="+Inf"}', ['a', 'b', 'c']],
    ['sum(rate(x[$__rate_interval])) * 60', ['x']],
    ['count(health_check_status{job=~"$job"} == 0) or vector(0)', ['health_check_status']],
  ])('%s', (expr, names) => {
    expect(metricNames(expr)).toEqual(names)
  })
})
