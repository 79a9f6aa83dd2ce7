import { METRIC, TAG } from '@vivr/core'
import {
  aws_cloudwatch_actions as actions,
  CfnDeletionPolicy,
  CfnElement,
  CfnOutput,
  CfnParameter,
  CfnResource,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_elasticloadbalancingv2 as elbv2,
  Fn,
  aws_logs as logs,
  Stack,
  type StackProps,
  aws_sns as sns,
} from 'aws-cdk-lib'
import type { Construct, IConstruct } from 'constructs'
import { sloAlarmResources } from '../slo/cloudwatch.js'
import { objectives } from '../slo/objectives.js'
import { EMF, type Slo } from '../slo/spec.js'
import { vivrDashboard } from './dashboard.js'
import { type EmfScope, emfMetric, emfQuery } from './metrics.js'

/*
 * The AWS half of the ops kit, as one CloudFormation stack (`npm run ops:aws` writes it to vivr-monitoring.yml):
 *   - the ALB target group probing readiness and the log group (the values argued in README.md);
 *   - two SNS topics: page (critical) and ticket (warning and info), as Alertmanager routes them;
 *   - the guide's alert rules as CloudWatch alarms on the EMF metrics the kit writes (and the ALB's healthy hosts);
 *   - the SLO burn-rate alarms of ops/slo/objectives.ts (ops/slo/cloudwatch.ts generates them);
 *   - a dashboard mirroring ops/grafana/vivr-dashboard.json.
 * Every CloudWatch metric name, unit and dimension comes from the kit's vocabulary (ops/aws/metrics.ts).
 */

/** Runbooks, as the Prometheus rules' `runbook` annotations name them. */
const runbook = (alert: string) => `ops/runbooks/${alert}.md`

export interface VivrMonitoringStackProps extends StackProps {
  /** The SLOs to alarm on. @default the demo store's, ops/slo/objectives.ts */
  readonly slos?: readonly Slo[]
}

