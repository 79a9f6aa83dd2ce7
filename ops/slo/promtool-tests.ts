import { OTEL_HTTP_DURATION_BUCKETS } from '@vivr/sink-prometheus'
import { stringify } from 'yaml'
import { ALERT_NAME, alertAnnotations, alertLabels } from './prometheus.js'
import { BURN_RATE_ALERTS, type BurnRateAlert, PROMETHEUS, type Slo } from './spec.js'

/*
 * promtool unit tests for one SLO's four alerts, generated from the same spec as the rules (so every objective
 * gets them). Each scenario feeds per-minute counters and states which SLOBurnRate alerts are firing at a time
 * (pending ones are not listed; promtool compares the whole list). Burn rates are multiples of the SLO's own
 * budget, so the scenarios hold for any objective the spec accepts.
 */

const [PAGE_FAST, PAGE_SLOW, TICKET_FAST, TICKET_SLOW] = BURN_RATE_ALERTS as [
  BurnRateAlert,
  BurnRateAlert,
  BurnRateAlert,
  BurnRateAlert,
]

/** One stretch of a counter: `perMinute` more every minute, for `minutes` minutes. */
interface Stretch {
  minutes: number
  perMinute: number
}

const num = (value: number): string => String(Number(value.toFixed(6)))

/** promtool's expanding notation for a counter that starts at 0 and grows by stretches, one sample a minute. */
export function counterValues(stretches: readonly Stretch[]): string {
  let value = 0
  return stretches
    .map((stretch, i) => {
      // The first stretch also writes the sample at minute 0; later ones start one minute after the previous end.
      const first = i === 0 ? value : value + stretch.perMinute
      const count = i === 0 ? stretch.minutes : stretch.minutes - 1
      value += stretch.perMinute * stretch.minutes
      return `${num(first)}+${num(stretch.perMinute)}x${count}`
    })
    .join(' ')
}

interface Series {
  series: string
  values: string
}

interface Traffic {
  /** Requests per minute, per stretch; the same stretches for good and bad. */
  stretches: readonly { minutes: number; perMinute: number; badShare: number }[]
  service?: string
  route?: string
}

function labels(values: Record<string, string>): string {
  return `{${Object.entries(values)
    .map(([name, value]) => `${name}="${value}"`)
    .join(', ')}}`
}

/** The series the app would expose for this traffic, in the SLO's own metric. */
function seriesFor(slo: Slo, traffic: Traffic): Series[] {
  const base = {
    job: 'vivr',
    instance: 'app-1:3000',
    [PROMETHEUS.service]: traffic.service ?? slo.service,
    method: 'GET',
    [PROMETHEUS.route]: traffic.route ?? slo.route ?? '/products/[slug]',
  }
  const good = counterValues(
    traffic.stretches.map((s) => ({ ...s, perMinute: s.perMinute * (1 - s.badShare) })),
  )
  const bad = counterValues(traffic.stretches.map((s) => ({ ...s, perMinute: s.perMinute * s.badShare })))
  const all = counterValues(traffic.stretches)
  if (slo.kind === 'availability') {
    return [
      {
        series: `${PROMETHEUS.requests}${labels({ ...base, [PROMETHEUS.statusCode]: '200' })}`,
        values: good,
      },
      { series: `${PROMETHEUS.requests}${labels({ ...base, [PROMETHEUS.statusCode]: '503' })}`, values: bad },
    ]
  }
  // Latency: the bucket at the threshold holds the good requests; every request is under the next bound, so a
  // rule reading the wrong bucket sees no slow request and the firing scenarios fail.
  const bounds = OTEL_HTTP_DURATION_BUCKETS
  const next = bounds[bounds.indexOf(slo.thresholdSeconds) + 1]
  const withStatus = { ...base, [PROMETHEUS.statusCode]: '200' }
  return [
    {
      series: `${PROMETHEUS.durationBuckets}${labels({ ...withStatus, le: String(slo.thresholdSeconds) })}`,
      values: good,
    },
    {
      series: `${PROMETHEUS.durationBuckets}${labels({ ...withStatus, le: next === undefined ? '+Inf' : String(next) })}`,
      values: all,
    },
    { series: `${PROMETHEUS.durationBuckets}${labels({ ...withStatus, le: '+Inf' })}`, values: all },
    { series: `${PROMETHEUS.durationCount}${labels(withStatus)}`, values: all },
  ].filter((s, i, list) => list.findIndex((other) => other.series === s.series) === i)
}

interface ExpectedAlert {
  exp_labels: Record<string, string>
  exp_annotations: Record<string, string>
}

/** An alert as promtool will render it, `$value` being the long window's burn rate. */
function firing(slo: Slo, alert: BurnRateAlert, burn: number): ExpectedAlert {
  const annotations = alertAnnotations(slo, alert)
  return {
    exp_labels: { ...alertLabels(slo, alert), service: slo.service },
    exp_annotations: {
      ...annotations,
      description: annotations.description.replace('{{ $value | printf "%.1f" }}', burn.toFixed(1)),
    },
  }
}

interface Scenario {
  name: string
  input_series: Series[]
  checks: { at: number; alerts: ExpectedAlert[] }[]
}

