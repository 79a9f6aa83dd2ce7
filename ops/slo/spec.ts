import { METRIC, METRICS, TAG } from '@vivr/core'
import { labelName, OTEL_HTTP_DURATION_BUCKETS, prometheusName } from '@vivr/sink-prometheus'

/*
 * SLOs as code: one typed objective per user journey, from which ops/slo/generate.ts writes the recording rules,
 * the multi-window multi-burn-rate alerts (Google SRE workbook, "Alerting on SLOs"), their promtool tests, the
 * Alertmanager routing, the Grafana panels and the CloudWatch alarms. Nothing downstream is written by hand.
 */

/**
 * The kit's default histogram bounds in seconds (`OTEL_HTTP_DURATION_BUCKETS` from @vivr/sink-prometheus), as
 * literal types so that the compiler rejects a latency threshold no bucket can measure. `defineSlos` checks the
 * value against the exported constant as well, and ops/test/slo-spec.test.ts checks that both lists agree.
 */
export const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
] as const
export type LatencyBucket = (typeof LATENCY_BUCKETS)[number]

interface SloCommon {
  /** Kebab-case id, unique: the `slo` label of every generated series and alert, and the alarm names. */
  readonly name: string
  /** One sentence for people: the dashboard row and the alert annotations show it. */
  readonly description: string
  /**
   * The service: the `service` label of the app's Prometheus series (set it as a default label, as the demo store
   * does with `prometheus.registry.setDefaultLabels({ service })`) and the `service` dimension of its EMF metrics
   * (`cloudwatchMetrics({ dimensions: { service } })`).
   */
  readonly service: string
  /** Only this route template (the `route` label, e.g. `/api/checkout`); every route of the service when absent. */
  readonly route?: string
  /** The share of requests that must be good over the window, e.g. 0.995. */
  readonly objective: number
  /** Compliance window. Only 30 days: the burn-rate factors (14.4, 6, 3, 1) are computed for it. */
  readonly window?: '30d'
  /**
   * Low-traffic guard: an alert fires only when its long window saw at least this many requests. At 3 requests
   * an hour, one failure is a 33% error rate; it is not worth waking anyone.
   */
  readonly minRequests: number
}

/** Good = answered without a 5xx (4xx are the client's; 499, the client left, is not the service's failure). */
export interface AvailabilitySlo extends SloCommon {
  readonly kind: 'availability'
}

/** Good = answered within `thresholdSeconds`, read from the histogram bucket with that bound. */
export interface LatencySlo extends SloCommon {
  readonly kind: 'latency'
  readonly thresholdSeconds: LatencyBucket
}

export type SloSpec = AvailabilitySlo | LatencySlo

/** A checked objective with everything the generators derive from it. */
export type Slo = SloSpec & {
  readonly window: '30d'
  /** 1 − objective, rounded to the objective's own decimals (0.995 → 0.005, not 0.0050000000000000044). */
  readonly errorBudget: number
}

/** The compliance window, in seconds. */
export const SLO_WINDOW_SECONDS = 30 * 86_400

export interface BurnRateAlert {
  /** `critical` pages (PagerDuty), `warning` opens a ticket (Slack): the kit's severities. */
  readonly severity: 'critical' | 'warning'
  readonly action: 'page' | 'ticket'
  /** How many times faster than the objective allows the budget is being spent. */
  readonly factor: number
  readonly longWindow: WindowName
  readonly shortWindow: WindowName
  /** Share of the 30-day budget spent when the long window burns at `factor`: factor × long / 30 days. */
  readonly budgetSpent: number
}

/** The windows the error ratio is recorded over, with their length in seconds. */
export const WINDOWS = {
  '5m': 300,
  '30m': 1_800,
  '1h': 3_600,
  '2h': 7_200,
  '6h': 21_600,
  '1d': 86_400,
  '3d': 259_200,
} as const
export type WindowName = keyof typeof WINDOWS

