import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { objectives } from '../slo/objectives.js'
import { ALERT_NAME, fastRulesYaml } from '../slo/prometheus.js'
import { type SloApp, startLoad, startSloApp } from './support/slo-app.js'
import { type MonitoringStack, startMonitoringStack, startWebhookReceiver } from './support/slo-stack.js'
import { opsPath, readOpsFile } from './support/tools.js'

/*
 * The SLO alerts end to end, with the real parts: a kit app under seeded load, Debian's Prometheus scraping it
 * with the generated rules, Debian's Alertmanager with the generated config, and a loopback server standing in
 * for PagerDuty and Slack. Real time is too slow for 1-hour windows, so Prometheus loads the TEST-ONLY variant of
 * the rules (fastRulesYaml): every window, `for` and interval divided by TIME_FACTOR — 1h → 1m, 5m → 5s, 6h → 6m,
 * 1d → 24m — with the same expressions, thresholds and guards. Alertmanager's grouping waits are shortened the
 * same way; everything else in its config is the generated file.
 */
const TIME_FACTOR = 60
const SEED = 19
const REQUESTS_PER_SECOND = 20
const QUIET_MS = 40_000

const storefront = objectives.find((slo) => slo.name === 'storefront-availability')!
const checkout = objectives.find((slo) => slo.name === 'checkout-availability')!

