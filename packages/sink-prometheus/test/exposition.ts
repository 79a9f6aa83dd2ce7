/** A reader for the Prometheus text format (0.0.4), enough to assert what a scrape returned. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  samples: Sample[]
  types: Map<string, string>
  help: Map<string, string>
  /** The sample of this name whose labels include every given one; `undefined` when none or several match. */
  find(name: string, labels?: Record<string, string>): Sample | undefined
  all(name: string, labels?: Record<string, string>): Sample[]
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {}
  let i = 0
  while (i < text.length) {
    const eq = text.indexOf('="', i)
    const name = text.slice(i, eq)
    let value = ''
    let j = eq + 2
    for (; text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        j++
        value += text[j] === 'n' ? '\n' : text[j]
      } else value += text[j]
    }
    labels[name] = value
    i = j + 1
    if (text[i] === ',') i++
  }
  return labels
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/s.exec(line)
    if (meta) {
      if (meta[1] === 'TYPE') types.set(meta[2]!, meta[3]!)
      else help.set(meta[2]!, meta[3]!)
      continue
    }
    // `s`: a label value may hold a raw carriage return or tab (only `\\`, `"` and line feeds are escaped).
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/s.exec(line)
    if (!sample) throw new Error(`not a sample line: ${line}`)
    samples.push({
      name: sample[1]!,
      labels: sample[2] ? parseLabels(sample[2]) : {},
      value: Number(sample[3]),
    })
  }
  const matching = (name: string, labels: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  return {
    samples,
    types,
    help,
    all: matching,
    find: (name, labels) => {
      const found = matching(name, labels)
      return found.length === 1 ? found[0] : undefined
    },
  }
}

export async function scrape(handler: (request: Request) => Promise<Response>): Promise<Exposition> {
  const response = await handler(new Request('http://127.0.0.1/metrics'))
  if (response.status !== 200) throw new Error(`scrape answered ${response.status}`)
  return parseExposition(await response.text())
}
