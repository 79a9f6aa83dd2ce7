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

export async function scrape(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) })
  if (!response.ok) throw new Error(`scrape of ${url} answered ${response.status}`)
  return response.text()
}

/** Polls `url` until it answers 2xx, for a server that was just started. */
export async function waitForHttp(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await response.arrayBuffer()
      if (response.ok) return
      last = new Error(`answered ${response.status}`)
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${String(last)}`)
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

/** The `le` bounds of one histogram's `_bucket` series, in exposition order, without `+Inf`. */
export function bucketBounds(text: string, histogram: string): number[] {
  const bounds = new Set<number>()
  for (const [, le] of text.matchAll(new RegExp(`^${histogram}_bucket\\{[^}]*le="([^"]+)"`, 'gm'))) {
    if (le !== '+Inf') bounds.add(Number(le))
  }
  return [...bounds]
}
