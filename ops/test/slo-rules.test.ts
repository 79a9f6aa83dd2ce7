import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { objectives } from '../slo/objectives.js'
import { ALERT_NAME, fastRulesYaml, RUNBOOK } from '../slo/prometheus.js'
import { BURN_RATE_ALERTS } from '../slo/spec.js'
import { bucketBounds, labelNamesBySample, sampleNames, scrape } from './support/exposition.js'
import { metricNames } from './support/promql.js'
import { startSloApp } from './support/slo-app.js'
import { opsPath, readOpsFile, readOpsYaml, run } from './support/tools.js'

interface Rule {
  alert?: string
  record?: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}
interface RuleFile {
  groups: { name: string; interval: string; rules: Rule[] }[]
}
interface UnitTests {
  rule_files: string[]
  tests: {
    name: string
    alert_rule_test: {
      eval_time: string
      alertname: string
      exp_alerts: { exp_labels: Record<string, string> }[]
    }[]
  }[]
}

const rulesPath = (slo: string) => opsPath('slo/generated/rules', `${slo}.yml`)
const testsPath = (slo: string) => opsPath('slo/generated/tests', `${slo}.yml`)
const rulesOf = (slo: string) => readOpsYaml<RuleFile>('slo/generated/rules', `${slo}.yml`)
const alertsOf = (slo: string) =>
  rulesOf(slo).groups.flatMap((group) => group.rules.filter((rule) => rule.alert))

