import { ALERT_NAME, PERIOD, RECORD } from './prometheus.js'
import { BURN_RATE_ALERTS, goodEventText, percent, type Slo, WINDOWS, type WindowName } from './spec.js'

/*
 * The SLO dashboard (ops/grafana/vivr-slo-dashboard.json): one row per SLO with the budget left, the SLI against
 * the objective, the burn rate per window against the alert thresholds, and the SLI over time. It reads only the
 * series the generated rules record, so it is as cheap as the rules and says exactly what the alerts see.
 */

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template.
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const

type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

interface GridPos {
  h: number
  w: number
  x: number
  y: number
}

const target = (refId: string, expr: string, legendFormat: string, instant = false): Json => ({
  datasource: DATASOURCE,
  refId,
  expr,
  legendFormat,
  ...(instant ? { range: false, instant: true } : { range: true }),
})

const thresholds = (steps: [string, number | null][]): Json => ({
  mode: 'absolute',
  steps: steps.map(([color, value]) => ({ color, value })),
})

function statPanel(
  id: number,
  title: string,
  description: string,
  gridPos: GridPos,
  expr: string,
  steps: [string, number | null][],
  decimals: number,
): Json {
  return {
    type: 'stat',
    id,
    title,
    description,
    datasource: DATASOURCE,
    gridPos: { ...gridPos },
    fieldConfig: {
      defaults: { unit: 'percentunit', decimals, thresholds: thresholds(steps) },
      overrides: [],
    },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'background',
      graphMode: 'area',
      textMode: 'auto',
      justifyMode: 'auto',
      orientation: 'auto',
    },
    targets: [target('A', expr, title, true)],
  }
}