/** Gives an L2 construct's resource a readable logical id (the template is committed and read by people). */
function named<T extends IConstruct>(construct: T, logicalId: string): T {
  const resource = construct.node.defaultChild
  if (!(resource instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`)
  resource.overrideLogicalId(logicalId)
  return construct
}

export class VivrMonitoringStack extends Stack {
  constructor(scope: Construct, id: string, props: VivrMonitoringStackProps = {}) {
    super(scope, id, props)
    this.templateOptions.templateFormatVersion = '2010-09-09'

    // ------------------------------------------------------------------------------------------ parameters
    // Logical ids as named: ops/slo/cloudwatch.ts's alarms Ref `Environment` and `Namespace`.
    const environment = new CfnParameter(this, 'Environment', {
      type: 'String',
      default: 'production',
      allowedPattern: '[a-z0-9-]+',
      description:
        'Part of the log group name (/vivr/<environment>/app), of the alarm names and resource tags; the ' +
        "environment dimension the app's EMF sink sets (cloudwatchMetrics({ dimensions: { environment } })).",
    })
    const vpcId = new CfnParameter(this, 'VpcId', {
      type: 'AWS::EC2::VPC::Id',
      description: "The VPC the app's tasks run in.",
    })
    const deregistrationDelay = new CfnParameter(this, 'DeregistrationDelaySeconds', {
      type: 'Number',
      default: 30,
      minValue: 0,
      maxValue: 3600,
      description:
        'How long the ALB lets in-flight requests finish on a deregistered target. Longer than the slowest ' +
        'request the app serves; the AWS default of 300 s only slows every deployment down.',
    })
    const service = new CfnParameter(this, 'Service', {
      type: 'String',
      default: 'vivr-web',
      allowedPattern: '[A-Za-z0-9_./:-]+',
      description:
        "The service dimension of the app's EMF sink (cloudwatchMetrics({ dimensions: { service } })): the " +
        'service the dashboard and the threshold alarms watch. The SLO alarms name their own services.',
    })
    const namespace = new CfnParameter(this, 'Namespace', {
      type: 'String',
      default: EMF.namespace,
      description: "The EMF namespace of the app's cloudwatchMetrics sink.",
    })
    const loadBalancer = new CfnParameter(this, 'LoadBalancerFullName', {
      type: 'String',
      allowedPattern: 'app/[^/]+/[0-9a-f]+',
      description:
        'The ALB in front of the target group, as its LoadBalancerFullName (app/<name>/<id>): the dimension of ' +
        'the healthy-host count the ServiceDown alarm reads.',
    })
    const taskMemory = new CfnParameter(this, 'TaskMemoryMiB', {
      type: 'Number',
      default: 1024,
      minValue: 128,
      description:
        "The memory limit of one task (the ECS task definition's memory): HighMemoryUsage fires above 90% of it.",
    })

    // ---------------------------------------------------------------------- what the template held before
    const tags = [
      { key: 'app', value: 'vivr' },
      { key: 'environment', value: environment.valueAsString },
    ]
    const targetGroup = new elbv2.CfnTargetGroup(this, 'AppTargetGroup', {
      name: Fn.sub(`vivr-\${Environment}-app`),
      vpcId: vpcId.valueAsString,
      targetType: 'ip',
      protocol: 'HTTP',
      port: 3000,
      healthCheckEnabled: true,
      healthCheckProtocol: 'HTTP',
      // Readiness, not the full report: see README.md "Why readiness".
      healthCheckPath: '/api/health/ready',
      healthCheckPort: '3000',
      healthCheckIntervalSeconds: 30,
      // Above the app's per-check deadlines (1 s by default), below the interval: see README.md.
      healthCheckTimeoutSeconds: 5,
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 2,
      matcher: { httpCode: '200' },
      targetGroupAttributes: [
        { key: 'deregistration_delay.timeout_seconds', value: deregistrationDelay.valueAsString },
      ],
      tags,
    })
    const logGroup = new logs.CfnLogGroup(this, 'AppLogGroup', {
      logGroupName: Fn.sub(`/vivr/\${Environment}/app`),
      retentionInDays: 30,
      tags,
    })
    // Logs outlive a deleted or replaced stack: an incident investigation must not lose them.
    logGroup.cfnOptions.deletionPolicy = CfnDeletionPolicy.RETAIN
    logGroup.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN

    // ------------------------------------------------------------------------------------------ topics
    // Publishers must use TLS (cdk-nag AwsSolutions-SNS3). No KMS key: CloudWatch can publish to an encrypted
    // topic only through a customer-managed key whose policy admits it; AwsSolutions does not require one.
    const page = named(
      new sns.Topic(this, 'PageTopic', {
        displayName: 'VIVR pages (critical: wake someone)',
        enforceSSL: true,
      }),
      'PageTopic',
    )
    const ticket = named(
      new sns.Topic(this, 'TicketTopic', {
        displayName: 'VIVR tickets (warning and info: look at it today)',
        enforceSSL: true,
      }),
      'TicketTopic',
    )

    // ------------------------------------------------------------------------------------------ alarms
    const emf: EmfScope = {
      namespace: namespace.valueAsString,
      service: service.valueAsString,
      environment: environment.valueAsString,
    }
    const healthyHosts = new cloudwatch.Metric({
      namespace: 'AWS/ApplicationELB',
      metricName: 'HealthyHostCount',
      dimensionsMap: {
        TargetGroup: targetGroup.attrTargetGroupFullName,
        LoadBalancer: loadBalancer.valueAsString,
      },
      statistic: 'Minimum',
      period: Duration.minutes(1),
      label: 'healthy targets',
    })
    const alarm = (
      name: string,
      severity: 'critical' | 'warning' | 'info',
      summary: string,
      props: Omit<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription'>,
    ) => {
      const created = named(
        new cloudwatch.Alarm(this, name, {
          ...props,
          alarmName: Fn.sub(`vivr-\${Environment}-\${Service}-${name}`),
          alarmDescription: `${summary} (${severity}). Runbook: ${runbook(name)}`,
        }),
        name,
      )
      const topic = new actions.SnsAction(severity === 'critical' ? page : ticket)
      created.addAlarmAction(topic)
      created.addOkAction(topic)
      return created
    }

    alarm('ServiceDown', 'critical', 'No healthy target behind the ALB for 2 minutes', {
      metric: healthyHosts,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      // No data: the target group is gone or the ALB reports nothing; Prometheus' `absent(up)` in CloudWatch terms.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    })
    const fiveMinutes = Duration.minutes(5)
    alarm('HighErrorRate', 'critical', 'More than 5% of the requests answered 5xx over 5 minutes', {
      metric: new cloudwatch.MathExpression({
        // A ratio of requests, as in ops/prometheus/rules.yml; no requests → no data → not an error.
        expression: 'FILL(errors, 0) / requests',
        usingMetrics: {
          errors: emfMetric(emf, METRIC.errors, { statistic: 'Sum', period: fiveMinutes, withUnit: true }),
          requests: emfMetric(emf, METRIC.httpRequests, {
            statistic: 'Sum',
            period: fiveMinutes,
            withUnit: true,
          }),
        },
        period: fiveMinutes,
        label: 'share of requests answered 5xx',
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0.05,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    })
    alarm('HealthCheckFailing', 'critical', 'A health check has reported an error for 2 minutes', {
      // health.check.status per check (1 ok, 0.5 degraded, 0 error), the worst of every check and task: a
      // Metrics Insights query, since an alarm cannot SEARCH and the check names are the app's.
      metric: emfQuery(emf, METRIC.healthCheckStatus, [TAG.check], 'MIN', {
        period: Duration.minutes(1),
        label: 'worst check status',
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    })
    alarm('HighResponseTime', 'warning', 'p95 response time above 5 s for 5 minutes', {
      metric: emfMetric(emf, METRIC.httpRequestDuration, { statistic: 'p95', withUnit: true }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 5000, // ms: the unit the kit records durations in
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    })
    alarm('HighMemoryUsage', 'warning', "A task's resident memory above 90% of its limit for 5 minutes", {
      metric: new cloudwatch.MathExpression({
        expression: `100 * rss / (${taskMemory.valueAsString} * 1048576)`,
        usingMetrics: { rss: emfMetric(emf, METRIC.rss, { statistic: 'Maximum', withUnit: true }) },
        period: Duration.minutes(1),
        label: '% of the task memory limit (largest task)',
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 90,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    })
    alarm('EventLoopDelayHigh', 'warning', 'Event loop delay p99 above 100 ms on a task for 5 minutes', {
      metric: emfMetric(emf, METRIC.eventLoopDelayP99, { statistic: 'Maximum', withUnit: true }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 100, // ms
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    })
    alarm('SlowQueryDetected', 'info', 'Slow database queries in the last 5 minutes', {
      // The counter is written only when it grows: a datum above 0 in the period is a new slow query.
      metric: emfMetric(emf, METRIC.databaseSlowQueries, {
        statistic: 'Sum',
        period: Duration.minutes(5),
        withUnit: true,
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    })

    // ------------------------------------------------------------------------------------------ SLOs
    // The generator's resources as they are (their logical ids are Ref'd by the composites), with this
    // stack's topics: a CfnResource directly under the stack keeps its id as its logical id.
    const sloResources = sloAlarmResources(props.slos ?? objectives, {
      page: page.topicArn,
      ticket: ticket.topicArn,
    })
    for (const [logicalId, resource] of Object.entries(sloResources)) {
      new CfnResource(this, logicalId, { type: resource.Type, properties: resource.Properties })
    }

    // ------------------------------------------------------------------------------------------ dashboard
    const dashboard = named(
      vivrDashboard(this, 'Dashboard', {
        name: Fn.sub(`vivr-\${Environment}-\${Service}`),
        scope: emf,
        healthyHosts,
      }),
      'Dashboard',
    )

    new CfnOutput(this, 'TargetGroupArn', {
      description: "Attach to the ALB listener and to the ECS service's loadBalancers.",
      value: targetGroup.ref,
    })
    new CfnOutput(this, 'LogGroupName', {
      description: 'Give to @vivr/sink-cloudwatch as logGroupName.',
      value: logGroup.ref,
    })
    new CfnOutput(this, 'PageTopicArn', {
      description: 'Subscribe the pager (PagerDuty, Opsgenie: an HTTPS endpoint) to this topic.',
      value: page.topicArn,
    })
    new CfnOutput(this, 'TicketTopicArn', {
      description:
        'Subscribe the team channel (Slack through AWS Chatbot, a ticketing system) to this topic.',
      value: ticket.topicArn,
    })
    new CfnOutput(this, 'DashboardName', {
      description: 'The CloudWatch dashboard (CloudWatch → Dashboards).',
      value: dashboard.dashboardName,
    })
  }
}
