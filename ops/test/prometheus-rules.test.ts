import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { opsPath, readOpsYaml, run } from './support/tools.js'

interface Rule {
  alert?: string
  record?: string
  expr: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[]
}
interface AlertTest {
  eval_time: string
  alertname: string
  exp_alerts?: unknown[]
}
interface UnitTestFile {
  rule_files: string[]
  tests: { name: string; alert_rule_test?: AlertTest[] }[]
}

const RULES = 'prometheus/rules.yml'
const TESTS_DIR = opsPath('prometheus/tests')
const testFiles = readdirSync(TESTS_DIR).filter((name) => name.endsWith('.yml'))
const alerts = readOpsYaml<RuleFile>(RULES).groups.flatMap((group) => group.rules.filter((r) => r.alert))

const GUIDE_ALERTS = [
  'ServiceDown',
  'HighErrorRate',
  'DatabaseConnectionPoolExhausted',
  'HighResponseTime',
  'HighMemoryUsage',
  'LowDiskSpace',
  'SlowQueryDetected',
]

const scratch = mkdtempSync(join(tmpdir(), 'vivr-rules-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('ops/prometheus/rules.yml', () => {
  it('passes promtool check rules', async () => {
    const result = await run('promtool', ['check', 'rules', opsPath(RULES)])
    expect(result.output).toContain(`SUCCESS: ${alerts.length} rules found`)
    expect(result.code, result.output).toBe(0)
  })

  it("has the guide's alerts plus HealthCheckFailing and EventLoopDelayHigh, each with a severity and a runbook that exists", () => {
    expect(alerts.map((rule) => rule.alert).sort()).toEqual(
      [...GUIDE_ALERTS, 'HealthCheckFailing', 'EventLoopDelayHigh'].sort(),
    )
    const runbooks = new Set(readdirSync(opsPath('runbooks')))
    for (const rule of alerts) {
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels?.severity)
      expect(rule.annotations?.summary, rule.alert).toBeTruthy()
      expect(rule.annotations?.runbook, rule.alert).toBe(`ops/runbooks/${rule.alert}.md`)
      expect(runbooks, `ops/runbooks/${rule.alert}.md`).toContain(`${rule.alert}.md`)
    }
  })

  it('passes its promtool unit tests', async () => {
    const result = await run('promtool', ['test', 'rules', ...testFiles.map((f) => join(TESTS_DIR, f))])
    expect(result.code, result.output).toBe(0)
    expect(result.output.match(/SUCCESS/g)).toHaveLength(testFiles.length)
  })

  it('unit-tests every alert both firing and staying quiet', () => {
    const coverage = new Map<string, { fires: boolean; quiet: boolean }>()
    for (const file of testFiles) {
      const unitTests = readOpsYaml<UnitTestFile>('prometheus/tests', file)
      expect(unitTests.rule_files, file).toEqual(['../rules.yml'])
      for (const test of unitTests.tests) {
        for (const check of test.alert_rule_test ?? []) {
          const entry = coverage.get(check.alertname) ?? { fires: false, quiet: false }
          if ((check.exp_alerts ?? []).length > 0) entry.fires = true
          else entry.quiet = true
          coverage.set(check.alertname, entry)
        }
      }
    }
    for (const rule of alerts) {
      expect(coverage.get(rule.alert!), `${rule.alert} tests`).toEqual({ fires: true, quiet: true })
    }
  })
})

/**
 * The guide's mistakes, applied one at a time to our rules: the unit tests must notice each of them.
 * This proves the tests exercise the behaviour that the fixes are about, not just that the rules load.
 */
const GUIDE_MISTAKES: { alert: string; mistake: string; expr: string }[] = [
  {
    alert: 'HighErrorRate',
    mistake: 'a per-second rate of errors compared with 0.05 instead of a share of requests',
    expr: 'sum by (job) (rate(http_requests_total{status_code=~"5.."}[5m])) > 0.05',
  },
  {
    alert: 'HighResponseTime',
    mistake: 'a quantile over the whole life of the process (no rate over the buckets)',
    expr: 'histogram_quantile(0.95, sum by (job, le) (http_request_duration_seconds_bucket)) > 5',
  },
  {
    alert: 'SlowQueryDetected',
    mistake: 'a counter compared with 0, true forever after the first slow query',
    expr: 'sum by (job, model, operation) (slow_queries_total) > 0',
  },
  {
    alert: 'SlowQueryDetected',
    mistake: "increase() alone, blind to a model/operation's first slow query",
    expr: 'sum by (job, model, operation) (increase(slow_queries_total[5m])) > 0',
  },
  {
    alert: 'HighMemoryUsage',
    mistake: 'dividing by a limit of 0 (no limit set): +Inf, always firing',
    expr: 'container_memory_working_set_bytes / container_spec_memory_limit_bytes > 0.9',
  },
  {
    alert: 'LowDiskSpace',
    mistake: 'counting tmpfs and read-only images, which are always full',
    expr: 'node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1',
  },
  {
    alert: 'ServiceDown',
    mistake: 'only up == 0: silent when every target is gone from service discovery',
    expr: 'up{job="vivr"} == 0',
  },
]

/** The usual ways to get our own alerts wrong: the unit tests must notice these too. */
const OUR_MISTAKES: { alert: string; mistake: string; expr: string }[] = [
  {
    alert: 'EventLoopDelayHigh',
    mistake: 'averaged over the instances: one blocked replica among healthy ones never fires',
    expr: 'avg by (job) (runtime_event_loop_delay_p99_seconds) > 0.1',
  },
  {
    alert: 'EventLoopDelayHigh',
    mistake: 'the worst of the last 5 minutes (max_over_time): a 2-minute spike is stretched to 7 and pages',
    expr: 'max by (job, instance) (max_over_time(runtime_event_loop_delay_p99_seconds[5m])) > 0.1',
  },
]

describe('the unit tests catch the guide’s mistakes, and ours', () => {
  it.each([...GUIDE_MISTAKES, ...OUR_MISTAKES])('$alert: $mistake', async ({ alert, expr }) => {
    const dir = mkdtempSync(join(scratch, `${alert}-`))
    const rules = readOpsYaml<RuleFile>(RULES)
    const rule = rules.groups.flatMap((group) => group.rules).find((r) => r.alert === alert)!
    rule.expr = expr
    writeFileSync(join(dir, 'rules.yml'), stringify(rules))
    cpSync(join(TESTS_DIR, `${alert}.yml`), join(dir, 'tests', `${alert}.yml`))

    const result = await run('promtool', ['test', 'rules', join(dir, 'tests', `${alert}.yml`)])
    expect(result.code, result.output).toBe(1)
    expect(result.output).toContain('FAILED')
    expect(result.output).toContain(`alertname: ${alert}`)
  })
})
