import { METRICS, type MetricKind } from '@vivr/core'
import { emfUnit } from '@vivr/sink-cloudwatch'
import { aws_cloudwatch as cloudwatch, Duration } from 'aws-cdk-lib'
import { EMF } from '../slo/spec.js'

/*
 * The kit's metrics as @vivr/sink-cloudwatch writes them in EMF: the dotted name from core's vocabulary (METRIC),
 * the unit of the sink's own mapping (emfUnit), the dimensions `service` and `environment` (the sink's
 * `dimensions` option) plus the tags of the dimension set read (all of them, or a rollup of SERVICE_ROLLUPS).
 * Nothing here spells a metric name; ops/test/aws-emf.test.ts checks every metric the stack reads against the
 * records the sink really writes.
 */

/** Where the app's EMF metrics are: the sink's namespace and global dimensions (CloudFormation parameters). */
export interface EmfScope {
  readonly namespace: string
  readonly service: string
  readonly environment: string
}

/** The kind the kit records a metric as, from the vocabulary (a name outside it is a bug here). */
function kindOf(name: string): MetricKind {
  const definition = METRICS.get(name)
  if (definition === undefined) throw new Error(`${name} is not in @vivr/core's vocabulary`)
  return definition.kind
}

/** The CloudWatch unit the EMF sink writes this metric with. */
export function unitOf(name: string): cloudwatch.Unit {
  const unit = emfUnit(kindOf(name), name)
  const found = Object.values(cloudwatch.Unit).find((candidate) => candidate === unit)
  if (found === undefined) throw new Error(`${name}: the sink's unit ${unit} is not a CloudWatch unit`)
  return found
}

export interface EmfMetricOptions {
  readonly statistic: string
  /** @default 1 minute */
  readonly period?: Duration
  readonly label?: string
  /** Tag dimensions beside service and environment: the rollup read (none: the service as a whole). */
  readonly tags?: Readonly<Record<string, string>>
  /** Name the unit (alarms: a datum in another unit is not read). @default false (dashboards ignore it) */
  readonly withUnit?: boolean
}

/** One EMF metric of the kit with an exact dimension set. */
export function emfMetric(scope: EmfScope, name: string, options: EmfMetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: scope.namespace,
    metricName: name,
    dimensionsMap: {
      [EMF.service]: scope.service,
      [EMF.environment]: scope.environment,
      ...options.tags,
    },
    statistic: options.statistic,
    period: options.period ?? Duration.minutes(1),
    ...(options.label !== undefined && { label: options.label }),
    ...(options.withUnit && { unit: unitOf(name) }),
  })
}

/**
 * Every series of one metric that has exactly these tags (plus service and environment) as dimensions, one line
 * per value: a SEARCH expression, for dashboards only (alarms cannot SEARCH). Its schema names the whole
 * dimension set, so it finds only the records the sink writes with exactly these tags.
 */
export function emfSearch(
  scope: EmfScope,
  name: string,
  tags: readonly string[],
  statistic: string,
  options: { period?: Duration; label?: string } = {},
): cloudwatch.MathExpression {
  const period = options.period ?? Duration.minutes(1)
  const keys = [EMF.environment, EMF.service, ...tags].sort().join(',')
  const filter = `${EMF.service}="${scope.service}" ${EMF.environment}="${scope.environment}"`
  // A dynamic label: each line is named by its tag values (a fixed label would name every line the same).
  const label = options.label ?? tags.map((tag) => `\${PROP('Dim.${tag}')}`).join(' ')
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${scope.namespace},${keys}} MetricName="${name}" ${filter}', '${statistic}', ${period.toSeconds()})`,
    usingMetrics: {},
    period,
    label,
  })
}

/**
 * One value over every series of a metric with exactly these tags (plus service and environment) as dimensions:
 * a Metrics Insights query, which alarms can evaluate (up to 3 hours back), e.g. the worst check status of all
 * checks, whatever the app names them.
 */
export function emfQuery(
  scope: EmfScope,
  name: string,
  tags: readonly string[],
  aggregate: 'MIN' | 'MAX' | 'SUM' | 'AVG',
  options: { period?: Duration; label?: string } = {},
): cloudwatch.MathExpression {
  const keys = [EMF.environment, EMF.service, ...tags].sort().join(', ')
  const where = `${EMF.service} = '${scope.service}' AND ${EMF.environment} = '${scope.environment}'`
  return new cloudwatch.MathExpression({
    expression: `SELECT ${aggregate}("${name}") FROM SCHEMA("${scope.namespace}", ${keys}) WHERE ${where}`,
    usingMetrics: {},
    period: options.period ?? Duration.minutes(1),
    ...(options.label !== undefined && { label: options.label }),
  })
}
