/**
 * A reader for the OpenMetrics text format (1.0.0), strict about what this sink writes: `# EOF` last and once,
 * `# TYPE` before a family's samples, counter families without `_total` and their samples with it, exemplars only
 * on counter and bucket samples, within 128 characters of label names and values.
 */
export interface OpenMetricsSample {
  name: string
  family: string
  labels: Record<string, string>
  value: number
  exemplar?: { labels: Record<string, string>; value: number; timestamp?: number }
}

function readLabels(text: string, at: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {}
  if (text[at] !== '{') throw new Error(`expected { at ${at}: ${text}`)
  let i = at + 1
  while (text[i] !== '}') {
    const eq = text.indexOf('="', i)
    if (eq < 0) throw new Error(`bad label set: ${text}`)
    const name = text.slice(i, eq)
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new Error(`bad label name ${name}: ${text}`)
    let value = ''
    let j = eq + 2
    for (; text[j] !== '"'; j++) {
      if (j >= text.length) throw new Error(`unterminated label value: ${text}`)
      if (text[j] === '\\') {
        j++
        const escaped = text[j]
        if (escaped === 'n') value += '\n'
        else if (escaped === '\\' || escaped === '"') value += escaped
        else throw new Error(`bad escape \\${escaped}: ${text}`)
      } else value += text[j]
    }
    labels[name] = value
    i = j + 1
    if (text[i] === ',') i++
  }
  return { labels, end: i + 1 }
}

const NUMBER = /^(?:[+-]?Inf|NaN|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/
function readNumber(text: string): number {
  if (!NUMBER.test(text)) throw new Error(`not a number: ${text}`)
  return text.endsWith('Inf') ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text)
}

export function parseOpenMetrics(text: string): { samples: OpenMetricsSample[]; types: Map<string, string> } {
  if (!text.endsWith('# EOF\n')) throw new Error('no # EOF at the end')
  const lines = text.slice(0, -'# EOF\n'.length).split('\n')
  if (lines.at(-1) === '') lines.pop()
  const types = new Map<string, string>()
  const samples: OpenMetricsSample[] = []
  let family = ''
  for (const line of lines) {
    if (line === '# EOF') throw new Error('# EOF before the end')
    const meta = /^# (HELP|TYPE|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line)
    if (meta) {
      if (meta[1] === 'TYPE') {
        if (types.has(meta[2]!)) throw new Error(`family ${meta[2]} declared twice`)
        types.set(meta[2]!, meta[3]!)
        family = meta[2]!
      }
      continue
    }
    if (line.startsWith('#')) throw new Error(`not a known comment: ${line}`)
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0]
    if (!name) throw new Error(`not a sample: ${line}`)
    const type = types.get(family)
    const suffixes =
      type === 'counter'
        ? ['_total', '_created']
        : type === 'histogram'
          ? ['_bucket', '_sum', '_count', '_created']
          : type === 'summary'
            ? ['', '_sum', '_count', '_created']
            : ['']
    if (!suffixes.some((suffix) => name === `${family}${suffix}`)) {
      throw new Error(`${name} is not a sample of the ${type} family ${family}`)
    }
    let rest = line.slice(name.length)
    let labels: Record<string, string> = {}
    if (rest.startsWith('{')) {
      const read = readLabels(rest, 0)
      labels = read.labels
      rest = rest.slice(read.end)
    }
    const [valuePart, exemplarPart] = rest.split(' # ')
    const value = readNumber(valuePart!.trim().split(' ')[0]!)
    const sample: OpenMetricsSample = { name, family, labels, value }
    if (exemplarPart !== undefined) {
      if (!(name.endsWith('_total') || name.endsWith('_bucket'))) throw new Error(`exemplar on ${name}`)
      const read = readLabels(exemplarPart, 0)
      const chars = Object.entries(read.labels).reduce((sum, [k, v]) => sum + k.length + v.length, 0)
      if (chars > 128) throw new Error(`exemplar labels of ${chars} characters: ${line}`)
      const [exemplarValue, timestamp] = exemplarPart.slice(read.end).trim().split(' ')
      sample.exemplar = {
        labels: read.labels,
        value: readNumber(exemplarValue!),
        ...(timestamp === undefined ? {} : { timestamp: readNumber(timestamp) }),
      }
    }
    samples.push(sample)
  }
  return { samples, types }
}

/** What Prometheus 2.x sends when it scrapes. */
export const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