/**
 * The workbook's multiwindow, multi-burn-rate alerts for a 30-day window: each fires when both its long and its
 * short window burn faster than `factor` (the short one makes the alert stop soon after the burn stops).
 */
export const BURN_RATE_ALERTS: readonly BurnRateAlert[] = [
  {
    severity: 'critical',
    action: 'page',
    factor: 14.4,
    longWindow: '1h',
    shortWindow: '5m',
    budgetSpent: 0.02,
  },
  {
    severity: 'critical',
    action: 'page',
    factor: 6,
    longWindow: '6h',
    shortWindow: '30m',
    budgetSpent: 0.05,
  },
  { severity: 'warning', action: 'ticket', factor: 3, longWindow: '1d', shortWindow: '2h', budgetSpent: 0.1 },
  { severity: 'warning', action: 'ticket', factor: 1, longWindow: '3d', shortWindow: '6h', budgetSpent: 0.1 },
]

/** The long windows: the low-traffic guard counts requests over these. */
export const LONG_WINDOWS: readonly WindowName[] = BURN_RATE_ALERTS.map((alert) => alert.longWindow)

/**
 * How long an alert's condition must hold before it fires: long window / 30 (1h → 2m, 3d → 2h24m), as pyrra
 * does. Enough to ride out one missed scrape, small against the time the budget takes to go.
 */
export const forSeconds = (alert: BurnRateAlert): number => WINDOWS[alert.longWindow] / 30

/** The fastest burn the spec accepts: below this objective, 14.4 × the budget is over 100% errors. */
const FASTEST_FACTOR = Math.max(...BURN_RATE_ALERTS.map((alert) => alert.factor))

// ------------------------------------------------------------------------------ the kit's names, from its vocabulary

/** Every name the generated rules read, from @vivr/core's vocabulary through @vivr/sink-prometheus's translation. */
export const PROMETHEUS = {
  requests: prometheusName('increment', METRIC.httpRequests)!,
  durationBuckets: `${prometheusName('timing', METRIC.httpRequestDuration)}_bucket`,
  durationCount: `${prometheusName('timing', METRIC.httpRequestDuration)}_count`,
  statusCode: labelName(TAG.statusCode, false),
  route: labelName(TAG.route, false),
  /** Not a kit tag: the default label the app sets on its sink, and the EMF dimension of the same name. */
  service: 'service',
} as const

/** The EMF names (@vivr/sink-cloudwatch writes the dotted names and the tags as dimensions). */
export const EMF = {
  namespace: 'VIVR',
  requests: METRIC.httpRequests,
  errors: METRIC.errors,
  duration: METRIC.httpRequestDuration,
  route: TAG.route,
  service: 'service',
  environment: 'environment',
} as const

/** The unit the kit records request durations in (milliseconds); CloudWatch thresholds are in it. */
export const DURATION_UNIT = METRICS.get(METRIC.httpRequestDuration)?.unit

// ------------------------------------------------------------------------------ checking

export class SloSpecError extends Error {
  override name = 'SloSpecError'
}

const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/
/** Label values end up inside PromQL strings, YAML and alarm names: kept to characters that need no escaping. */
const LABEL_VALUE = /^[A-Za-z0-9_./:[\]-]+$/

function decimals(value: number): number {
  const text = String(value)
  return text.includes('e-') ? Number(text.split('e-')[1]) : (text.split('.')[1]?.length ?? 0)
}

/** 1 − objective without binary noise: 1 − 0.995 is 0.0050000000000000044 in floating point. */
export function errorBudgetOf(objective: number): number {
  return Number((1 - objective).toFixed(decimals(objective)))
}

