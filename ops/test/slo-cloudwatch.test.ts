import { readFileSync } from 'node:fs'
import { recordHttpRequest } from '@vivr/core/node'
import { cloudwatchMetrics, SERVICE_ROLLUPS } from '@vivr/sink-cloudwatch'
import { type EmfMetric, parseEmf } from '@vivr/testkit'
import { describe, expect, it } from 'vitest'
import { alarmIds, logicalId } from '../slo/cloudwatch.js'
import { objectives } from '../slo/objectives.js'
import { BURN_RATE_ALERTS, type Slo, WINDOWS } from '../slo/spec.js'
import { opsPath, readOpsYaml } from './support/tools.js'

// Structural checks of the generated CloudFormation (cfn-lint and AWS are not reachable offline), and a check
// against the EMF the kit really writes: every metric an alarm reads must be one the sink emits.

interface MetricQuery {
  Id: string
  Expression?: string
  ReturnData: boolean
  MetricStat?: {
    Metric: { Namespace: unknown; MetricName: string; Dimensions: { Name: string; Value: unknown }[] }
    Period: number
    Stat: string
  }
}
interface Resource {
  Type: string
  Properties: Record<string, unknown> & { Metrics?: MetricQuery[] }
}
interface Template {
  AWSTemplateFormatVersion: string
  Parameters: Record<string, { Type: string; Default?: string }>
  Resources: Record<string, Resource>
}

const template = readOpsYaml<Template>('slo/generated/cloudwatch-alarms.yml')

/** Resolves `{ Ref: Param }` with the parameter defaults (resources by logical id). */
const resolve = (value: unknown): unknown => {
  const ref = (value as { Ref?: string } | undefined)?.Ref
  if (ref === undefined) return value
  return template.Parameters[ref]?.Default ?? ref
}

describe('ops/slo/generated/cloudwatch-alarms.yml', () => {
  it('is a CloudFormation template whose every Ref and Fn::Sub variable names a parameter or a resource', () => {
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09')
    const known = new Set([...Object.keys(template.Parameters), ...Object.keys(template.Resources)])
    const refs: string[] = []
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk)
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'Ref') refs.push(String(value))
          else if (key === 'Fn::Sub' && typeof value === 'string') {
            for (const [, name] of value.matchAll(/\$\{(\w+)\}/g)) refs.push(name!)
          } else walk(value)
        }
      }
    }
    walk(template.Resources)
    expect(refs.length).toBeGreaterThan(50)
    for (const ref of refs) expect(known, ref).toContain(ref)
    expect(template.Parameters.PageTopicArn?.Default).toBeUndefined()
  })

  it.each(objectives.map((slo) => [slo.name, slo] as const))(
    '%s: a burn-rate alarm per window with the thresholds, periods and guard of the Prometheus alerts',
    (_, slo) => {
      for (const alert of BURN_RATE_ALERTS) {
        const ids = alarmIds(slo, alert)
        for (const [id, window, guarded] of [
          [ids.long, alert.longWindow, true],
          [ids.short, alert.shortWindow, false],
        ] as const) {
          const alarm = template.Resources[id]!
          expect(alarm.Type).toBe('AWS::CloudWatch::Alarm')
          expect(alarm.Properties).toMatchObject({
            ComparisonOperator: 'GreaterThanThreshold',
            Threshold: alert.factor,
            EvaluationPeriods: 1,
            DatapointsToAlarm: 1,
            TreatMissingData: 'notBreaching',
          })
          expect(alarm.Properties.AlarmActions).toBeUndefined()
          const metrics = alarm.Properties.Metrics!
          expect(metrics.filter((m) => m.ReturnData)).toHaveLength(1)
          for (const m of metrics.filter((m) => m.MetricStat))
            expect(m.MetricStat?.Period).toBe(WINDOWS[window])
          const burn = metrics.find((m) => m.Id === 'burn')!.Expression!
          expect(burn.includes(`total >= ${slo.minRequests}`), `${id}: guard only on the long window`).toBe(
            guarded,
          )
          expect(burn).toContain(`/ ${slo.errorBudget}`)
        }
      }
    },
  )

  it.each(objectives.map((slo) => [slo.name, slo] as const))(
    '%s: the page and the ticket are composite alarms, the ticket silent while the page is in ALARM',
    (_, slo) => {
      const page = template.Resources[`${logicalId(slo.name)}Page`]!
      const ticket = template.Resources[`${logicalId(slo.name)}Ticket`]!
      expect(page.Type).toBe('AWS::CloudWatch::CompositeAlarm')
      expect(page.Properties.AlarmActions).toEqual([{ Ref: 'PageTopicArn' }])
      expect(ticket.Properties.AlarmActions).toEqual([{ Ref: 'TicketTopicArn' }])
      expect(ticket.Properties.ActionsSuppressor).toEqual({ Ref: `${logicalId(slo.name)}Page` })
      const rule = (resource: Resource) => (resource.Properties.AlarmRule as { 'Fn::Sub': string })['Fn::Sub']
      const pair = (alert: (typeof BURN_RATE_ALERTS)[number]) => {
        const ids = alarmIds(slo, alert)
        return `(ALARM("\${${ids.long}}") AND ALARM("\${${ids.short}}"))`
      }
      const [fast, slow, day, threeDays] = BURN_RATE_ALERTS
      expect(rule(page)).toBe(`${pair(fast!)} OR ${pair(slow!)}`)
      expect(rule(ticket)).toBe(`${pair(day!)} OR ${pair(threeDays!)}`)
      expect(String(page.Properties.AlarmDescription)).toContain('ops/runbooks/SLOBurnRate.md')
    },
  )
})

