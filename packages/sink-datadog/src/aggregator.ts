export type AggregatedType = 'c' | 'g'

export interface AggregatedContext {
  readonly type: AggregatedType
  readonly name: string
  readonly tags: Record<string, string> | undefined
  value: number
}

export interface Aggregator {
  /**
   * Sums a count or keeps a gauge's last value; false when the window already holds `maxContexts` others, or
   * `maxChars` characters of names and tags.
   */
  record(type: AggregatedType, name: string, value: number, tags: Record<string, string> | undefined): boolean
  /** The window's contexts, in creation order; starts a new window. */
  drain(): AggregatedContext[]
  readonly size: number
}

function canonicalKey(type: AggregatedType, name: string, tags: Record<string, string> | undefined): string {
  let key = `${type}\u0002${name}`
  if (tags) for (const tag of Object.keys(tags).sort()) key += `\u0000${tag}\u0001${String(tags[tag])}`
  return key
}

/**
 * Client-side aggregation of counts and gauges per flush window, as Datadog's own clients do. A call costs one
 * string build and one map hit: contexts are found by the tags' spelling first, and only a new spelling pays for
 * the order-independent key (so `{a, b}` and `{b, a}` still share one context).
 */
export function createAggregator(maxContexts: number, maxChars = Number.POSITIVE_INFINITY): Aggregator {
  let bySpelling = new Map<string, AggregatedContext>()
  let byKey = new Map<string, AggregatedContext>()
  let heldChars = 0

  function admit(
    spelling: string,
    type: AggregatedType,
    name: string,
    tags: Record<string, string> | undefined,
  ) {
    const key = canonicalKey(type, name, tags)
    let context = byKey.get(key)
    if (!context) {
      if (byKey.size >= maxContexts || heldChars + 2 * key.length > maxChars) return undefined
      context = { type, name, tags: tags ? { ...tags } : undefined, value: 0 }
      byKey.set(key, context)
      heldChars += 2 * key.length
    }
    if (bySpelling.size < 2 * maxContexts && heldChars + spelling.length <= maxChars) {
      bySpelling.set(spelling, context)
      heldChars += spelling.length
    }
    return context
  }

  return {
    record(type, name, value, tags) {
      let spelling = `${type}\u0002${name}`
      if (tags) for (const tag in tags) spelling += `\u0000${tag}\u0001${tags[tag]}`
      const context = bySpelling.get(spelling) ?? admit(spelling, type, name, tags)
      if (!context) return false
      if (type === 'c') context.value += value
      else context.value = value
      return true
    },
    drain() {
      const contexts = [...byKey.values()]
      bySpelling = new Map()
      byKey = new Map()
      heldChars = 0
      return contexts
    },
    get size() {
      return byKey.size
    },
  }
}
