import { METRIC } from '@vivr/core'
import type { EmfMetric } from '@vivr/testkit'
import { beforeAll, describe, expect, it } from 'vitest'
import { objectives } from '../slo/objectives.js'
import { type EmfRun, runEmfApp } from './support/emf-app.js'
import { readOpsYaml } from './support/tools.js'

// The CloudWatch twin of metric-names.test.ts: every metric a widget or an alarm of ops/aws/vivr-monitoring.yml
// (the template the CDK app synthesises; aws.test.ts keeps it up to date) reads must be one the EMF sink really
// writes — same namespace, name, unit and dimension set (names and the values the reference pins) — checked
// against the records a kit app writes through @vivr/sink-cloudwatch, parsed the way CloudWatch extracts them.
// Metrics Insights queries and SEARCH expressions are parsed too: their schema names the whole dimension set.

interface Template {
  Parameters: Record<string, { Default?: string | number }>
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>
}

const template = readOpsYaml<Template>('aws/vivr-monitoring.yml')

/** Placeholders for what has no default (the ALB) or is only known in AWS (region, the target group's name). */
const UNKNOWN = '<unknown>'

/** Resolves Ref / Fn::Join / Fn::Sub / Fn::GetAtt with the parameters' defaults into plain values. */
function resolve(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(resolve)
  if (node === null || typeof node !== 'object') return node
  const entries = Object.entries(node)
  if (entries.length === 1) {
    const [key, value] = entries[0]!
    if (key === 'Ref') {
      const parameter = template.Parameters[String(value)]
      if (parameter) return parameter.Default === undefined ? UNKNOWN : String(parameter.Default)
      return UNKNOWN // a resource or a pseudo parameter (AWS::Region)
    }
    if (key === 'Fn::GetAtt') return UNKNOWN
    if (key === 'Fn::Join') {
      const [separator, parts] = value as [string, unknown[]]
      return (parts.map(resolve) as string[]).join(separator)
    }
    if (key === 'Fn::Sub' && typeof value === 'string') {
      return value.replace(/\$\{([\w:]+)\}/g, (_, name) => String(resolve({ Ref: name })))
    }
  }
  return Object.fromEntries(entries.map(([key, value]) => [key, resolve(value)]))
}

/** One metric read by the template, with the dimension values it pins (absent: any value, a SEARCH's tag). */
interface Reference {
  where: string
  /** An alarm's metric, a dashboard's metric, or a SEARCH / Metrics Insights schema (no unit there). */
  source: 'alarm' | 'widget' | 'schema'
  namespace: string
  name: string
  dimensions: Record<string, string | undefined>
  unit?: string
}

const namespaceDefault = String(template.Parameters.Namespace?.Default)

/** `SEARCH('{VIVR,environment,route,service} MetricName="http.requests" service="x" environment="y"', 'Sum', 60)` */
function parseSearch(where: string, expression: string): Reference {
  const match =
    /^SEARCH\('\{([^,}]+),([^}]*)\} MetricName="([^"]+)"((?: \w+="[^"]*")*)', '[^']+', \d+\)$/.exec(
      expression,
    )
  if (!match) throw new Error(`${where}: SEARCH expression not understood: ${expression}`)
  const [, namespace, keys, name, filters] = match
  const dimensions: Record<string, string | undefined> = {}
  for (const key of keys!.split(',')) dimensions[key] = undefined
  for (const [, key, value] of filters!.matchAll(/ (\w+)="([^"]*)"/g)) {
    expect(Object.keys(dimensions), `${where}: filter on a dimension outside the schema`).toContain(key)
    dimensions[key!] = value
  }
  return { where, source: 'schema', namespace: namespace!, name: name!, dimensions }
}

