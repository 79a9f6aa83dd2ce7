import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { opsPath, readOpsFile, readOpsYaml, run } from './support/tools.js'

const CONFIG = opsPath('alertmanager/alertmanager.yml')
const TEMPLATES = opsPath('alertmanager/templates/*.tmpl')

type Receiver = { name: string } & Record<string, Record<string, unknown>[] | string>

const scratch = mkdtempSync(join(tmpdir(), 'vivr-alertmanager-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** amtool's routing test: which receivers an alert with these labels reaches. */
async function receiversFor(labels: Record<string, string>, config = CONFIG): Promise<string[]> {
  const args = Object.entries(labels).map(([name, value]) => `${name}=${value}`)
  const result = await run('amtool', ['config', 'routes', 'test', `--config.file=${config}`, ...args])
  expect(result.code, result.output).toBe(0)
  return result.stdout.trim().split(',').sort()
}

async function render(template: string, dataFile: string): Promise<string> {
  const result = await run('amtool', [
    'template',
    'render',
    `--template.glob=${TEMPLATES}`,
    `--template.data=${opsPath('alertmanager/tests', dataFile)}`,
    `--template.text={{ template "${template}" . }}`,
  ])
  expect(result.code, result.output).toBe(0)
  return result.stdout
}

describe('ops/alertmanager/alertmanager.yml', () => {
  it('passes amtool check-config, templates included', async () => {
    const result = await run('amtool', ['check-config', CONFIG])
    expect(result.code, result.output).toBe(0)
    expect(result.output).toContain('SUCCESS')
    expect(result.output).toContain('3 receivers')
    expect(result.output).toContain('1 templates')
  })

  it('fails amtool check-config when a field is misspelt (the check is not a formality)', async () => {
    const broken = join(scratch, 'broken.yml')
    writeFileSync(
      broken,
      readOpsFile('alertmanager/alertmanager.yml').replace('routing_key_file', 'routing_key_fil'),
    )
    const result = await run('amtool', ['check-config', broken])
    expect(result.code).not.toBe(0)
    expect(result.output).toContain('routing_key_fil')
  })

  it('routes critical alerts to Slack #vivr-alerts-critical and to PagerDuty', async () => {
    expect(await receiversFor({ alertname: 'ServiceDown', severity: 'critical', job: 'vivr' })).toEqual([
      'pagerduty-critical',
      'slack-critical',
    ])
    const receivers = readOpsYaml<{ receivers: Receiver[] }>('alertmanager/alertmanager.yml').receivers
    const slackCritical = receivers.find((r) => r.name === 'slack-critical')!
    expect((slackCritical.slack_configs as Record<string, unknown>[])[0]?.channel).toBe(
      '#vivr-alerts-critical',
    )
  })

  it('routes warnings and info to Slack #vivr-alerts only (nobody is paged)', async () => {
    expect(await receiversFor({ alertname: 'HighMemoryUsage', severity: 'warning' })).toEqual([
      'slack-alerts',
    ])
    expect(await receiversFor({ alertname: 'SlowQueryDetected', severity: 'info' })).toEqual(['slack-alerts'])
  })

  it('amtool reports a routing mismatch (the routing check can fail)', async () => {
    const result = await run('amtool', [
      'config',
      'routes',
      'test',
      `--config.file=${CONFIG}`,
      '--verify.receivers=slack-alerts',
      'severity=critical',
    ])
    expect(result.code).not.toBe(0)
  })

  it('reads every secret from a file, never from the config itself', () => {
    const receivers = readOpsYaml<{ receivers: Receiver[] }>('alertmanager/alertmanager.yml').receivers
    const integrations = receivers.flatMap((receiver) =>
      Object.entries(receiver).flatMap(([key, value]) =>
        key.endsWith('_configs') ? (value as object[]) : [],
      ),
    )
    expect(integrations.length).toBe(3)
    for (const integration of integrations) {
      const keys = Object.keys(integration)
      for (const secret of ['api_url', 'routing_key', 'service_key', 'url'])
        expect(keys).not.toContain(secret)
      expect(keys.some((key) => key.endsWith('_file'))).toBe(true)
    }
    // Alertmanager does not expand environment variables: a ${VAR} value would be sent literally.
    const values: string[] = []
    const collect = (node: unknown): void => {
      if (typeof node === 'string') values.push(node)
      else if (node && typeof node === 'object') Object.values(node).forEach(collect)
    }
    collect(readOpsYaml('alertmanager/alertmanager.yml'))
    expect(values.length).toBeGreaterThan(20)
    expect(values.filter((value) => /\$\{?[A-Z_]+/.test(value))).toEqual([])
  })
})

describe('ops/alertmanager/templates (amtool template render)', () => {
  it('titles a firing group with its count, alert name and severity', async () => {
    expect(await render('vivr.slack.title', 'health-check-failing.json')).toBe(
      '[FIRING:2] HealthCheckFailing (critical)',
    )
  })

  it('lists every alert with its summary, instance, description and runbook', async () => {
    const text = await render('vivr.slack.text', 'health-check-failing.json')
    expect(text).toContain('🔥 *Health check redis is failing* on app-1:3000')
    expect(text).toContain('🔥 *Health check database is failing* on app-1:3000')
    expect(text).toContain('The redis check on app-1:3000 has reported an error for more than 2 minutes.')
    expect(text.match(/Runbook: ops\/runbooks\/HealthCheckFailing\.md/g)).toHaveLength(2)
  })

  it('marks a resolved group as resolved', async () => {
    expect(await render('vivr.slack.title', 'service-down-resolved.json')).toBe(
      '[RESOLVED] ServiceDown (critical)',
    )
    expect(await render('vivr.slack.text', 'service-down-resolved.json')).toContain(
      '✅ Resolved: *VIVR service is down* on app-2:3000',
    )
  })

  it('gives PagerDuty a one-line description, the firing summaries and the runbook', async () => {
    expect(await render('vivr.pagerduty.description', 'service-down-resolved.json')).toBe(
      'ServiceDown: VIVR service is down',
    )
    // Different summaries have no common one: the description says how many alerts instead.
    expect(await render('vivr.pagerduty.description', 'health-check-failing.json')).toBe(
      'HealthCheckFailing: 2 alerts, see details',
    )
    expect(await render('vivr.pagerduty.summaries', 'health-check-failing.json')).toBe(
      'Health check redis is failing; Health check database is failing',
    )
    expect(await render('vivr.runbooks', 'health-check-failing.json')).toBe(
      'ops/runbooks/HealthCheckFailing.md',
    )
  })
})
