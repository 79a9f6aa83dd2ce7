import { readFileSync, writeFileSync } from 'node:fs'
import { METRICS, type MetricUnit, TAG } from '@vivr/core'
import { prometheusName } from '@vivr/sink-prometheus'
import { expect, it } from 'vitest'

/*
 * docs/vocabulary.md carries the vocabulary as tables generated from core's vocabulary module. This test fails when
 * they drift; `VIVR_UPDATE_DOCS=1 npx vitest run test/docs-vocabulary.test.ts` rewrites them.
 */
const FILE = new URL('../docs/vocabulary.md', import.meta.url)
const BEGIN = '<!-- generated from packages/core/src/vocabulary.ts: begin -->'
const END = '<!-- generated: end -->'

const EMF_UNIT: Record<MetricUnit, string> = {
  count: 'Count',
  milliseconds: 'Milliseconds',
  seconds: 'Seconds',
  bytes: 'Bytes',
  ratio: 'None',
  score: 'None',
  currency: 'None',
}

function render(): string {
  const metrics = [...METRICS.values()].map((m) => {
    const prometheus = prometheusName(m.kind, m.name) ?? ''
    const otel = m.otel ? `\`${m.otel.name}\` (${m.otel.unit})` : ''
    const tags = m.tags.map((t) => `\`${t}\``).join(', ')
    return `| \`${m.name}\` | ${m.kind} | ${m.unit} | ${tags} | \`${prometheus}\` | ${EMF_UNIT[m.unit]} | ${otel} | ${m.description} |`
  })
  const attributes = new Map<string, string>()
  for (const m of METRICS.values()) {
    for (const [tag, attribute] of Object.entries(m.otel?.attributes ?? {})) attributes.set(tag, attribute)
  }
  const tags = Object.entries(TAG).map(
    ([key, tag]) =>
      `| \`${tag}\` | \`TAG.${key}\` | ${attributes.has(tag) ? `\`${attributes.get(tag)}\`` : ''} |`,
  )
  return [
    BEGIN,
    '| name | kind | unit | tags | Prometheus | EMF unit | OpenTelemetry twin | meaning |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...metrics,
    '',
    '| tag key | in code | OpenTelemetry attribute |',
    '| --- | --- | --- |',
    ...tags,
    END,
  ].join('\n')
}

it('docs/vocabulary.md shows the vocabulary as the code defines it', () => {
  const text = readFileSync(FILE, 'utf8')
  const start = text.indexOf(BEGIN)
  const end = text.indexOf(END)
  expect(start, 'docs/vocabulary.md lacks the generated section markers').toBeGreaterThanOrEqual(0)
  const current = text.slice(start, end + END.length)
  const wanted = render()
  if (process.env.VIVR_UPDATE_DOCS === '1' && current !== wanted) {
    writeFileSync(FILE, text.replace(current, wanted))
    return
  }
  expect(current).toBe(wanted)
})
