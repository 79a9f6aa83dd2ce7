import { METRIC, type MetricSink, TAG, type Tags } from '@vivr/core'

/*
 * Why this exists: @vivr/sink-cloudwatch writes each metric with ONE dimension set, every tag a dimension
 * (service, environment, method, route, status_code). CloudWatch only aggregates within a dimension set, and an
 * alarm can neither SEARCH nor sum an open-ended list of status codes (metric math takes at most 10 metrics;
 * Metrics Insights, which can aggregate, evaluates 3 hours at most). So the SLO alarms in
 * ops/slo/generated/cloudwatch-alarms.yml read rollups: the same request metrics again with only the route, and
 * with no tag at all. Wrap the EMF sink (and only it: a Prometheus sink aggregates on its own) with this:
 *
 *   const emf = withSloRollups(cloudwatchMetrics({ namespace: 'VIVR', dimensions: { service, environment } }))
 *
 * The wrapper can go once the sink writes extra dimension sets itself (EMF allows several per metric).
 */

/** The request metrics the SLO alarms read (dotted names from the kit's vocabulary). */
export const SLO_EMF_METRICS: ReadonlySet<string> = new Set([
  METRIC.httpRequests,
  METRIC.errors,
  METRIC.httpRequestDuration,
])

/** The tag sets each request metric is written again with: per route, and for the whole service. */
function rollups(tags: Tags | undefined): Tags[] {
  const route = tags?.[TAG.route]
  return route === undefined ? [{}] : [{ [TAG.route]: route }, {}]
}

/** Forwards everything to `sink`, and the SLO request metrics once more per rollup. */
export function withSloRollups(sink: MetricSink): MetricSink {
  const call =
    (kind: 'increment' | 'timing') =>
    (name: string, value: number | undefined, tags?: Tags): void => {
      if (kind === 'increment') sink.increment(name, value, tags)
      else sink.timing(name, value ?? 0, tags)
      if (!SLO_EMF_METRICS.has(name)) return
      for (const rollup of rollups(tags)) {
        if (kind === 'increment') sink.increment(name, value, rollup)
        else sink.timing(name, value ?? 0, rollup)
      }
    }
  return {
    increment: call('increment'),
    timing: call('timing'),
    gauge: (name, value, tags) => sink.gauge(name, value, tags),
    histogram: (name, value, tags) => sink.histogram(name, value, tags),
    flush: async () => sink.flush?.(),
    close: async () => sink.close?.(),
  }
}