/** The EMF lines a kit app writes for some requests, with or without the sink's SERVICE_ROLLUPS. */
async function emfFor(slo: Slo, rollups: boolean, batches: number): Promise<EmfMetric[]> {
  const lines: string[] = []
  const sink = cloudwatchMetrics({
    namespace: 'VIVR',
    dimensions: { service: slo.service, environment: 'production' },
    destination: { write: (line) => lines.push(line) },
    flushIntervalMs: 0,
    ...(rollups && { rollups: SERVICE_ROLLUPS }),
  })
  const metrics = sink
  const route = slo.route ?? '/products/[slug]'
  // What an adapter records, per batch of 5: three fast 200s, one slow 200, one 503.
  for (let batch = 0; batch < batches; batch++) {
    for (const [statusCode, ms] of [
      [200, 120],
      [200, 120],
      [200, 120],
      [200, 900],
      [503, 40],
    ] as const) {
      recordHttpRequest(metrics, { method: statusCode === 200 ? 'GET' : 'POST', route, statusCode }, ms)
    }
  }
  await metrics.close?.()
  return lines.flatMap((line) => {
    const parsed = parseEmf(line)
    if ('error' in parsed) throw new Error(`${parsed.error}: ${line}`)
    return parsed.metrics
  })
}

/** The values CloudWatch would aggregate for one alarm input: the EMF metrics with exactly its dimension set. */
function matching(emitted: EmfMetric[], stat: NonNullable<MetricQuery['MetricStat']>): EmfMetric[] {
  const want = Object.fromEntries(stat.Metric.Dimensions.map((d) => [d.Name, String(resolve(d.Value))]))
  return emitted.filter(
    (m) =>
      m.namespace === resolve(stat.Metric.Namespace) &&
      m.name === stat.Metric.MetricName &&
      JSON.stringify(Object.entries(m.dimensions).sort()) === JSON.stringify(Object.entries(want).sort()),
  )
}

/** CloudWatch's statistic over the matching values (Sum, SampleCount, PR(:x) — the ones the alarms use). */
function statistic(values: number[], stat: string): number {
  if (stat === 'Sum') return values.reduce((a, b) => a + b, 0)
  if (stat === 'SampleCount') return values.length
  const rank = /^PR\(:(\d+(?:\.\d+)?)\)$/.exec(stat)
  if (rank) return (values.filter((v) => v <= Number(rank[1])).length / values.length) * 100
  throw new Error(`statistic ${stat} not modelled`)
}

describe('the alarms read the EMF that @vivr/sink-cloudwatch writes (with rollups: SERVICE_ROLLUPS)', () => {
  it.each(objectives.map((slo) => [slo.name, slo] as const))(
    '%s: every alarm input is an emitted metric, and the expression gives the burn rate (0 below the guard)',
    async (_, slo) => {
      // Availability: one request in 5 answered 503. Latency: one in 5 took 900 ms, over the 500 ms threshold.
      const errorRatio = 1 / 5
      const enough = Math.ceil((2 * slo.minRequests) / 5)
      const few = Math.floor((slo.minRequests - 1) / 5)
      for (const [batches, expected] of [
        [enough, errorRatio / slo.errorBudget],
        [few, 0],
      ] as const) {
        const emitted = await emfFor(slo, true, batches)
        const bare = await emfFor(slo, false, batches)
        for (const alert of BURN_RATE_ALERTS) {
          const burn = burnRate(template.Resources[alarmIds(slo, alert).long]!, emitted, bare)
          expect(burn, `${alert.longWindow} with ${batches * 5} requests`).toBeCloseTo(expected, 6)
        }
      }
    },
  )
})

/** What CloudWatch would compute for one alarm from these EMF metrics (asserting every input exists). */
function burnRate(alarm: Resource, emitted: EmfMetric[], bare: EmfMetric[]): number {
  const inputs: Record<string, number> = {}
  for (const query of alarm.Properties.Metrics!.filter((m) => m.MetricStat)) {
    const stat = query.MetricStat!
    const found = matching(emitted, stat)
    expect(
      found.length,
      `${stat.Metric.MetricName} ${JSON.stringify(stat.Metric.Dimensions)}`,
    ).toBeGreaterThan(0)
    // Without the rollups the sink writes every tag as a dimension: nothing matches.
    expect(matching(bare, stat)).toEqual([])
    if (stat.Stat.startsWith('PR')) expect(found[0]!.unit).toBe('Milliseconds')
    inputs[query.Id] = statistic(
      found.flatMap((m) => m.values),
      stat.Stat,
    )
  }
  // The metric math: IF, FILL and arithmetic are plain JavaScript once IF and FILL are defined.
  const expression = alarm.Properties.Metrics!.find((m) => m.Id === 'burn')!.Expression!
  const evaluate = new Function('IF', 'FILL', ...Object.keys(inputs), `return ${expression}`) as (
    ...args: unknown[]
  ) => number
  return evaluate(
    (condition: boolean, yes: number, no: number) => (condition ? yes : no),
    (value: number | undefined, fill: number) => value ?? fill,
    ...Object.values(inputs),
  )
}

describe('ops/aws/README.md', () => {
  it('points to the generated SLO alarms', () => {
    expect(readFileSync(opsPath('aws/README.md'), 'utf8')).toContain('../slo/generated/cloudwatch-alarms.yml')
  })
})
