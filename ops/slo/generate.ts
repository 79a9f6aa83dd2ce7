import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { alertmanagerConfigYaml } from './alertmanager.js'
import { cloudwatchTemplateYaml } from './cloudwatch.js'
import { sloDashboardJson } from './grafana.js'
import { objectives } from './objectives.js'
import { prometheusRulesYaml } from './prometheus.js'
import { promtoolTestsYaml } from './promtool-tests.js'
import type { Slo } from './spec.js'

/*
 * `npm run ops:slo`: writes everything the objectives of ./objectives.ts imply. Output, relative to ops/:
 *   slo/generated/rules/<slo>.yml            recording rules and the four burn-rate alerts
 *   slo/generated/tests/<slo>.yml            their promtool unit tests
 *   slo/generated/alertmanager.yml           ../alertmanager/alertmanager.yml with the SLO route and inhibition
 *   slo/generated/cloudwatch-alarms.yml      the same alerts as CloudWatch alarms (CloudFormation)
 *   grafana/vivr-slo-dashboard.json          the SLO dashboard
 * ops/test/slo-generated.test.ts regenerates in memory and fails when a committed file differs.
 */

export const OPS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const GENERATED_DIR = 'slo/generated'
export const DASHBOARD = 'grafana/vivr-slo-dashboard.json'

export interface GeneratedFile {
  /** Relative to ops/. */
  path: string
  content: string
}

export function generate(
  slos: readonly Slo[] = objectives,
  alertmanagerBase = readFileSync(join(OPS_DIR, 'alertmanager/alertmanager.yml'), 'utf8'),
): GeneratedFile[] {
  return [
    ...slos.map((slo) => ({
      path: `${GENERATED_DIR}/rules/${slo.name}.yml`,
      content: prometheusRulesYaml(slo),
    })),
    ...slos.map((slo) => ({
      path: `${GENERATED_DIR}/tests/${slo.name}.yml`,
      content: promtoolTestsYaml(slo),
    })),
    { path: `${GENERATED_DIR}/alertmanager.yml`, content: alertmanagerConfigYaml(alertmanagerBase) },
    { path: `${GENERATED_DIR}/cloudwatch-alarms.yml`, content: cloudwatchTemplateYaml(slos) },
    { path: DASHBOARD, content: sloDashboardJson(slos) },
  ]
}

/** Files under ops/slo/generated/ (relative to ops/), to find the ones a removed objective left behind. */
export function existingGeneratedFiles(dir = join(OPS_DIR, GENERATED_DIR)): string[] {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return []
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? existingGeneratedFiles(path) : [relative(OPS_DIR, path)]
  })
}

function main() {
  const files = generate()
  const wanted = new Set(files.map((file) => file.path))
  for (const stale of existingGeneratedFiles().filter((path) => !wanted.has(path))) {
    rmSync(join(OPS_DIR, stale))
    console.log(`removed  ops/${stale}`)
  }
  for (const file of files) {
    const path = join(OPS_DIR, file.path)
    mkdirSync(dirname(path), { recursive: true })
    let before: string | undefined
    try {
      before = readFileSync(path, 'utf8')
    } catch {}
    if (before === file.content) continue
    writeFileSync(path, file.content)
    console.log(`${before === undefined ? 'created' : 'updated'}  ops/${file.path}`)
  }
  console.log(`ops:slo: ${objectives.length} objectives, ${files.length} files up to date`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main()