function check(spec: SloSpec, buckets: readonly number[]): Slo {
  const where = `SLO ${JSON.stringify(spec.name)}`
  if (typeof spec.name !== 'string' || !NAME.test(spec.name) || spec.name.length > 48) {
    throw new SloSpecError(
      `${where}: name must be kebab-case, 1–48 characters (it becomes a label and alarm name)`,
    )
  }
  if (typeof spec.description !== 'string' || spec.description.trim() === '') {
    throw new SloSpecError(`${where}: a description is required (people read it in the alert)`)
  }
  if (typeof spec.service !== 'string' || !LABEL_VALUE.test(spec.service)) {
    throw new SloSpecError(`${where}: service must be a plain label value ([A-Za-z0-9_./:-])`)
  }
  if (spec.route !== undefined && (typeof spec.route !== 'string' || !LABEL_VALUE.test(spec.route))) {
    throw new SloSpecError(
      `${where}: route must be a route template such as /api/checkout or /products/[slug]`,
    )
  }
  if ((spec.window ?? '30d') !== '30d') {
    throw new SloSpecError(
      `${where}: only a 30-day window is supported (the burn-rate factors are computed for it)`,
    )
  }
  const lowest = 1 - 1 / FASTEST_FACTOR
  if (typeof spec.objective !== 'number' || !(spec.objective > lowest && spec.objective < 1)) {
    throw new SloSpecError(
      `${where}: objective must be above ${lowest.toFixed(4)} and below 1 (got ${spec.objective}); below it a` +
        ` ${FASTEST_FACTOR}× burn would need more than 100% errors, so the fast page could never fire`,
    )
  }
  if (decimals(spec.objective) > 6) {
    throw new SloSpecError(`${where}: objective has more than 6 decimals (${spec.objective})`)
  }
  if (!Number.isInteger(spec.minRequests) || spec.minRequests < 1) {
    throw new SloSpecError(`${where}: minRequests must be a whole number ≥ 1 (the low-traffic guard)`)
  }
  if (spec.kind === 'latency') {
    if (!buckets.includes(spec.thresholdSeconds)) {
      throw new SloSpecError(
        `${where}: thresholdSeconds ${spec.thresholdSeconds} is not a bucket bound of the duration histogram` +
          ` (${buckets.join(', ')}); the share of requests under it cannot be measured`,
      )
    }
  } else if (spec.kind !== 'availability') {
    throw new SloSpecError(`${where}: kind must be 'availability' or 'latency'`)
  }
  return { ...spec, window: '30d', errorBudget: errorBudgetOf(spec.objective) }
}

export interface DefineSlosOptions {
  /** The histogram's bucket bounds in seconds. @default OTEL_HTTP_DURATION_BUCKETS (the sink's default) */
  readonly buckets?: readonly number[]
}

/** Checks a list of objectives (throws a SloSpecError naming the first problem) and derives their budgets. */
export function defineSlos(specs: readonly SloSpec[], options: DefineSlosOptions = {}): readonly Slo[] {
  const buckets = options.buckets ?? OTEL_HTTP_DURATION_BUCKETS
  const slos = specs.map((spec) => check(spec, buckets))
  const seen = new Set<string>()
  for (const slo of slos) {
    if (seen.has(slo.name)) throw new SloSpecError(`SLO ${JSON.stringify(slo.name)} is defined twice`)
    seen.add(slo.name)
  }
  return slos
}

// ------------------------------------------------------------------------------ shared wording

/** 0.995 → "99.5%", 0.0005 → "0.05%". */
export const percent = (ratio: number): string => `${Number((ratio * 100).toFixed(6))}%`

/** A latency SLO's threshold in milliseconds, the unit the kit records durations in. */
export const thresholdMs = (slo: LatencySlo): number => Number((slo.thresholdSeconds * 1000).toFixed(3))

/** What a good request is, in words. */
export function goodEventText(slo: Slo): string {
  const scope = `requests to ${slo.service}${slo.route ? ` ${slo.route}` : ''}`
  return slo.kind === 'availability'
    ? `${percent(slo.objective)} of ${scope} answered without a 5xx, over 30 days`
    : `${percent(slo.objective)} of ${scope} answered within ${thresholdMs(slo)} ms, over 30 days`
}
