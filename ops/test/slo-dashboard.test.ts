import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { objectives } from '../slo/objectives.js'
import { type Dashboard, dashboardQueries, metricNames, withGrafanaVariables } from './support/promql.js'
import { readOpsFile, readOpsYaml, run } from './support/tools.js'

interface Panel {
  id: number
  type: string
  title: string
  gridPos: { x: number; y: number; w: number; h: number }
  datasource?: { type: string; uid: string }
  targets?: { expr: string; datasource?: { uid: string } }[]
}
interface DashboardModel {
  id: unknown
  uid: string
  title: string
  schemaVersion: number
  panels: Panel[]
  templating: { list: { name: string; type: string; query?: unknown }[] }
}

const text = readOpsFile('grafana/vivr-slo-dashboard.json')
const dashboard = JSON.parse(text) as DashboardModel
const queries = dashboardQueries(JSON.parse(text) as Dashboard)
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template.
const DATASOURCE_UID = '${datasource}'

const scratch = mkdtempSync(join(tmpdir(), 'vivr-slo-dashboard-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('ops/grafana/vivr-slo-dashboard.json', () => {
  it('is an importable dashboard model with a Prometheus data source variable', () => {
    expect(dashboard.id).toBeNull()
    expect(dashboard.uid).toBe('vivr-slo')
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36)
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    )
  })

  it('has a row per SLO with budget left, SLI, burn rate per window and SLI over time', () => {
    const rows = dashboard.panels.filter((panel) => panel.type === 'row')
    expect(rows.map((row) => row.title.split(':')[0])).toEqual(objectives.map((slo) => slo.name))
    for (const slo of objectives) {
      const mine = dashboard.panels.filter((p) =>
        p.targets?.some((t) => t.expr.includes(`slo="${slo.name}"`)),
      )
      expect(mine.map((p) => p.title)).toEqual([
        'Error budget left (30 d)',
        'SLI (30 d)',
        'Burn rate per window',
        'SLI over time',
      ])
      const burn = mine.find((p) => p.title === 'Burn rate per window')!
      expect(burn.targets?.map((t) => /ratio_rate(\w+)\{/.exec(t.expr)?.[1])).toEqual([
        '5m',
        '30m',
        '1h',
        '2h',
        '6h',
        '1d',
        '3d',
      ])
    }
  })

  it('lays panels out on the 24-column grid without overlaps, every panel through $datasource', () => {
    const ids = dashboard.panels.map((panel) => panel.id)
    expect(new Set(ids).size).toBe(ids.length)
    const cells = new Set<string>()
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos
      expect(x + w, panel.title).toBeLessThanOrEqual(24)
      for (let row = y; row < y + h; row++) {
        for (let col = x; col < x + w; col++) {
          expect(cells.has(`${col},${row}`), `${panel.title} overlaps`).toBe(false)
          cells.add(`${col},${row}`)
        }
      }
      if (panel.type === 'row') continue
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: DATASOURCE_UID })
      for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe(DATASOURCE_UID)
    }
  })

  it('reads only series the generated rules record (and ALERTS)', () => {
    const recorded = new Set(
      objectives.flatMap((slo) =>
        readOpsYaml<{ groups: { rules: { record?: string }[] }[] }>('slo/generated/rules', `${slo.name}.yml`)
          .groups.flatMap((group) => group.rules.map((rule) => rule.record))
          .filter((name): name is string => name !== undefined),
      ),
    )
    recorded.add('ALERTS')
    for (const query of queries) {
      for (const name of metricNames(query.expr)) expect(recorded, `${query.where}: ${name}`).toContain(name)
    }
  })

  it('has only PromQL that promtool parses', async () => {
    const file = join(scratch, 'slo-dashboard-rules.yml')
    writeFileSync(
      file,
      stringify({
        groups: [
          {
            name: 'slo_dashboard_expressions',
            rules: queries.map((query, i) => ({
              record: `vivr_slo_dashboard:expr_${i}`,
              expr: withGrafanaVariables(query.expr),
            })),
          },
        ],
      }),
    )
    const result = await run('promtool', ['check', 'rules', file])
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain(`SUCCESS: ${queries.length} rules found`)
  })
})