const scratch = mkdtempSync(join(tmpdir(), 'vivr-slo-rules-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('ops/slo/generated/rules (promtool)', () => {
  it.each(objectives.map((slo) => slo.name))('%s passes promtool check rules', async (name) => {
    const result = await run('promtool', ['check', 'rules', rulesPath(name)])
    expect(result.code, result.output).toBe(0)
    // 2 series for objective and budget, 7 windows, 4 request counts, 4 alerts, 2 for the 30-day budget.
    expect(result.output).toContain('SUCCESS: 19 rules found')
  })

  it("loads beside the guide's threshold alerts (ops/prometheus/rules.yml), which stay as they are", async () => {
    const result = await run('promtool', [
      'check',
      'rules',
      opsPath('prometheus/rules.yml'),
      ...objectives.map((slo) => rulesPath(slo.name)),
    ])
    expect(result.code, result.output).toBe(0)
    const guide = readOpsYaml<RuleFile>('prometheus/rules.yml').groups.flatMap((g) => g.rules)
    expect(guide.map((rule) => rule.alert)).toContain('HighErrorRate')
    const generatedNames = objectives.flatMap((slo) => rulesOf(slo.name).groups.map((group) => group.name))
    expect(generatedNames.every((name) => name.startsWith('slo:'))).toBe(true)
  })

  it('has four SLOBurnRate alerts per SLO with severity, objective, budget and an existing runbook', () => {
    expect(existsSync(opsPath('..', RUNBOOK))).toBe(true)
    for (const slo of objectives) {
      const alerts = alertsOf(slo.name)
      expect(
        alerts.map((a) => [a.alert, a.labels?.severity, a.labels?.long_window, a.labels?.short_window]),
      ).toEqual(BURN_RATE_ALERTS.map((a) => [ALERT_NAME, a.severity, a.longWindow, a.shortWindow]))
      for (const alert of alerts) {
        expect(alert.labels?.slo).toBe(slo.name)
        expect(alert.annotations?.runbook).toBe(RUNBOOK)
        expect(alert.annotations?.objective).toContain(`${Number((slo.objective * 100).toFixed(6))}%`)
        expect(alert.annotations?.error_budget).toContain(`${Number((slo.errorBudget * 100).toFixed(6))}%`)
        expect(alert.expr).toContain(`>= ${slo.minRequests}`)
      }
    }
  })

  it('reads only metrics, labels and bucket bounds that a kit app really exposes', async () => {
    const app = await startSloApp('vivr-web')
    try {
      for (const [method, path] of [
        ['GET', '/'],
        ['POST', '/api/checkout'],
        ['GET', '/?fail=1'],
      ]) {
        await (await fetch(`${app.baseUrl}${path}`, { method })).arrayBuffer()
      }
      const text = await scrape(app.metricsUrl)
      const exposed = sampleNames(text)
      const labels = labelNamesBySample(text)
      for (const slo of objectives) {
        for (const rule of rulesOf(slo.name).groups.flatMap((group) => group.rules)) {
          for (const name of metricNames(rule.expr).filter((n) => !n.startsWith('slo:'))) {
            expect(exposed, `${slo.name}: ${name}`).toContain(name)
            for (const label of [...rule.expr.matchAll(/[{,]\s*(\w+)=~?"/g)].map((m) => m[1]!)) {
              if (label !== 'slo' && label !== 'le')
                expect(labels.get(name), `${name} ${label}`).toContain(label)
            }
          }
        }
        if (slo.kind === 'latency') {
          expect(bucketBounds(text, 'http_request_duration_seconds')).toContain(slo.thresholdSeconds)
        }
      }
    } finally {
      await app.close()
    }
  })

  it('passes its generated promtool unit tests', async () => {
    // Two promtool processes at a time (two cores).
    const half = Math.ceil(objectives.length / 2)
    const results = await Promise.all(
      [objectives.slice(0, half), objectives.slice(half)].map((slos) =>
        run('promtool', ['test', 'rules', ...slos.map((slo) => testsPath(slo.name))], { timeoutMs: 60_000 }),
      ),
    )
    for (const result of results) expect(result.code, result.output).toBe(0)
    expect(
      results
        .map((r) => r.output)
        .join('')
        .match(/SUCCESS/g),
    ).toHaveLength(objectives.length)
  }, 60_000)

  it('unit-tests every alert firing at its severity, and quiet at the objective, on low traffic and after recovery', () => {
    for (const slo of objectives) {
      const file = readOpsYaml<UnitTests>('slo/generated/tests', `${slo.name}.yml`)
      expect(file.rule_files).toEqual([`../rules/${slo.name}.yml`])
      const fired = new Set<string>()
      for (const test of file.tests) {
        for (const check of test.alert_rule_test) {
          for (const alert of check.exp_alerts)
            fired.add(`${alert.exp_labels.severity} ${alert.exp_labels.long_window}`)
        }
      }
      expect([...fired].sort()).toEqual(BURN_RATE_ALERTS.map((a) => `${a.severity} ${a.longWindow}`).sort())
      const quiet = file.tests
        .filter((test) => test.alert_rule_test.every((check) => check.exp_alerts.length === 0))
        .map((test) => test.name)
      expect(quiet.some((name) => name.includes('objective is met'))).toBe(true)
      expect(quiet.some((name) => name.includes('low traffic'))).toBe(true)
      expect(quiet.some((name) => name.includes('do not count'))).toBe(true)
    }
  })

  it('has a TEST-ONLY fast variant with the same alerts and thresholds, only shorter windows', async () => {
    const file = join(scratch, 'fast.yml')
    const text = fastRulesYaml(objectives, 60)
    writeFileSync(file, text)
    const result = await run('promtool', ['check', 'rules', file])
    expect(result.code, result.output).toBe(0)
    expect(text.split('\n')[0]).toMatch(/^# TEST ONLY/)
    const fast = (parse(text) as RuleFile).groups.flatMap((g) => g.rules)
    const production = objectives.flatMap((slo) => rulesOf(slo.name).groups.flatMap((g) => g.rules))
    const withoutRanges = (rule: Rule) => ({
      ...rule,
      expr: rule.expr.replace(/\[[^\]]+\]/g, '[…]'),
      for: undefined,
    })
    expect(fast.map(withoutRanges)).toEqual(production.map(withoutRanges))
    expect(fast.find((r) => r.record === 'slo:sli_error:ratio_rate1h')?.expr).toContain('[1m]')
    expect(fast.find((r) => r.alert)?.for).toBe('2s')
  })
})

/** Mistakes a hand-written rule could make, applied to the generated rules one at a time: the tests must fail. */
const MISTAKES: { slo: string; mistake: string; change: (rule: Rule) => void; failing: string }[] = [
  {
    slo: 'storefront-availability',
    mistake: 'the short window left out (alerts keep firing long after the burn stopped)',
    change: (rule) => {
      if (rule.alert)
        rule.expr = rule.expr.replace(/and\n\s+slo:sli_error:ratio_rate\w+\{[^}]*\} \/ [\d.]+ > [\d.]+\n/, '')
    },
    failing: '10-minute outage',
  },
  {
    slo: 'storefront-availability',
    mistake: 'no low-traffic guard',
    change: (rule) => {
      if (rule.alert) rule.expr = rule.expr.replace(/\nand\n\s+slo:requests:increase\w+\{[^}]*\} >= \d+$/, '')
    },
    failing: 'low traffic',
  },
  {
    slo: 'storefront-availability',
    mistake: '4xx answers counted as errors',
    change: (rule) => {
      if (rule.record) rule.expr = rule.expr.replace('status_code=~"5.."', 'status_code=~"[45].."')
    },
    failing: 'do not count',
  },
  {
    slo: 'storefront-availability',
    mistake: 'no `for`: one bad scrape pages',
    change: (rule) => {
      delete rule.for
    },
    failing: 'fast burn',
  },
  {
    slo: 'storefront-availability',
    mistake: 'a ticket for a service within its objective (the 1× alert at 0.5×)',
    change: (rule) => {
      if (rule.labels?.long_window === '3d') rule.expr = rule.expr.replaceAll('> 1\n', '> 0.5\n')
    },
    failing: 'objective is met',
  },
  {
    slo: 'storefront-availability',
    mistake: 'the 6h alert as a ticket instead of a page',
    change: (rule) => {
      if (rule.labels?.long_window === '6h') rule.labels.severity = 'warning'
    },
    failing: '10× the budget',
  },
  {
    slo: 'checkout-availability',
    mistake: 'every route counted instead of the SLO’s',
    change: (rule) => {
      if (rule.record) rule.expr = rule.expr.replaceAll(', route="/api/checkout"', '')
    },
    failing: 'do not count',
  },
  {
    slo: 'api-latency',
    mistake: 'the next bucket bound read instead of the threshold',
    change: (rule) => {
      if (rule.record) rule.expr = rule.expr.replace('le="0.5"', 'le="0.75"')
    },
    failing: 'fast burn',
  },
]

describe('the generated unit tests catch rules written wrong', () => {
  it.each(MISTAKES)(
    '$slo: $mistake',
    async ({ slo, change, failing }) => {
      const dir = mkdtempSync(join(scratch, `${slo}-`))
      mkdirSync(join(dir, 'rules'))
      mkdirSync(join(dir, 'tests'))
      const rules = rulesOf(slo)
      const before = stringify(rules)
      for (const group of rules.groups) group.rules.forEach(change)
      expect(stringify(rules), 'the mistake changed nothing').not.toBe(before)
      writeFileSync(join(dir, 'rules', `${slo}.yml`), stringify(rules))
      writeFileSync(join(dir, 'tests', `${slo}.yml`), readOpsFile('slo/generated/tests', `${slo}.yml`))
      const result = await run('promtool', ['test', 'rules', join(dir, 'tests', `${slo}.yml`)], {
        timeoutMs: 30_000,
      })
      expect(result.code, result.output).toBe(1)
      expect(result.output).toContain(failing)
    },
    30_000,
  )
})