/** `SELECT MIN("health.check.status") FROM SCHEMA("VIVR", check, environment, service) WHERE service = 'x' AND …` */
function parseQuery(where: string, expression: string): Reference {
  const match =
    /^SELECT (?:MIN|MAX|SUM|AVG|COUNT)\("([^"]+)"\) FROM SCHEMA\("([^"]+)", ([^)]*)\)(?: WHERE (.*))?$/.exec(
      expression,
    )
  if (!match) throw new Error(`${where}: Metrics Insights query not understood: ${expression}`)
  const [, name, namespace, keys, filters] = match
  const dimensions: Record<string, string | undefined> = {}
  for (const key of keys!.split(', ')) dimensions[key] = undefined
  for (const [, key, value] of (filters ?? '').matchAll(/(\w+) = '([^']*)'/g)) {
    expect(Object.keys(dimensions), `${where}: filter on a dimension outside the schema`).toContain(key)
    dimensions[key!] = value
  }
  return { where, source: 'schema', namespace: namespace!, name: name!, dimensions }
}

/** Identifiers of other queries an arithmetic expression uses (metric math: `FILL(errors, 0) / requests`). */
const mathIds = (expression: string) =>
  [...expression.matchAll(/\b([a-z][A-Za-z0-9_]*)\b/g)].map((m) => m[1]!)

function expressionReferences(where: string, expression: string, ids: Set<string>): Reference[] {
  if (expression.startsWith('SEARCH(')) return [parseSearch(where, expression)]
  if (expression.startsWith('SELECT ')) return [parseQuery(where, expression)]
  // Plain metric math: every identifier must be another query of the same alarm or widget.
  for (const id of mathIds(expression)) expect(ids, `${where}: ${expression} uses ${id}`).toContain(id)
  return []
}

interface MetricDataQuery {
  Id: string
  Expression?: string
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: string }[] }
    Unit?: string
  }
}

function alarmReferences(id: string, properties: Record<string, unknown>): Reference[] {
  if (typeof properties.MetricName === 'string') {
    return [
      {
        where: id,
        source: 'alarm',
        namespace: String(properties.Namespace),
        name: properties.MetricName,
        dimensions: Object.fromEntries(
          ((properties.Dimensions ?? []) as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]),
        ),
        ...(typeof properties.Unit === 'string' && { unit: properties.Unit }),
      },
    ]
  }
  const queries = properties.Metrics as MetricDataQuery[]
  const ids = new Set(queries.map((q) => q.Id))
  return queries.flatMap((query): Reference[] => {
    const where = `${id}/${query.Id}`
    if (query.Expression !== undefined) return expressionReferences(where, query.Expression, ids)
    const stat = query.MetricStat!
    return [
      {
        where,
        source: 'alarm',
        namespace: stat.Metric.Namespace,
        name: stat.Metric.MetricName,
        dimensions: Object.fromEntries((stat.Metric.Dimensions ?? []).map((d) => [d.Name, d.Value])),
        ...(stat.Unit !== undefined && { unit: stat.Unit }),
      },
    ]
  })
}

interface Widget {
  type: string
  properties: { title?: string; metrics?: unknown[][] }
}

/** A dashboard metric row: `[namespace, name, dim, value, …, { options }]` or `[{ expression, … }]`. */
function widgetReferences(widget: Widget): Reference[] {
  const rows = widget.properties.metrics ?? []
  const where = `dashboard "${widget.properties.title}"`
  const ids = new Set(
    rows.map((row) => (row.at(-1) as { id?: string } | undefined)?.id).filter((id) => id !== undefined),
  )
  return rows.flatMap((row): Reference[] => {
    const options = row.at(-1)
    const parts = typeof options === 'object' && options !== null ? row.slice(0, -1) : row
    const expression = (options as { expression?: string } | undefined)?.expression
    if (expression !== undefined) return expressionReferences(where, expression, ids)
    expect(
      parts.every((part) => typeof part === 'string' && part !== '.'),
      `${where}: ${row}`,
    ).toBe(true)
    const [namespace, name, ...pairs] = parts as string[]
    const dimensions: Record<string, string> = {}
    for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!
    return [{ where, source: 'widget', namespace: namespace!, name: name!, dimensions }]
  })
}

function templateReferences(): Reference[] {
  const resolved = resolve(template.Resources) as Template['Resources']
  const references: Reference[] = []
  for (const [id, resource] of Object.entries(resolved)) {
    if (resource.Type === 'AWS::CloudWatch::Alarm')
      references.push(...alarmReferences(id, resource.Properties))
    if (resource.Type === 'AWS::CloudWatch::Dashboard') {
      const body = JSON.parse(String(resource.Properties.DashboardBody)) as { widgets: Widget[] }
      for (const widget of body.widgets) references.push(...widgetReferences(widget))
    }
  }
  return references
}

