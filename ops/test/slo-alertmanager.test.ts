import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { SLO_INHIBITION } from '../slo/alertmanager.js'
import { ALERT_NAME } from '../slo/prometheus.js'
import { opsPath, readOpsFile, run } from './support/tools.js'

const GENERATED = opsPath('slo/generated/alertmanager.yml')
const ORIGINAL = opsPath('alertmanager/alertmanager.yml')

async function receiversFor(labels: Record<string, string>, config: string): Promise<string[]> {
  const args = Object.entries(labels).map(([name, value]) => `${name}=${value}`)
  const result = await run('amtool', ['config', 'routes', 'test', `--config.file=${config}`, ...args])
  expect(result.code, result.output).toBe(0)
  return result.stdout.trim().split(',').sort()
}

describe('ops/slo/generated/alertmanager.yml', () => {
  it('passes amtool check-config, with the templates of ops/alertmanager found', async () => {
    const result = await run('amtool', ['check-config', GENERATED])
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS')
    expect(result.output).toContain('2 inhibit rules')
    expect(result.output).toContain('3 receivers')
    expect(result.output).toContain('1 templates')
  })

  it('pages PagerDuty (and the critical channel) for a critical SLOBurnRate', async () => {
    const labels = {
      alertname: ALERT_NAME,
      severity: 'critical',
      slo: 'checkout-availability',
      service: 'vivr-web',
    }
    expect(await receiversFor(labels, GENERATED)).toEqual(['pagerduty-critical', 'slack-critical'])
  })

  it('sends a warning SLOBurnRate (a ticket) to Slack #vivr-alerts only', async () => {
    const labels = {
      alertname: ALERT_NAME,
      severity: 'warning',
      slo: 'checkout-availability',
      service: 'vivr-web',
    }
    expect(await receiversFor(labels, GENERATED)).toEqual(['slack-alerts'])
  })

  it.each<Record<string, string>>([
    { alertname: 'ServiceDown', severity: 'critical', job: 'vivr' },
    { alertname: 'HighErrorRate', severity: 'critical', job: 'vivr' },
    { alertname: 'HighMemoryUsage', severity: 'warning' },
    { alertname: 'SlowQueryDetected', severity: 'info' },
  ])(
    'routes the threshold alert $alertname exactly as ops/alertmanager/alertmanager.yml does',
    async (labels) => {
      expect(await receiversFor(labels, GENERATED)).toEqual(await receiversFor(labels, ORIGINAL))
    },
  )

  it("inhibits an SLO's tickets while the same SLO pages, and keeps the original inhibition", () => {
    const generated = parse(readOpsFile('slo/generated/alertmanager.yml')) as {
      inhibit_rules: unknown[]
      route: { routes: { matchers: string[]; group_by: string[] }[] }
    }
    const original = parse(readOpsFile('alertmanager/alertmanager.yml')) as { inhibit_rules: unknown[] }
    expect(generated.inhibit_rules).toEqual([...original.inhibit_rules, SLO_INHIBITION])
    expect(SLO_INHIBITION).toEqual({
      source_matchers: ['alertname="SLOBurnRate"', 'severity="critical"'],
      target_matchers: ['alertname="SLOBurnRate"', 'severity="warning"'],
      equal: ['slo', 'service'],
    })
    // One notification per SLO, not per window.
    expect(generated.route.routes[0]).toMatchObject({
      matchers: ['alertname="SLOBurnRate"'],
      group_by: ['alertname', 'service', 'slo'],
    })
  })
})
