import { stringify } from 'yaml'
import {
  BURN_RATE_ALERTS,
  type BurnRateAlert,
  forSeconds,
  goodEventText,
  LONG_WINDOWS,
  PROMETHEUS,
  percent,
  SLO_WINDOW_SECONDS,
  type Slo,
  WINDOWS,
  type WindowName,
} from './spec.js'

/** Every generated alert has this name; `slo`, `severity`, `long_window` and `short_window` tell them apart. */
export const ALERT_NAME = 'SLOBurnRate'
export const RUNBOOK = 'ops/runbooks/SLOBurnRate.md'

/** Recorded series, all labelled `slo` and `service`. */
export const RECORD = {
  objective: 'slo:objective:ratio',
  errorBudget: 'slo:error_budget:ratio',
  errorRatio: (window: string) => `slo:sli_error:ratio_rate${window}`,
  requests: (window: string) => `slo:requests:increase${window}`,
  budgetRemaining: 'slo:error_budget_remaining:ratio',
} as const

/** The period over which the budget is accounted (recorded in a slower group: 30 days of raw samples). */
export const PERIOD = '30d'

export interface RuleOptions {
  /**
   * TEST ONLY. Divides every window, `for` and evaluation interval by this factor (60: 1h → 1m, 5m → 5s) so an
   * end-to-end test can watch the alerts fire in seconds. Series keep their nominal names (`…rate1h`).
   * @default 1
   */
  readonly timeFactor?: number
}

/** Seconds as a Prometheus duration: 8640 → "2h24m", 0.5 → "500ms". */
export function promDuration(seconds: number): string {
  let ms = Math.round(seconds * 1000)
  if (ms <= 0) throw new Error(`not a positive duration: ${seconds}s`)
  let text = ''
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    if (ms >= size) {
      text += `${Math.floor(ms / size)}${unit}`
      ms %= size
    }
  }
  return text
}

const quote = (value: string): string => `"${value}"`

function selector(slo: Slo, extra: string[] = []): string {
  const matchers = [`${PROMETHEUS.service}=${quote(slo.service)}`]
  if (slo.route) matchers.push(`${PROMETHEUS.route}=${quote(slo.route)}`)
  return `{${[...matchers, ...extra].join(', ')}}`
}

/**
 * The `le` matcher for a bucket bound. Prometheus 2 keeps the exposition's text ("1"), Prometheus 3 normalises
 * classic-histogram bounds to floats ("1.0"): whole numbers match both.
 */
function leMatcher(bound: number): string {
  return Number.isInteger(bound) ? `le=~"${bound}|${bound}.0"` : `le="${bound}"`
}

/** The share of bad requests over `range`: 5xx / all, or 1 − (under the threshold / all). */
export function errorRatioExpr(slo: Slo, range: string): string {
  if (slo.kind === 'availability') {
    return [
      '(',
      `  sum(rate(${PROMETHEUS.requests}${selector(slo, [`${PROMETHEUS.statusCode}=~"5.."`])}[${range}]))`,
      '  or vector(0)',
      ')',
      '/',
      `sum(rate(${PROMETHEUS.requests}${selector(slo)}[${range}]))`,
    ].join('\n')
  }
  return [
    '1 - (',
    `  sum(rate(${PROMETHEUS.durationBuckets}${selector(slo, [leMatcher(slo.thresholdSeconds)])}[${range}]))`,
    '  /',
    `  sum(rate(${PROMETHEUS.durationCount}${selector(slo)}[${range}]))`,
    ')',
  ].join('\n')
}

/** How many requests the SLI counted over `range` (the low-traffic guard). */
export function requestsExpr(slo: Slo, range: string): string {
  const metric = slo.kind === 'availability' ? PROMETHEUS.requests : PROMETHEUS.durationCount
  return `sum(increase(${metric}${selector(slo)}[${range}]))`
}

const sloSelector = (slo: Slo): string => `{slo=${quote(slo.name)}}`

/** The alert's condition: both windows burn faster than the factor, and the long one saw enough requests. */
export function alertExpr(slo: Slo, alert: BurnRateAlert): string {
  const burn = (window: WindowName) =>
    `${RECORD.errorRatio(window)}${sloSelector(slo)} / ${slo.errorBudget} > ${alert.factor}`
  return [
    '(',
    `  ${burn(alert.longWindow)}`,
    'and',
    `  ${burn(alert.shortWindow)}`,
    ')',
    'and',
    `  ${RECORD.requests(alert.longWindow)}${sloSelector(slo)} >= ${slo.minRequests}`,
  ].join('\n')
}

const days = (factor: number): string => `${Number((SLO_WINDOW_SECONDS / 86_400 / factor).toFixed(1))} days`

export interface AlertText {
  summary: string
  /** Go template: `$value` is the long window's burn rate. */
  description: string
  objective: string
  error_budget: string
  runbook: string
}

export function alertAnnotations(slo: Slo, alert: BurnRateAlert): AlertText {
  return {
    summary:
      `${slo.name} is burning its error budget ${alert.factor}× too fast ` +
      `(${percent(alert.budgetSpent)} of it in ${alert.longWindow})`,
    description:
      `Over the last ${alert.longWindow} the error ratio was {{ $value | printf "%.1f" }}× what the objective ` +
      `allows, and still above ${alert.factor}× over the last ${alert.shortWindow}: at ${alert.factor}× the ` +
      `30-day budget lasts ${days(alert.factor)}. ${slo.description}`,
    objective: goodEventText(slo),
    error_budget: `${percent(slo.errorBudget)} of requests over 30 days`,
    runbook: RUNBOOK,
  }
}