/** Metrics the template reads that the app does not write: the ALB's own, with their dimension names. */
const EXTERNAL: Record<string, readonly string[]> = {
  'AWS/ApplicationELB HealthyHostCount': ['LoadBalancer', 'TargetGroup'],
}

/** Why a reference matches no emitted metric, or undefined when one matches. */
function mismatch(reference: Reference, emitted: readonly EmfMetric[]): string | undefined {
  const keys = Object.keys(reference.dimensions).sort()
  const sameName = emitted.filter((m) => m.namespace === reference.namespace && m.name === reference.name)
  if (sameName.length === 0) return `no EMF metric ${reference.namespace} ${reference.name}`
  const sameSet = sameName.filter(
    (m) => JSON.stringify(Object.keys(m.dimensions).sort()) === JSON.stringify(keys),
  )
  if (sameSet.length === 0) {
    const sets = new Set(sameName.map((m) => `[${Object.keys(m.dimensions).sort()}]`))
    return `${reference.name} is written with dimension sets ${[...sets].join(' ')}, not [${keys}]`
  }
  const sameValues = sameSet.filter((m) =>
    Object.entries(reference.dimensions).every(
      ([key, value]) => value === undefined || m.dimensions[key] === value,
    ),
  )
  if (sameValues.length === 0)
    return `${reference.name} [${keys}]: no record with ${JSON.stringify(reference.dimensions)}`
  if (reference.unit !== undefined && !sameValues.some((m) => m.unit === reference.unit)) {
    return `${reference.name} is written in ${sameValues[0]!.unit}, the reference reads ${reference.unit}`
  }
  return undefined
}

const ENVIRONMENT = String(template.Parameters.Environment?.Default)
const SERVICES = [
  ...new Set([String(template.Parameters.Service?.Default), ...objectives.map((s) => s.service)]),
]