function timeseriesPanel(
  id: number,
  title: string,
  description: string,
  gridPos: GridPos,
  targets: Json[],
  defaults: Record<string, Json>,
): Json {
  return {
    type: 'timeseries',
    id,
    title,
    description,
    datasource: DATASOURCE,
    gridPos: { ...gridPos },
    fieldConfig: {
      defaults: {
        custom: {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: 0,
          showPoints: 'never',
          spanNulls: true,
          stacking: { mode: 'none', group: 'A' },
          thresholdsStyle: { mode: 'dashed' },
        },
        ...defaults,
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
    targets,
  }
}

const WINDOW_NAMES = Object.keys(WINDOWS) as WindowName[]
const REF_IDS = 'ABCDEFGHIJ'

function sloPanels(slo: Slo, y: number, firstId: number): Json[] {
  const sel = `{slo="${slo.name}"}`
  let id = firstId
  const pageFactor = Math.min(
    ...BURN_RATE_ALERTS.filter((a) => a.severity === 'critical').map((a) => a.factor),
  )
  return [
    {
      type: 'row',
      id: id++,
      title: `${slo.name}: ${goodEventText(slo)}`,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    },
    statPanel(
      id++,
      'Error budget left (30 d)',
      `Share of the 30-day error budget (${percent(slo.errorBudget)} of requests) not spent yet: 1 − errors / budget over the last ${PERIOD}. Below 0 the objective is missed. Needs 30 days of retention.`,
      { h: 7, w: 4, x: 0, y: y + 1 },
      `${RECORD.budgetRemaining}${sel}`,
      [
        ['red', null],
        ['orange', 0],
        ['green', 0.25],
      ],
      1,
    ),
    statPanel(
      id++,
      'SLI (30 d)',
      `${slo.description} Good requests over the last ${PERIOD}; the objective is ${percent(slo.objective)} (green at or above it).`,
      { h: 7, w: 4, x: 4, y: y + 1 },
      `1 - ${RECORD.errorRatio(PERIOD)}${sel}`,
      [
        ['red', null],
        ['green', slo.objective],
      ],
      3,
    ),
    timeseriesPanel(
      id++,
      'Burn rate per window',
      `How many times faster than the objective allows the budget is spent, per window. Pages: ${BURN_RATE_ALERTS.filter(
        (a) => a.severity === 'critical',
      )
        .map((a) => `${a.factor}× over ${a.longWindow} and ${a.shortWindow}`)
        .join(', ')}; tickets: ${BURN_RATE_ALERTS.filter((a) => a.severity === 'warning')
        .map((a) => `${a.factor}× over ${a.longWindow} and ${a.shortWindow}`)
        .join(', ')}. 1 spends exactly the budget in 30 days.`,
      { h: 7, w: 8, x: 8, y: y + 1 },
      WINDOW_NAMES.map((window, i) =>
        target(REF_IDS[i]!, `${RECORD.errorRatio(window)}${sel} / ${slo.errorBudget}`, window),
      ),
      {
        unit: 'suffix:×',
        min: 0,
        thresholds: thresholds([
          ['green', null],
          ['orange', 1],
          ['red', pageFactor],
        ]),
      },
    ),
    timeseriesPanel(
      id++,
      'SLI over time',
      'Share of good requests over the last 5 minutes, hour and day, with the objective.',
      { h: 7, w: 8, x: 16, y: y + 1 },
      [
        target('A', `1 - ${RECORD.errorRatio('5m')}${sel}`, '5m'),
        target('B', `1 - ${RECORD.errorRatio('1h')}${sel}`, '1h'),
        target('C', `1 - ${RECORD.errorRatio('1d')}${sel}`, '1d'),
        target('D', `${RECORD.objective}${sel}`, 'objective'),
      ],
      { unit: 'percentunit', max: 1, decimals: 2 },
    ),
  ]
}

export function sloDashboard(slos: readonly Slo[]): Json {
  const panels: Json[] = []
  let id = 1
  slos.forEach((slo, i) => {
    const row = sloPanels(slo, i * 8, id)
    id += row.length
    panels.push(...row)
  })
  return {
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '10.0.0' },
      { type: 'datasource', id: 'prometheus', name: 'Prometheus', version: '1.0.0' },
      { type: 'panel', id: 'timeseries', name: 'Time series', version: '' },
      { type: 'panel', id: 'stat', name: 'Stat', version: '' },
    ],
    id: null,
    uid: 'vivr-slo',
    title: 'VIVR SLOs',
    description:
      'GENERATED by `npm run ops:slo` from ops/slo/objectives.ts: do not edit here. Error budget, SLI and burn rates of every objective, read from the series recorded by ops/slo/generated/rules/.',
    tags: ['vivr', 'slo'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '1m',
    time: { from: 'now-7d', to: 'now' },
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
        {
          datasource: DATASOURCE,
          enable: true,
          hide: false,
          iconColor: 'red',
          name: 'SLO alerts',
          expr: `ALERTS{alertname="${ALERT_NAME}", alertstate="firing"}`,
          step: '60s',
          titleFormat: '{{slo}}',
          textFormat: '{{severity}}: {{long_window}} and {{short_window}}',
          useValueForTime: false,
        },
      ],
    },
    templating: {
      list: [
        {
          type: 'datasource',
          name: 'datasource',
          label: 'Data source',
          query: 'prometheus',
          current: {},
          hide: 0,
          refresh: 1,
          regex: '',
          includeAll: false,
          multi: false,
          options: [],
        },
      ],
    },
    panels,
  }
}

/**
 * JSON the way Biome formats it (the repository's formatter, which checks ops/grafana): objects one key per line,
 * arrays of plain values on one line when they fit in 110 columns.
 */
export function formatJson(value: Json, indent = '', prefix = ''): string {
  const inner = `${indent}  `
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    if (value.every((item) => item === null || typeof item !== 'object')) {
      const line = `[${value.map((item) => JSON.stringify(item)).join(', ')}]`
      if (indent.length + prefix.length + line.length + 1 <= 110) return line
    }
    return `[\n${value.map((item) => `${inner}${formatJson(item, inner)}`).join(',\n')}\n${indent}]`
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
    if (entries.length === 0) return '{}'
    return `{\n${entries
      .map(([key, item]) => {
        const keyText = `${JSON.stringify(key)}: `
        return `${inner}${keyText}${formatJson(item, inner, keyText)}`
      })
      .join(',\n')}\n${indent}}`
  }
  return JSON.stringify(value)
}

export function sloDashboardJson(slos: readonly Slo[]): string {
  return `${formatJson(sloDashboard(slos))}\n`
}