const scratch = mkdtempSync(join(tmpdir(), 'vivr-slo-e2e-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

interface AmRoute {
  group_wait?: string
  group_interval?: string
  routes?: AmRoute[]
}
interface AmConfig {
  templates: string[]
  route: AmRoute
  receivers: {
    name: string
    slack_configs?: Record<string, unknown>[]
    pagerduty_configs?: Record<string, unknown>[]
  }[]
}

/** The generated Alertmanager config, pointed at the loopback receiver and with second-long group waits. */
function testAlertmanagerConfig(receiverUrl: string): string {
  const config = parse(readOpsFile('slo/generated/alertmanager.yml')) as AmConfig
  config.templates = [opsPath('alertmanager/templates/*.tmpl')]
  writeFileSync(join(scratch, 'slack-webhook-url'), `${receiverUrl}/slack`)
  writeFileSync(join(scratch, 'pagerduty-routing-key'), 'e2e-routing-key')
  for (const receiver of config.receivers) {
    for (const slack of receiver.slack_configs ?? []) slack.api_url_file = join(scratch, 'slack-webhook-url')
    for (const pagerduty of receiver.pagerduty_configs ?? []) {
      pagerduty.routing_key_file = join(scratch, 'pagerduty-routing-key')
      pagerduty.url = `${receiverUrl}/pagerduty`
    }
  }
  const shorten = (route: AmRoute) => {
    if (route.group_wait) route.group_wait = '1s'
    if (route.group_interval) route.group_interval = '2s'
    route.routes?.forEach(shorten)
  }
  shorten(config.route)
  return stringify(config)
}

interface Sample {
  metric: Record<string, string>
  value: [number, string]
}
async function query(stack: MonitoringStack, promql: string): Promise<Sample[]> {
  const response = await fetch(`${stack.prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`)
  return ((await response.json()) as { data: { result: Sample[] } }).data.result
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const found = await probe()
    if (found !== undefined) return found
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`)
}

interface AmAlert {
  labels: Record<string, string>
  status: { state: string; inhibitedBy: string[] }
}

describe(`SLO alerts end to end (TEST-ONLY rules, windows ÷${TIME_FACTOR})`, () => {
  it('stay quiet while errors are within the objective, then page PagerDuty on a burn; the page inhibits the ticket', async () => {
    const rulesFile = join(scratch, 'slo-rules-fast.yml')
    writeFileSync(rulesFile, fastRulesYaml(objectives, TIME_FACTOR))
    const receiver = await startWebhookReceiver()
    let app: SloApp | undefined
    let stack: MonitoringStack | undefined
    let load: ReturnType<typeof startLoad> | undefined
    const timings: Record<string, number> = {}
    const t0 = Date.now()
    try {
      app = await startSloApp(storefront.service)
      stack = await startMonitoringStack({
        dir: join(scratch, 'stack'),
        // The guide's threshold alerts load beside the SLO alerts, as in production.
        ruleFiles: [opsPath('prometheus/rules.yml'), rulesFile],
        target: new URL(app.metricsUrl),
        alertmanagerConfig: testAlertmanagerConfig(receiver.url),
        scrapeInterval: '1s',
        evaluationInterval: '1s',
      })
      timings.stackReadyMs = Date.now() - t0
      const s = stack

      // Phase 1: errors on the storefront page at half the storefront budget, none on checkout.
      load = startLoad(app, {
        perSecond: REQUESTS_PER_SECOND,
        seed: SEED,
        phase: { errorShare: { '/': storefront.errorBudget } },
      })
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS))
      const quiet = { ...load.sent }
      // The rules ran on real data: a ratio within budget, and more requests than the guard asks for.
      const ratio = await query(s, `slo:sli_error:ratio_rate1h{slo="${storefront.name}"}`)
      expect(ratio, s.logs()).toHaveLength(1)
      expect(Number(ratio[0]!.value[1])).toBeLessThan(storefront.errorBudget)
      const requests = await query(s, `slo:requests:increase1h{slo="${storefront.name}"}`)
      expect(Number(requests[0]?.value[1])).toBeGreaterThan(storefront.minRequests)
      expect(await query(s, `ALERTS{alertname="${ALERT_NAME}", alertstate="firing"}`)).toEqual([])
      expect(receiver.received, 'no notification while within the objective').toEqual([])
      timings.quietPhaseMs = QUIET_MS

      // Phase 2: one request in five fails, on every route: 40× the storefront budget, 200× checkout's.
      const burnStart = Date.now()
      load.setPhase({ errorShare: { '/': 0.2, '/api/checkout': 0.2 } })
      const pages = await until(
        'PagerDuty events for both availability SLOs',
        async () => {
          const events = receiver.received.filter((n) => n.path === '/pagerduty')
          const text = JSON.stringify(events)
          return text.includes(`${storefront.name} is burning`) &&
            text.includes(`${checkout.name} is burning`)
            ? events
            : undefined
        },
        60_000,
      )
      timings.burnToPageMs = Date.now() - burnStart
      const page = pages.find((n) => JSON.stringify(n.body).includes(`${storefront.name} is burning`))!
      expect(page.body).toMatchObject({
        routing_key: 'e2e-routing-key',
        event_action: 'trigger',
        payload: {
          severity: 'critical',
          custom_details: { severity: 'critical', runbooks: 'ops/runbooks/SLOBurnRate.md' },
        },
      })
      expect((page.body.payload as { summary: string }).summary).toMatch(/^SLOBurnRate: /)
      // …and Slack's critical channel hears of it too.
      const slackPage = receiver.received.find(
        (n) => n.path === '/slack' && JSON.stringify(n.body).includes('SLOBurnRate (critical)'),
      )
      expect(slackPage?.body.channel).toBe('#vivr-alerts-critical')

      // The 3× ticket fires ~48 s (its 48m `for` ÷ 60) into the burn; the page inhibits it in Alertmanager.
      const ticket = await until(
        'the ticket, inhibited by the page',
        async () => {
          const alerts = (await (
            await fetch(`${s.alertmanagerUrl}/api/v2/alerts?filter=alertname%3D%22${ALERT_NAME}%22`)
          ).json()) as AmAlert[]
          return alerts.find(
            (a) =>
              a.labels.severity === 'warning' &&
              a.labels.slo === storefront.name &&
              a.status.state === 'suppressed' &&
              a.status.inhibitedBy.length > 0,
          )
        },
        75_000,
      )
      timings.burnToInhibitedTicketMs = Date.now() - burnStart
      expect(ticket.labels).toMatchObject({ long_window: '1d', short_window: '2h' })
      await new Promise((resolve) => setTimeout(resolve, 3000)) // a group interval: a ticket would have gone out
      const ticketsSent = receiver.received.filter((n) =>
        JSON.stringify(n.body).includes('SLOBurnRate (warning)'),
      )
      expect(ticketsSent, 'the ticket reached Slack although the page was firing').toEqual([])
      timings.totalMs = Date.now() - t0
      console.info(
        `slo e2e: ${JSON.stringify(timings)}; requests quiet ${quiet.total} (${quiet.failed} failed), total ${load.sent.total} (${load.sent.failed} failed)`,
      )
    } finally {
      await load?.stop()
      await stack?.stop()
      await app?.close()
      await receiver.close()
    }
  }, 180_000)
})
