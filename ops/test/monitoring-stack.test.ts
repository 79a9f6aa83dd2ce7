import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { opsPath, run } from './support/tools.js'

const START = opsPath('monitoring/start.sh')
const scratch = mkdtempSync(join(tmpdir(), 'vivr-monitoring-test-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

interface PrometheusConfig {
  rule_files: string[]
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] }
  scrape_configs: {
    job_name: string
    scheme: string
    metrics_path: string
    static_configs: { targets: string[] }[]
  }[]
}

describe('npm run demo:monitoring (ops/monitoring/start.sh --check)', () => {
  it('renders a Prometheus config that scrapes DEMO_URL as job "vivr" with the rules, and promtool accepts it', async () => {
    const dir = join(scratch, 'check')
    const result = await run('bash', [START, '--check'], {
      env: {
        ...process.env,
        DEMO_URL: 'http://127.0.0.1:4123/store/api/metrics',
        VIVR_MONITORING_DIR: dir,
        PROMETHEUS_PORT: '0',
        ALERTMANAGER_PORT: '0',
      },
    })
    expect(result.code, result.output).toBe(0)
    expect(result.stdout).toContain('configuration ok')

    const config = parse(readFileSync(join(dir, 'prometheus.yml'), 'utf8')) as PrometheusConfig
    expect(config.rule_files).toEqual([opsPath('prometheus/rules.yml')])
    expect(config.scrape_configs).toEqual([
      expect.objectContaining({
        job_name: 'vivr',
        scheme: 'http',
        metrics_path: '/store/api/metrics',
        static_configs: [expect.objectContaining({ targets: ['127.0.0.1:4123'] })],
      }),
    ])
    expect(config.alerting.alertmanagers[0]?.static_configs[0]?.targets[0]).toMatch(/^127\.0\.0\.1:\d+$/)

    // Checked again here, independently of the script's own check.
    const promtool = await run('promtool', ['check', 'config', join(dir, 'prometheus.yml')])
    expect(promtool.code, promtool.output).toBe(0)
    expect(promtool.output).toContain('SUCCESS: 8 rules found')

    // The Alertmanager config is the production one with the secret files moved into the data directory.
    const alertmanager = readFileSync(join(dir, 'alertmanager.yml'), 'utf8')
    expect(alertmanager).not.toContain('/etc/alertmanager/secrets/')
    expect(alertmanager).toContain(`${dir}/secrets/slack-webhook-url`)
    expect(readFileSync(join(dir, 'secrets/slack-webhook-url'), 'utf8')).toMatch(/^http:\/\/127\.0\.0\.1:9\//)
    const amtool = await run('amtool', ['check-config', join(dir, 'alertmanager.yml')])
    expect(amtool.code, amtool.output).toBe(0)
  })

  it('writes SLACK_WEBHOOK_URL and PAGERDUTY_ROUTING_KEY from the environment into the secret files', async () => {
    const dir = join(scratch, 'secrets')
    const result = await run('bash', [START, '--check'], {
      env: {
        ...process.env,
        VIVR_MONITORING_DIR: dir,
        SLACK_WEBHOOK_URL: 'https://hooks.slack.example/services/T0/B0/abc',
        PAGERDUTY_ROUTING_KEY: 'r0ut1ngk3y',
      },
    })
    expect(result.code, result.output).toBe(0)
    expect(readFileSync(join(dir, 'secrets/slack-webhook-url'), 'utf8')).toBe(
      'https://hooks.slack.example/services/T0/B0/abc',
    )
    expect(readFileSync(join(dir, 'secrets/pagerduty-routing-key'), 'utf8')).toBe('r0ut1ngk3y')
    expect(readFileSync(join(dir, 'alertmanager.yml'), 'utf8')).not.toContain('r0ut1ngk3y')
  })

  it('refuses a DEMO_URL that is not an http(s) URL', async () => {
    const result = await run('bash', [START, '--check'], {
      env: { ...process.env, DEMO_URL: 'ftp://127.0.0.1/metrics', VIVR_MONITORING_DIR: join(scratch, 'bad') },
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('DEMO_URL')
  })
})