export function scenarios(slo: Slo): Scenario[] {
  const budget = slo.errorBudget
  /** Requests a minute: enough for the guard from the first minute on. */
  const rate = Math.max(1000, slo.minRequests)
  /** Between the fast page's 14.4× and the most the budget allows (100% errors). */
  const fast = Math.min(20, (PAGE_FAST.factor + 1 / budget) / 2)
  const steady = (minutes: number, burn: number, perMinute = rate) => [
    { minutes, perMinute, badShare: burn * budget },
  ]
  const outage = 1 / budget
  return [
    {
      name: `fast burn (${fast}× the budget) pages within minutes: ${PAGE_FAST.factor}× over ${PAGE_FAST.longWindow} and ${PAGE_FAST.shortWindow}`,
      input_series: seriesFor(slo, { stretches: steady(15, fast) }),
      // The 6h page is pending until its 12m `for` has passed; the 1h page fires after 2m.
      checks: [
        { at: 1, alerts: [] },
        { at: 10, alerts: [firing(slo, PAGE_FAST, fast)] },
      ],
    },
    {
      name: `burn at 10× the budget pages through the ${PAGE_SLOW.longWindow}/${PAGE_SLOW.shortWindow} alert only`,
      input_series: seriesFor(slo, { stretches: steady(25, 10) }),
      checks: [
        { at: 10, alerts: [] },
        { at: 20, alerts: [firing(slo, PAGE_SLOW, 10)] },
      ],
    },
    {
      name: `slow burn at 4.5× opens a ticket (warning), no page: ${TICKET_FAST.factor}× over ${TICKET_FAST.longWindow} and ${TICKET_FAST.shortWindow}`,
      input_series: seriesFor(slo, { stretches: steady(65, 4.5) }),
      checks: [
        { at: 40, alerts: [] },
        { at: 60, alerts: [firing(slo, TICKET_FAST, 4.5)] },
      ],
    },
    {
      name: `slower leak at 2× opens a ticket (warning): ${TICKET_SLOW.factor}× over ${TICKET_SLOW.longWindow} and ${TICKET_SLOW.shortWindow}`,
      input_series: seriesFor(slo, { stretches: steady(155, 2) }),
      checks: [
        { at: 120, alerts: [] },
        { at: 150, alerts: [firing(slo, TICKET_SLOW, 2)] },
      ],
    },
    {
      name: 'quiet while the objective is met: errors at 90% of the budget for 3 hours',
      input_series: seriesFor(slo, { stretches: steady(180, 0.9) }),
      checks: [
        { at: 60, alerts: [] },
        { at: 180, alerts: [] },
      ],
    },
    {
      name: `low traffic stays quiet: ${num(slo.minRequests / 120)} requests a minute, all failing, never reach minRequests (${slo.minRequests}) in a long window`,
      input_series: seriesFor(slo, { stretches: steady(90, outage, slo.minRequests / 120) }),
      checks: [
        { at: 30, alerts: [] },
        { at: 90, alerts: [] },
      ],
    },
    {
      name: 'a 10-minute outage pages at once; the 1h page stops 5 min after recovery, the 6h page after 30 min',
      input_series: seriesFor(slo, {
        stretches: [
          { minutes: 10, perMinute: rate, badShare: 1 },
          { minutes: 40, perMinute: rate, badShare: 0 },
        ],
      }),
      checks: [
        { at: 10, alerts: [firing(slo, PAGE_FAST, outage)] },
        // 10 bad minutes of 20: the 6h page's value is its long window, 50% errors.
        { at: 20, alerts: [firing(slo, PAGE_SLOW, 0.5 / budget)] },
        // Both pages reset (short windows clean); the 1d ticket is still pending.
        { at: 45, alerts: [] },
      ],
    },
    {
      name:
        slo.kind === 'availability'
          ? 'other services, other routes and 4xx answers do not count'
          : 'slow requests of other services and routes do not count',
      input_series: [
        ...seriesFor(slo, { stretches: steady(20, 0.5) }),
        ...seriesFor(slo, { service: `not-${slo.service}`, stretches: steady(20, outage) }),
        ...(slo.route ? seriesFor(slo, { route: '/api/other', stretches: steady(20, outage) }) : []),
        ...(slo.kind === 'availability'
          ? [
              {
                series: `${PROMETHEUS.requests}${labels({
                  job: 'vivr',
                  instance: 'app-1:3000',
                  [PROMETHEUS.service]: slo.service,
                  method: 'GET',
                  [PROMETHEUS.route]: slo.route ?? '/products/[slug]',
                  [PROMETHEUS.statusCode]: '404',
                })}`,
                values: counterValues([{ minutes: 20, perMinute: rate }]),
              },
            ]
          : []),
      ],
      checks: [{ at: 15, alerts: [] }],
    },
  ]
}

export function promtoolTestsYaml(slo: Slo): string {
  const file = {
    rule_files: [`../rules/${slo.name}.yml`],
    evaluation_interval: '1m',
    tests: scenarios(slo).map((scenario) => ({
      name: scenario.name,
      interval: '1m',
      input_series: scenario.input_series,
      alert_rule_test: scenario.checks.map((check) => ({
        eval_time: `${check.at}m`,
        alertname: ALERT_NAME,
        exp_alerts: check.alerts,
      })),
    })),
  }
  const header = `# GENERATED by \`npm run ops:slo\` from ops/slo/objectives.ts (ops/slo/promtool-tests.ts): do not edit.
# promtool unit tests of the ${ALERT_NAME} alerts of SLO ${slo.name}: each of the four fires on its own burn rate at
# its severity, and nothing fires while the objective is met, on low traffic, after a burn stops or for other traffic.
# Run: promtool test rules ops/slo/generated/tests/${slo.name}.yml
`
  return `${header}${stringify(file, { lineWidth: 0, aliasDuplicateObjects: false })}`
}
