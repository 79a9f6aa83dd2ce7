// Reading a Prometheus text exposition, for tests that check a real scrape.
/**
 * Sample names in a Prometheus text exposition (`name{labels} value`): what a scrape really contains.
 * Families announced by `# TYPE` without a sample (a labelled metric nobody recorded yet) do not count.
 */
export function sampleNames(text: string): Set<string> {
  const names = new Set<string>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*)/.exec(line)
    if (match?.[1]) names.add(match[1])
  }
  return names
}

/** The label names each sample name carries in an exposition (union over its series). */
export function labelNamesBySample(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s/.exec(line)
    if (!match?.[1]) continue
    const names = out.get(match[1]) ?? new Set<string>()
    for (const [, label] of (match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="(?:[^"\\]|\\.)*"/g)) names.add(label!)
    out.set(match[1], names)
  }
  return out
}

/**
 * The distinct label-name sets each sample name carries (`le` left out): one entry per sample name is one label
 * schema per metric, the property dashboards and alerts rely on (a `sum by (route)` over two schemas silently
 * mixes series that have a route with series that do not).
 */
export function labelSchemasBySample(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s/.exec(line)
    if (!match?.[1]) continue
    const names = [...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="(?:[^"\\]|\\.)*"/g)]
      .map((m) => m[1]!)
      .filter((name) => name !== 'le')
      .sort()
    const schemas = out.get(match[1]) ?? new Set<string>()
    schemas.add(names.join(','))
    out.set(match[1], schemas)
  }
  return out
}

/** The `le` bounds of one histogram's `_bucket` series, in exposition order, without `+Inf`. */
export function bucketBounds(text: string, histogram: string): number[] {
  const bounds = new Set<number>()
  for (const [, le] of text.matchAll(new RegExp(`^${histogram}_bucket\\{[^}]*le="([^"]+)"`, 'gm'))) {
    if (le !== '+Inf') bounds.add(Number(le))
  }
  return [...bounds]
}
