/**
 * The metric names a PromQL expression selects. Enough of PromQL's lexical structure for the expressions
 * in our rules and dashboard (checked against known expressions in the tests): strings, label matchers,
 * ranges and grouping clauses are removed first, then every identifier that is not a function call, a
 * keyword or part of a number or duration is a metric name.
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'atan2',
  'inf',
  'nan',
])

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
  const names = new Set<string>()
  for (const match of stripped.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()/g)) {
    const name = match[0]
    if (!KEYWORDS.has(name.toLowerCase())) names.add(name)
  }
  return [...names].sort()
}

/** Grafana's template variables replaced by values Prometheus accepts, so the expression can be parsed. */
export function withGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '30s')
    .replaceAll('$__range', '3h')
    .replace(/\$\{?job\}?/g, 'vivr')
    .replace(/\$\{?instance\}?/g, '.*')
}

export interface DashboardQuery {
  /** Where in the dashboard, for failure messages. */
  where: string
  expr: string
}

interface Target {
  expr?: string
  refId?: string
}
interface Panel {
  title?: string
  targets?: Target[]
  panels?: Panel[]
}
interface Variable {
  name: string
  type: string
  query?: string | { query?: string }
}
export interface Dashboard {
  panels: Panel[]
  templating?: { list: Variable[] }
  annotations?: { list: { name: string; expr?: string }[] }
}

/** Every PromQL expression in a dashboard: panel targets (also inside collapsed rows) and annotations. */
export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const queries: DashboardQuery[] = []
  const visit = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr) queries.push({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr })
      }
      visit(panel.panels ?? [])
    }
  }
  visit(dashboard.panels)
  for (const annotation of dashboard.annotations?.list ?? []) {
    if (annotation.expr) queries.push({ where: `annotation "${annotation.name}"`, expr: annotation.expr })
  }
  return queries
}

/** The metrics named by `label_values(metric{…}, label)` variable queries (not PromQL, Grafana's own). */
export function variableMetrics(dashboard: Dashboard): { where: string; metric: string }[] {
  const found: { where: string; metric: string }[] = []
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query
    const match = /^label_values\(\s*([a-zA-Z_:][\w:]*)/.exec(query ?? '')
    if (match?.[1]) found.push({ where: `variable $${variable.name}`, metric: match[1] })
  }
  return found
}
