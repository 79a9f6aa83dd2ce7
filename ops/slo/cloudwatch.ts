import { METRICS } from '@vivr/core'
import { emfUnit } from '@vivr/sink-cloudwatch'
import { stringify } from 'yaml'
import { RUNBOOK } from './prometheus.js'
import {
  BURN_RATE_ALERTS,
  type BurnRateAlert,
  DURATION_UNIT,
  EMF,
  goodEventText,
  percent,
  type Slo,
  thresholdMs,
  WINDOWS,
  type WindowName,
} from './spec.js'

/*
 * The same objectives as CloudWatch alarms, for apps that ship metrics as EMF with @vivr/sink-cloudwatch
 * (with its `rollups: SERVICE_ROLLUPS` option: the per-route and per-service dimension sets). Per SLO: one metric-math alarm per window of each
 * burn-rate alert (the burn rate over that window, the long ones with the low-traffic guard), and two composite
 * alarms that notify: the page (either page pair in ALARM) and the ticket (either ticket pair), the ticket's
 * actions suppressed while the page is in ALARM. CloudWatch evaluates every alarm each minute over a sliding
 * window of its period, so a period of 1h is "the last hour", like PromQL's [1h].
 */

const ref = (name: string) => ({ Ref: name })
const sub = (text: string) => ({ 'Fn::Sub': text })

/** `storefront-availability` → `StorefrontAvailability` (CloudFormation logical ids are alphanumeric). */
export const logicalId = (name: string): string =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')

/** Tier names: Page1h, Page6h, Ticket1d, Ticket3d (the action and the long window). */
export const tierId = (alert: BurnRateAlert): string =>
  `${alert.action === 'page' ? 'Page' : 'Ticket'}${alert.longWindow}`

function dimensions(slo: Slo) {
  return [
    { Name: EMF.service, Value: slo.service },
    { Name: EMF.environment, Value: ref('Environment') },
    ...(slo.route ? [{ Name: EMF.route, Value: slo.route }] : []),
  ]
}

/** The unit @vivr/sink-cloudwatch writes a kit metric with (an alarm naming another unit reads nothing). */
function unitOf(metricName: string): string {
  const kind = METRICS.get(metricName)?.kind
  if (kind === undefined) throw new Error(`${metricName} is not in @vivr/core's vocabulary`)
  return emfUnit(kind, metricName)
}

function metricStat(slo: Slo, id: string, metricName: string, stat: string, period: number) {
  return {
    Id: id,
    MetricStat: {
      Metric: { Namespace: ref('Namespace'), MetricName: metricName, Dimensions: dimensions(slo) },
      Period: period,
      Stat: stat,
      Unit: unitOf(metricName),
    },
    ReturnData: false,
  }
}

/** The burn rate over one window: error ratio / budget, 0 below minRequests when `guard`. */
export function burnExpression(slo: Slo, guard: boolean): string {
  const ratio = slo.kind === 'availability' ? 'FILL(bad, 0) / total' : '(100 - good_pct) / 100'
  const burn = `${ratio} / ${slo.errorBudget}`
  return guard ? `IF(total >= ${slo.minRequests}, ${burn}, 0)` : burn
}

function windowAlarm(slo: Slo, alert: BurnRateAlert, window: WindowName, long: boolean) {
  const period = WINDOWS[window]
  const inputs =
    slo.kind === 'availability'
      ? [
          metricStat(slo, 'bad', EMF.errors, 'Sum', period),
          metricStat(slo, 'total', EMF.requests, 'Sum', period),
        ]
      : [
          // PR(:x): the percentage of values ≤ x (CloudWatch's percentile rank); durations are in milliseconds.
          metricStat(slo, 'good_pct', EMF.duration, `PR(:${thresholdMs(slo)})`, period),
          metricStat(slo, 'total', EMF.duration, 'SampleCount', period),
        ]
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: sub(
        `vivr-\${Environment}-slo-${slo.name}-${alert.action}-${alert.longWindow}-${long ? 'long' : 'short'}`,
      ),
      AlarmDescription:
        `${slo.name}: burn rate over ${window} above ${alert.factor}× ` +
        `(${long ? `long window of the ${alert.action}, needs ${slo.minRequests} requests` : `short window of the ${alert.action}`}). ` +
        'No actions: the composite alarms notify.',
      Metrics: [
        ...inputs,
        {
          Id: 'burn',
          Expression: burnExpression(slo, long),
          Label: `burn rate over ${window}`,
          ReturnData: true,
        },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: alert.factor,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      // No requests at all is not a burn (and not the SLO's problem to report: ServiceDown / the ALB's is).
      TreatMissingData: 'notBreaching',
    },
  }
}

export const alarmIds = (slo: Slo, alert: BurnRateAlert) => ({
  long: `${logicalId(slo.name)}${tierId(alert)}Long`,
  short: `${logicalId(slo.name)}${tierId(alert)}Short`,
})

/** Where the composite alarms notify: a topic ARN each (a `Ref` to a parameter, or a CDK token). */
export interface SloTopics {
  readonly page: unknown
  readonly ticket: unknown
}