describe('every metric ops/aws reads is one @vivr/sink-cloudwatch writes', () => {
  let emitted: EmfMetric[]
  let bare: EmfMetric[]
  let run: EmfRun
  const references = templateReferences()

  beforeAll(async () => {
    const runs = await Promise.all(
      SERVICES.map((service) => runEmfApp({ service, environment: ENVIRONMENT })),
    )
    run = runs[0]!
    emitted = runs.flatMap((r) => [...r.metrics])
    const bareRuns = await Promise.all(
      SERVICES.map((service) => runEmfApp({ service, environment: ENVIRONMENT, rollups: false })),
    )
    bare = bareRuns.flatMap((r) => [...r.metrics])
  })

  it('finds the alarms and widgets (the parser is not reading an empty template)', () => {
    const where = new Set(references.map((r) => r.where.split('/')[0]))
    for (const alarm of [
      'ServiceDown',
      'HighErrorRate',
      'HealthCheckFailing',
      'HighResponseTime',
      'HighMemoryUsage',
      'EventLoopDelayHigh',
      'SlowQueryDetected',
    ])
      expect(where, alarm).toContain(alarm)
    const read = new Set(references.map((r) => r.name))
    // Every row of the Grafana dashboard has its twin: traffic, latency, health, database, business, runtime.
    for (const name of [
      METRIC.httpRequests,
      METRIC.errors,
      METRIC.httpRequestDuration,
      METRIC.healthStatus,
      METRIC.healthCheckStatus,
      METRIC.healthCheckLatency,
      METRIC.databaseQueryDuration,
      METRIC.databaseSlowQueries,
      METRIC.ordersCreated,
      METRIC.revenueProcessed,
      METRIC.eventLoopDelayP99,
      METRIC.eventLoopUtilization,
      METRIC.gcPause,
      METRIC.heapUsed,
      METRIC.rss,
      METRIC.activeHandles,
    ])
      expect(read, name).toContain(name)
    // The SLO burn-rate alarms: two inputs per window alarm, eight window alarms per objective.
    const slo = references.filter(
      (r) => /BurnRate|Page|Ticket/.test(r.where) || /(Long|Short)\//.test(r.where),
    )
    expect(slo.length).toBe(objectives.length * 8 * 2)
    expect(references.length).toBeGreaterThan(80)
  })

  it('the app wrote the kit metrics as valid EMF, rollups included', () => {
    expect(run.lines.length).toBeGreaterThan(5)
    expect(
      emitted.some((m) => m.name === METRIC.httpRequests && Object.keys(m.dimensions).length === 2),
    ).toBe(true)
    expect(emitted.some((m) => m.name === METRIC.databaseSlowQueries)).toBe(true)
  })

  it('matches every reference: namespace, name, dimension set, pinned values and unit', () => {
    const problems: string[] = []
    for (const reference of references) {
      const external = EXTERNAL[`${reference.namespace} ${reference.name}`]
      if (external) {
        expect(Object.keys(reference.dimensions).sort(), reference.where).toEqual([...external].sort())
        continue
      }
      expect(reference.namespace, reference.where).toBe(namespaceDefault)
      const why = mismatch(reference, emitted)
      if (why) problems.push(`${reference.where}: ${why}`)
    }
    expect(problems).toEqual([])
  })

  it('names the unit the sink writes on every alarm input, and fails on another', () => {
    const alarmInputs = references.filter((r) => r.source === 'alarm' && r.namespace === namespaceDefault)
    expect(alarmInputs.length).toBeGreaterThan(50)
    expect(alarmInputs.filter((r) => r.unit === undefined).map((r) => r.where)).toEqual([])
    const withUnit = alarmInputs
    const duration = withUnit.find((r) => r.name === METRIC.httpRequestDuration)!
    expect(duration.unit).toBe('Milliseconds')
    expect(mismatch({ ...duration, unit: 'Seconds' }, emitted)).toMatch(/written in Milliseconds/)
  })

  it("HighErrorRate's metric math gives the share of requests answered 5xx (2 of the app's 5)", () => {
    const alarm = resolve(template.Resources.HighErrorRate) as { Properties: { Metrics: MetricDataQuery[] } }
    const service = String(template.Parameters.Service?.Default)
    const sums: Record<string, number> = {}
    for (const query of alarm.Properties.Metrics.filter((q) => q.MetricStat)) {
      const reference = alarmReferences('HighErrorRate', { Metrics: [query] })[0]!
      expect(mismatch(reference, emitted)).toBeUndefined()
      const keys = JSON.stringify(Object.keys(reference.dimensions).sort())
      sums[query.Id] = emitted
        .filter(
          (m) =>
            m.name === reference.name &&
            m.dimensions.service === service &&
            JSON.stringify(Object.keys(m.dimensions).sort()) === keys,
        )
        .flatMap((m) => m.values)
        .reduce((a, b) => a + b, 0)
    }
    const expression = alarm.Properties.Metrics.find((q) => q.Expression)!.Expression!
    const evaluate = new Function('FILL', ...Object.keys(sums), `return ${expression}`) as (
      ...args: unknown[]
    ) => number
    const ratio = evaluate((value: number | undefined, fill: number) => value ?? fill, ...Object.values(sums))
    expect(ratio).toBeCloseTo(2 / 5, 9)
    expect(ratio).toBeGreaterThan(
      Number((template.Resources.HighErrorRate!.Properties as { Threshold: number }).Threshold),
    )
  })

  it('would catch a wrong dimension set or value (the check is not a formality)', () => {
    const requests = references.find(
      (r) => r.where.startsWith('HighErrorRate') && r.name === METRIC.httpRequests,
    )!
    expect(mismatch(requests, emitted)).toBeUndefined()
    // Without the sink's rollups, the per-service request metrics (alarms, SLOs, dashboard) do not exist.
    expect(mismatch(requests, bare)).toMatch(/dimension sets/)
    const sloInputs = references.filter((r) => /(Long|Short)\//.test(r.where))
    expect(sloInputs.every((r) => mismatch(r, bare) !== undefined)).toBe(true)
    expect(
      mismatch({ ...requests, dimensions: { ...requests.dimensions, service: 'other' } }, emitted),
    ).toMatch(/no record/)
    expect(mismatch({ ...requests, name: 'http.request' }, emitted)).toMatch(/no EMF metric/)
  })
})