export function alertLabels(slo: Slo, alert: BurnRateAlert): Record<string, string> {
  return {
    severity: alert.severity,
    slo: slo.name,
    long_window: alert.longWindow,
    short_window: alert.shortWindow,
  }
}

interface Rule {
  record?: string
  alert?: string
  expr: string
  for?: string
  labels: Record<string, string>
  annotations?: AlertText
}

export interface RuleFile {
  groups: { name: string; interval: string; rules: Rule[] }[]
}

export function ruleGroups(slos: readonly Slo[], options: RuleOptions = {}): RuleFile {
  const factor = options.timeFactor ?? 1
  const scaled = (seconds: number) => promDuration(seconds / factor)
  const range = (window: WindowName) => scaled(WINDOWS[window])
  return {
    groups: slos.flatMap((slo) => {
      const labels = { slo: slo.name, service: slo.service }
      const rules: Rule[] = [
        { record: RECORD.objective, expr: `vector(${slo.objective})`, labels },
        { record: RECORD.errorBudget, expr: `vector(${slo.errorBudget})`, labels },
        ...(Object.keys(WINDOWS) as WindowName[]).map((window) => ({
          record: RECORD.errorRatio(window),
          expr: errorRatioExpr(slo, range(window)),
          labels,
        })),
        ...[...new Set(LONG_WINDOWS)].map((window) => ({
          record: RECORD.requests(window),
          expr: requestsExpr(slo, range(window)),
          labels,
        })),
        ...BURN_RATE_ALERTS.map((alert) => ({
          alert: ALERT_NAME,
          expr: alertExpr(slo, alert),
          for: scaled(forSeconds(alert)),
          labels: alertLabels(slo, alert),
          annotations: alertAnnotations(slo, alert),
        })),
      ]
      const period: Rule[] = [
        {
          record: RECORD.errorRatio(PERIOD),
          expr: errorRatioExpr(slo, scaled(SLO_WINDOW_SECONDS)),
          labels,
        },
        {
          record: RECORD.budgetRemaining,
          expr: `1 - ${RECORD.errorRatio(PERIOD)}${sloSelector(slo)} / ${slo.errorBudget}`,
          labels,
        },
      ]
      return [
        // Scaled down for the TEST ONLY variant, never below 1 s.
        { name: `slo:${slo.name}`, interval: promDuration(Math.max(1, 30 / factor)), rules },
        // 30 days of raw samples are too heavy to read every 30 s; the budget moves slowly anyway.
        { name: `slo:${slo.name}:period`, interval: promDuration(Math.max(1, 300 / factor)), rules: period },
      ]
    }),
  }
}

const HEADER = (
  slo: Slo,
) => `# GENERATED by \`npm run ops:slo\` from ops/slo/objectives.ts: do not edit, edit the objectives and regenerate.
#
# SLO ${slo.name}: ${goodEventText(slo)}.
# The error ratio over each window (slo:sli_error:ratio_rate<window>), the requests over each long window
# (slo:requests:increase<window>, the low-traffic guard), the objective and budget as series, the 30-day budget
# left, and the four multiwindow, multi-burn-rate alerts of the Google SRE workbook ("Alerting on SLOs"):
#
#   severity   burn rate   long window   short window   budget spent when it fires
#   critical   14.4×       1h            5m             2%
#   critical   6×          6h            30m            5%
#   warning    3×          1d            2h             10%
#   warning    1×          3d            6h             10%
#
# critical pages (PagerDuty), warning opens a ticket (Slack): see ../alertmanager.yml.
# Each alert waits long window / 30 (\`for\`) and needs ${slo.minRequests} requests in its long window.
# Prometheus must keep 30 days of samples (--storage.tsdb.retention.time=31d) for the budget series.
# Checked by promtool check rules and promtool test rules ../tests/${slo.name}.yml (ops/test/slo-rules.test.ts).
`

const TEST_ONLY_HEADER = (
  factor: number,
) => `# TEST ONLY — NOT FOR PRODUCTION. Generated by ops/slo/prometheus.ts with timeFactor ${factor}: every window,
# \`for\` and interval is ${factor}× shorter than in ops/slo/generated/rules/ (1h → ${promDuration(3600 / factor)}, 5m → ${promDuration(300 / factor)})
# so that the end-to-end test (ops/test/slo-e2e.test.ts) sees the alerts fire within a minute. Series keep their
# nominal names (slo:sli_error:ratio_rate1h reads ${promDuration(3600 / factor)} of samples here).
`

const yaml = (value: unknown): string => stringify(value, { lineWidth: 0, aliasDuplicateObjects: false })

/** The production rule file of one SLO (ops/slo/generated/rules/<name>.yml). */
export function prometheusRulesYaml(slo: Slo): string {
  return `${HEADER(slo)}${yaml(ruleGroups([slo]))}`
}

/** TEST ONLY: every SLO's rules in one file with windows divided by `timeFactor`. */
export function fastRulesYaml(slos: readonly Slo[], timeFactor: number): string {
  if (!(timeFactor > 1)) throw new Error('fastRulesYaml is for tests: timeFactor must be above 1')
  return `${TEST_ONLY_HEADER(timeFactor)}${yaml(ruleGroups(slos, { timeFactor }))}`
}
