import { METRIC, TAG } from '@vivr/core'
import { aws_cloudwatch as cloudwatch, Duration } from 'aws-cdk-lib'
import type { Construct } from 'constructs'
import { type EmfScope, emfMetric, emfSearch } from './metrics.js'

/*
 * The CloudWatch twin of ops/grafana/vivr-dashboard.json, row by row, on the EMF metrics of one service:
 * Overview, Traffic, Health, Database, Business, Runtime. Grafana's Process row (prom-client's default metrics)
 * has no EMF twin: the Runtime row (runtimeMetrics from @vivr/core/node) covers memory and the event loop.
 * Per-service panels read SERVICE_ROLLUPS' sets; per-route and per-check panels SEARCH the sets with that tag.
 */

const header = (text: string) => new cloudwatch.TextWidget({ markdown: `## ${text}`, width: 24, height: 1 })

export interface DashboardProps {
  readonly name: string
  readonly scope: EmfScope
  /** The ALB's healthy targets of this service (AWS/ApplicationELB). */
  readonly healthyHosts: cloudwatch.IMetric
}

export function vivrDashboard(parent: Construct, id: string, props: DashboardProps): cloudwatch.Dashboard {
  const { scope } = props
  const m = (name: string, statistic: string, label?: string, period?: Duration) =>
    emfMetric(scope, name, { statistic, ...(label && { label }), ...(period && { period }) })
  const ratio5xx = (period: Duration) =>
    new cloudwatch.MathExpression({
      expression: 'FILL(errors, 0) / requests',
      usingMetrics: {
        errors: m(METRIC.errors, 'Sum', undefined, period),
        requests: m(METRIC.httpRequests, 'Sum', undefined, period),
      },
      label: 'share of requests answered 5xx',
      period,
    })
  const latency = (percentile: string) => m(METRIC.httpRequestDuration, percentile, `${percentile} (ms)`)

  const dashboard = new cloudwatch.Dashboard(parent, id, {
    dashboardName: props.name,
    defaultInterval: Duration.hours(3),
  })
  dashboard.addWidgets(header('Overview'))
  dashboard.addWidgets(
    new cloudwatch.SingleValueWidget({
      title: 'Healthy targets',
      metrics: [props.healthyHosts],
      width: 4,
      height: 4,
    }),
    new cloudwatch.SingleValueWidget({
      title: 'Requests per minute',
      metrics: [m(METRIC.httpRequests, 'Sum', 'requests')],
      width: 5,
      height: 4,
    }),
    new cloudwatch.SingleValueWidget({
      title: 'Error rate (5xx)',
      metrics: [ratio5xx(Duration.minutes(5))],
      width: 5,
      height: 4,
    }),
    new cloudwatch.SingleValueWidget({
      title: 'Latency p95 (ms)',
      metrics: [m(METRIC.httpRequestDuration, 'p95', 'p95', Duration.minutes(5))],
      width: 5,
      height: 4,
    }),
    new cloudwatch.SingleValueWidget({
      title: 'Health (1 healthy, 0.5 degraded, 0 unhealthy)',
      metrics: [m(METRIC.healthStatus, 'Minimum', 'worst task')],
      width: 5,
      height: 4,
    }),
  )

  dashboard.addWidgets(header('Traffic'))
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Requests per minute by route',
      left: [emfSearch(scope, METRIC.httpRequests, [TAG.route], 'Sum')],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Error rate',
      left: [ratio5xx(Duration.minutes(1))],
      leftYAxis: { min: 0, max: 1, showUnits: false },
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Latency (ms)',
      left: [latency('p50'), latency('p95'), latency('p99')],
      width: 8,
    }),
  )
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: '5xx by route',
      left: [emfSearch(scope, METRIC.errors, [TAG.route], 'Sum')],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Latency p95 by route (ms)',
      left: [emfSearch(scope, METRIC.httpRequestDuration, [TAG.route], 'p95')],
      width: 12,
    }),
  )

  dashboard.addWidgets(header('Health'))
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Check status (1 ok, 0.5 degraded, 0 error; worst task)',
      left: [emfSearch(scope, METRIC.healthCheckStatus, [TAG.check], 'Minimum')],
      leftYAxis: { min: 0, max: 1, showUnits: false },
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Check latency (ms, slowest task)',
      left: [emfSearch(scope, METRIC.healthCheckLatency, [TAG.check], 'Maximum')],
      width: 12,
    }),
  )

  dashboard.addWidgets(header('Database'))
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Query time p95 by model and operation (ms)',
      left: [emfSearch(scope, METRIC.databaseQueryDuration, [TAG.model, TAG.operation], 'p95')],
      right: [m(METRIC.databaseQueryDuration, 'p95', 'all queries p95')],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Slow queries',
      left: [emfSearch(scope, METRIC.databaseSlowQueries, [TAG.model, TAG.operation], 'Sum')],
      width: 12,
    }),
  )

  dashboard.addWidgets(header('Business'))
  dashboard.addWidgets(
    new cloudwatch.SingleValueWidget({
      title: 'Orders (selected range)',
      metrics: [m(METRIC.ordersCreated, 'Sum', 'orders')],
      setPeriodToTimeRange: true,
      width: 6,
    }),
    new cloudwatch.GraphWidget({
      title: 'Orders per minute',
      left: [m(METRIC.ordersCreated, 'Sum', 'orders')],
      width: 9,
    }),
    new cloudwatch.GraphWidget({
      title: 'Revenue processed (last order)',
      left: [m(METRIC.revenueProcessed, 'Maximum', 'revenue')],
      width: 9,
    }),
  )

  dashboard.addWidgets(header('Runtime'))
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Event loop delay (ms, worst task)',
      left: [m(METRIC.eventLoopDelayP99, 'Maximum', 'p99'), m(METRIC.eventLoopDelayMax, 'Maximum', 'max')],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'Event loop utilization',
      left: [m(METRIC.eventLoopUtilization, 'Maximum', 'busiest task')],
      leftYAxis: { min: 0, max: 1, showUnits: false },
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: 'GC pause by kind (s per minute)',
      left: [emfSearch(scope, METRIC.gcPause, [TAG.gcKind], 'Sum')],
      width: 8,
    }),
  )
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Heap and RSS (bytes, largest task)',
      left: [
        m(METRIC.heapUsed, 'Maximum', 'heap used'),
        m(METRIC.heapTotal, 'Maximum', 'heap total'),
        m(METRIC.rss, 'Maximum', 'RSS'),
      ],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: 'Active resources',
      left: [m(METRIC.activeHandles, 'Maximum', 'most on one task')],
      width: 12,
    }),
  )
  return dashboard
}
