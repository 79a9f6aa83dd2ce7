import { positiveIntegerOption } from '../validate.js'
import type { Logger } from './log-types.js'
import type { MetricKind, MetricSink, Tags } from './metrics.js'

export interface CardinalityOptions {
  /** Distinct tag sets allowed per metric name; later new sets fold their values into `other`. @default 1000 */
  maxTagSets?: number
  /** Gets one warning the first time any metric is folded. */
  logger?: Logger
}

export const OTHER = 'other'
const DROP = Symbol('drop')

/**
 * Bounds the distinct tag sets per metric name, because raw paths and user ids in tags are the most common way
 * a metrics bill explodes. Past the limit, a new tag set keeps its keys but every value becomes `other`.
 */
export function limitCardinality(sink: MetricSink, options: CardinalityOptions = {}): MetricSink {
  const maxTagSets = positiveIntegerOption('maxTagSets', options.maxTagSets) ?? 1000
  const seen = new Map<string, Set<string>>()
  let warned = false

  /** The tags to send, or DROP for a data point whose tags are not a tag set (as every sink does). */
  function guard(name: string, tags: Tags | undefined): Tags | undefined | typeof DROP {
    if (!tags) return tags
    const key = tagKey(tags)
    if (key === undefined) return DROP
    let sets = seen.get(name)
    if (!sets) {
      sets = new Set()
      seen.set(name, sets)
    }
    if (sets.has(key)) return tags
    if (sets.size < maxTagSets) {
      sets.add(key)
      return tags
    }
    if (!warned) {
      warned = true
      options.logger?.warn('metric tag cardinality limit reached; new tag values are folded into "other"', {
        metric: name,
        maxTagSets,
      })
    }
    const folded: Tags = {}
    for (const tag in tags) folded[tag] = OTHER
    return folded
  }

  /** A sink never throws: tags that cannot be read (a Proxy, a throwing getter) or are no tag set drop the point. */
  function forward(kind: MetricKind, name: string, value: number | undefined, tags: Tags | undefined): void {
    try {
      const bounded = guard(name, tags)
      if (bounded === DROP) return
      if (kind === 'increment') sink.increment(name, value, bounded)
      else sink[kind](name, value ?? 0, bounded)
    } catch {
      // Nothing to do: one data point is lost, the caller is not.
    }
  }

  return {
    increment: (name, value, tags) => forward('increment', name, value, tags),
    gauge: (name, value, tags) => forward('gauge', name, value, tags),
    timing: (name, ms, tags) => forward('timing', name, ms, tags),
    histogram: (name, value, tags) => forward('histogram', name, value, tags),
    flush: async () => sink.flush?.(),
    close: async () => sink.close?.(),
  } satisfies MetricSink
}

/** Longest tag name or value kept in a tag set's key: the set of keys stays small whatever the values. */
const MAX_KEYED_LENGTH = 256

/** More tags than any backend takes on one series: such a tag set is dropped whole. */
const MAX_TAGS = 64

/** The tag set's identity, or undefined for what is not a tag set (an array, a Buffer, hundreds of keys). */
function tagKey(tags: Tags): string | undefined {
  const prototype: unknown = Object.getPrototypeOf(tags)
  if (prototype !== Object.prototype && prototype !== null) return undefined
  const names = Object.keys(tags)
  if (names.length > MAX_TAGS) return undefined
  let key = ''
  for (const tag of names.sort()) {
    key += `${tag.slice(0, MAX_KEYED_LENGTH)}\u0000${String(tags[tag]).slice(0, MAX_KEYED_LENGTH)}\u0001`
  }
  return key
}