function compositeAlarm(slo: Slo, action: 'page' | 'ticket', topics: SloTopics, suppressor?: string) {
  const pairs = BURN_RATE_ALERTS.filter((alert) => alert.action === action).map((alert) => {
    const ids = alarmIds(slo, alert)
    return `(ALARM("\${${ids.long}}") AND ALARM("\${${ids.short}}"))`
  })
  const topic = action === 'page' ? topics.page : topics.ticket
  return {
    Type: 'AWS::CloudWatch::CompositeAlarm',
    Properties: {
      AlarmName: sub(`vivr-\${Environment}-slo-${slo.name}-${action}`),
      AlarmDescription:
        `SLO ${slo.name} (${action === 'page' ? 'page' : 'ticket'}): ${goodEventText(slo)}; error budget ` +
        `${percent(slo.errorBudget)} of requests. ${slo.description} Runbook: ${RUNBOOK}`,
      AlarmRule: sub(pairs.join(' OR ')),
      ActionsEnabled: true,
      AlarmActions: [topic],
      OKActions: [topic],
      ...(suppressor && {
        // While the page is in ALARM its tickets stay silent (Alertmanager's inhibition).
        ActionsSuppressor: ref(suppressor),
        ActionsSuppressorWaitPeriod: 120,
        ActionsSuppressorExtensionPeriod: 300,
      }),
    },
  }
}

/** A CloudFormation resource as the generators write it. */
export interface TemplateResource {
  readonly Type: string
  readonly Properties: Record<string, unknown>
}

/**
 * The alarms of these objectives, by logical id: they `Ref` the parameters `Environment` and `Namespace` and each
 * other (the composites name the window alarms by logical id), so a template holding them must keep those ids.
 * ops/aws/stack.ts adds them to the CDK stack with its own SNS topics.
 */
export function sloAlarmResources(
  slos: readonly Slo[],
  topics: SloTopics = { page: ref('PageTopicArn'), ticket: ref('TicketTopicArn') },
): Record<string, TemplateResource> {
  const resources: Record<string, TemplateResource> = {}
  for (const slo of slos) {
    for (const alert of BURN_RATE_ALERTS) {
      const ids = alarmIds(slo, alert)
      resources[ids.long] = windowAlarm(slo, alert, alert.longWindow, true)
      resources[ids.short] = windowAlarm(slo, alert, alert.shortWindow, false)
    }
    const page = `${logicalId(slo.name)}Page`
    resources[page] = compositeAlarm(slo, 'page', topics)
    resources[`${logicalId(slo.name)}Ticket`] = compositeAlarm(slo, 'ticket', topics, page)
  }
  return resources
}

export function cloudwatchTemplate(slos: readonly Slo[]) {
  const resources = sloAlarmResources(slos)
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      'VIVR SLO burn-rate alarms (generated by npm run ops:slo from ops/slo/objectives.ts): multiwindow, ' +
      'multi-burn-rate alarms on the EMF request metrics of @vivr/sink-cloudwatch, pages and tickets to SNS.',
    Parameters: {
      Environment: {
        Type: 'String',
        Default: 'production',
        AllowedPattern: '[a-z0-9-]+',
        Description: 'The environment dimension the app sets on its EMF sink, and part of the alarm names.',
      },
      Namespace: {
        Type: 'String',
        Default: EMF.namespace,
        Description: "The EMF namespace of the app's cloudwatchMetrics sink.",
      },
      PageTopicArn: {
        Type: 'String',
        Description: 'SNS topic for pages (subscribe PagerDuty, Opsgenie, …).',
      },
      TicketTopicArn: {
        Type: 'String',
        Description: 'SNS topic for tickets (Slack through AWS Chatbot, a ticketing system, …).',
      },
    },
    Resources: resources,
  }
}

const HEADER = `# GENERATED by \`npm run ops:slo\` from ops/slo/objectives.ts (ops/slo/cloudwatch.ts): do not edit.
#
# The SLOs of ./rules/ as CloudWatch alarms, for apps that send metrics as EMF with @vivr/sink-cloudwatch.
# A template of its own, for SNS topics you already have. ops/aws/vivr-monitoring.yml (the CDK app of ops/aws)
# holds the same alarms with its own page and ticket topics; deploy one or the other, not both:
#
#   aws cloudformation deploy --stack-name vivr-slo-production \\
#     --template-file ops/slo/generated/cloudwatch-alarms.yml \\
#     --parameter-overrides Environment=production PageTopicArn=arn:aws:sns:… TicketTopicArn=arn:aws:sns:…
#
# REQUIRES the app's EMF sink with \`rollups: SERVICE_ROLLUPS\` (@vivr/sink-cloudwatch): by default the sink writes
# every tag as a dimension (method, route, status_code), and CloudWatch alarms cannot sum over dimension values;
# the alarms read http.requests, errors.count (5xx) and http.request.duration with dimensions service,
# environment (the sink's \`dimensions\` option) and, for an SLO on one route, route.
#
# Per SLO: a metric-math alarm per window (burn rate = error ratio / budget over a period of that window; the
# long windows are 0 below the SLO's minRequests), and two composite alarms, the only ones with actions:
#   <SLO>Page   = (1h > 14.4× AND 5m > 14.4×) OR (6h > 6× AND 30m > 6×)   → PageTopicArn
#   <SLO>Ticket = (1d > 3× AND 2h > 3×) OR (3d > 1× AND 6h > 1×)          → TicketTopicArn, silent while the page is
# Latency uses the percentile rank PR(:threshold ms) of http.request.duration (${DURATION_UNIT}).
# Checked structurally and against the EMF the kit writes by ops/test/slo-cloudwatch.test.ts (cfn-lint and
# AWS are not reachable offline: run cfn-lint before deploying).
`

export function cloudwatchTemplateYaml(slos: readonly Slo[]): string {
  const text = stringify(cloudwatchTemplate(slos), { lineWidth: 0, aliasDuplicateObjects: false })
  // Quoted, as AWS writes it: a YAML 1.1 parser would read the bare value as a date.
  return `${HEADER}${text.replace(/^AWSTemplateFormatVersion: 2010-09-09$/m, 'AWSTemplateFormatVersion: "2010-09-09"')}`
}
