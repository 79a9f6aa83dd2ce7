export type AggregatedType = 'c' | 'g'
export type SampleType = 'ms' | 'h'

export interface AggregatedContext {
  readonly type: AggregatedType
  readonly name: string
  readonly tags: Record<string, string> | undefined
  value: number
}

/** The samples of one timing or histogram series (name + type + tag set) within a window. */
export interface SampleSeries {
  readonly type: SampleType
  readonly name: string
  readonly tags: Record<string, string> | undefined
  /** In the order recorded. */
  readonly values: number[]
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

export interface SampleWindow {
  /**
   * Adds a value to its series; false when a new series would pass `maxSeries`, or `maxChars` characters of names
   * and tags (the caller sends that value alone). The caller watches `values` against its own cap.
   */
  record(type: SampleType, name: string, value: number, tags: Record<string, string> | undefined): boolean
  /** The window's series, in creation order; starts a new window. */
  drain(): SampleSeries[]
  /** Values held now, across every series. */
  readonly values: number
  /** Series held now. */
  readonly size: number
}

function canonicalKey(type: string, name: string, tags: Record<string, string> | undefined): string {
  let key = `${type}\u0002${name}`
  if (tags) for (const tag of Object.keys(tags).sort()) key += `\u0000${tag}\u0001${String(tags[tag])}`
  return key
}

interface ContextIndex<T extends string, C> {
  /** The context of this type, name and tags (made by `create` when new); undefined when the index is full. */
  find(type: T, name: string, tags: Record<string, string> | undefined): C | undefined
  drain(): C[]
  readonly size: number
}

/**
 * Contexts per window, found by metric type, name and tag set. A call costs one string build and one map hit:
 * contexts are found by the tags' spelling first, and only a new spelling pays for the order-independent key (so
 * `{a, b}` and `{b, a}` still share one context). Bounded by a count of contexts and by characters held.
 */
function createContextIndex<T extends string, C>(
  maxContexts: number,
  maxChars: number,
  create: (type: T, name: string, tags: Record<string, string> | undefined) => C,
): ContextIndex<T, C> {
  let bySpelling = new Map<string, C>()
  let byKey = new Map<string, C>()
  let heldChars = 0

  function admit(spelling: string, type: T, name: string, tags: Record<string, string> | undefined) {
    const key = canonicalKey(type, name, tags)
    let context = byKey.get(key)
    if (!context) {
      if (byKey.size >= maxContexts || heldChars + 2 * key.length > maxChars) return undefined
      // Our own copy of the tags: the caller may change its object after the call.
      context = create(type, name, tags ? { ...tags } : undefined)
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
    find(type, name, tags) {
      let spelling = `${type}\u0002${name}`
      if (tags) for (const tag in tags) spelling += `\u0000${tag}\u0001${tags[tag]}`
      return bySpelling.get(spelling) ?? admit(spelling, type, name, tags)
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

/** Client-side aggregation of counts and gauges per flush window, as Datadog's own clients do. */
export function createAggregator(maxContexts: number, maxChars = Number.POSITIVE_INFINITY): Aggregator {
  const index = createContextIndex(
    maxContexts,
    maxChars,
    (type: AggregatedType, name, tags): AggregatedContext => ({ type, name, tags, value: 0 }),
  )
  return {
    record(type, name, value, tags) {
      const context = index.find(type, name, tags)
      if (!context) return false
      if (type === 'c') context.value += value
      else context.value = value
      return true
    },
    drain: () => index.drain(),
    get size() {
      return index.size
    },
  }
}

/**
 * The samples of timings and histograms per flush window, per series (name + type + tag set), so that they go out
 * packed, several values to a line. Holds every value recorded until drained: the caller caps `values`.
 */
export function createSampleWindow(maxSeries: number, maxChars = Number.POSITIVE_INFINITY): SampleWindow {
  const index = createContextIndex(
    maxSeries,
    maxChars,
    (type: SampleType, name, tags): SampleSeries => ({ type, name, tags, values: [] }),
  )
  let values = 0
  return {
    record(type, name, value, tags) {
      const series = index.find(type, name, tags)
      if (!series) return false
      series.values.push(value)
      values++
      return true
    },
    drain() {
      values = 0
      return index.drain()
    },
    get values() {
      return values
    },
    get size() {
      return index.size
    },
  }
}
