import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unusedPort } from '@vivr/testkit'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { parse } from 'yaml'
import { waitForHttp } from './support/exposition.js'
import { startMetricsApp } from './support/metrics-app.js'
import { opsPath, readOpsYaml, run } from './support/tools.js'

const START = opsPath('monitoring/start.sh')
const scratch = mkdtempSync(join(tmpdir(), 'vivr-monitoring-test-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** How many rules ops/prometheus/rules.yml holds (one group). */
const SLO_RULE_FILES = readdirSync(opsPath('slo/generated/rules')).filter((f) => f.endsWith('.yml')).length
const RULES = readOpsYaml<{ groups: { rules: unknown[] }[] }>('prometheus/rules.yml').groups[0]!.rules.length

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
    expect(config.rule_files).toEqual([opsPath('prometheus/rules.yml'), opsPath('slo/generated/rules/*.yml')])
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
    expect(promtool.output).toContain(`SUCCESS: ${RULES} rules found`)

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

interface QueryResult {
  data: { result: { metric: Record<string, string>; value: [number, string] }[] }
}

/** Polls a Prometheus instant query until `accept` is true for its result (scrapes come every 5 s). */
async function queryUntil(
  base: string,
  query: string,
  accept: (r: QueryResult) => boolean,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs
  let last: QueryResult | undefined
  while (Date.now() < deadline) {
    const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`)
    last = (await response.json()) as QueryResult
    if (accept(last)) return last
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`${query}: no acceptable answer within ${timeoutMs} ms, last ${JSON.stringify(last)}`)
}

describe('npm run demo:monitoring (the running stack)', () => {
  it('scrapes the app as job "vivr" with the rules loaded, and Ctrl-C stops Prometheus and Alertmanager', async () => {
    const app = await startMetricsApp()
    await app.exercise()
    const prometheusPort = await unusedPort()
    const alertmanagerPort = await unusedPort()
    const prometheus = `http://127.0.0.1:${prometheusPort}`
    const alertmanager = `http://127.0.0.1:${alertmanagerPort}`
    const stack = spawn('bash', [START], {
      env: {
        ...process.env,
        DEMO_URL: app.metricsUrl,
        PROMETHEUS_PORT: String(prometheusPort),
        ALERTMANAGER_PORT: String(alertmanagerPort),
        VIVR_MONITORING_DIR: join(scratch, 'running'),
      },
      // Its own process group, so the test can send Ctrl-C's SIGINT to the group like a terminal does.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    stack.stdout.on('data', (chunk) => {
      output += chunk
    })
    stack.stderr.on('data', (chunk) => {
      output += chunk
    })
    const exited = new Promise<number | null>((resolve) => stack.once('exit', (code) => resolve(code)))

    try {
      await waitForHttp(`${prometheus}/-/ready`, 20_000)
      await waitForHttp(`${alertmanager}/-/ready`, 20_000)
      await vi.waitFor(() => expect(output).toContain(`Alertmanager: ${alertmanager}`), { timeout: 20_000 })
      expect(output).toContain(`Prometheus:   ${prometheus}`)
      // The alerts link it prints is a page this Prometheus serves (Debian's: /classic/alerts, not /alerts).
      const alertsLink = /\(alerts: (\S+)\)/.exec(output)?.[1]
      expect(alertsLink, output).toMatch(new RegExp(`^${prometheus}/`))
      const alertsPage = await fetch(alertsLink ?? '')
      expect(alertsPage.status, alertsLink).toBe(200)
      expect(alertsPage.headers.get('content-type')).toContain('text/html')

      await queryUntil(prometheus, 'up{job="vivr"}', (r) => r.data.result[0]?.value[1] === '1')
      const checks = await queryUntil(
        prometheus,
        'health_check_status{job="vivr"}',
        (r) => r.data.result.length === 3,
      )
      const stripe = checks.data.result.find((series) => series.metric.check === 'stripe')
      expect(stripe?.value[1]).toBe('0.5')

      const rules = (await (await fetch(`${prometheus}/api/v1/rules`)).json()) as {
        data: { groups: { file: string; rules: { name: string; health: string }[] }[] }
      }
      expect(rules.data.groups[0]?.file).toBe(opsPath('prometheus/rules.yml'))
      expect(rules.data.groups[0]?.rules.map((rule) => rule.name)).toContain('HealthCheckFailing')
      expect(rules.data.groups[0]?.rules).toHaveLength(RULES)
      // The SLOs' rules too: one file per objective, every rule healthy (evaluated without error).
      const slo = rules.data.groups.filter((group) => group.file.startsWith(opsPath('slo/generated/rules/')))
      expect(new Set(slo.map((group) => group.file)).size).toBe(SLO_RULE_FILES)
      expect(slo.flatMap((group) => group.rules.map((rule) => rule.name))).toContain('SLOBurnRate')

      const managers = (await (await fetch(`${prometheus}/api/v1/alertmanagers`)).json()) as {
        data: { activeAlertmanagers: { url: string }[] }
      }
      expect(managers.data.activeAlertmanagers[0]?.url).toContain(`127.0.0.1:${alertmanagerPort}`)
    } finally {
      if (stack.pid !== undefined && stack.exitCode === null) process.kill(-stack.pid, 'SIGINT')
      await app.close()
    }
    expect(await exited, output).toBe(130)
    expect(output).toContain('demo:monitoring: stopped')
    await expect(fetch(`${prometheus}/-/ready`)).rejects.toThrow()
    await expect(fetch(`${alertmanager}/-/ready`)).rejects.toThrow()
  }, 45_000)
})
