import { positiveIntegerOption } from '../validate.js'
import type { Logger } from './log-types.js'
import type { MetricSink, Tags } from './metrics.js'

export interface CardinalityOptions {
  /** Distinct tag sets allowed per metric name; later new sets fold their values into `other`. @default 1000 */
  maxTagSets?: number
  /** Gets one warning the first time any metric is folded. */
  logger?: Logger
}

export const OTHER = 'other'

/**
 * Bounds the distinct tag sets per metric name, because raw paths and user ids in tags are the most common way
 * a metrics bill explodes. Past the limit, a new tag set keeps its keys but every value becomes `other`.
 */
export function limitCardinality(sink: MetricSink, options: CardinalityOptions = {}): MetricSink {
  const maxTagSets = positiveIntegerOption('maxTagSets', options.maxTagSets) ?? 1000
  const seen = new Map<string, Set<string>>()
  let warned = false

  function guard(name: string, tags: Tags | undefined): Tags | undefined {
    if (!tags) return tags
    const key = tagKey(tags)
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

  return {
    increment: (name, value, tags) => sink.increment(name, value, guard(name, tags)),
    gauge: (name, value, tags) => sink.gauge(name, value, guard(name, tags)),
    timing: (name, ms, tags) => sink.timing(name, ms, guard(name, tags)),
    histogram: (name, value, tags) => sink.histogram(name, value, guard(name, tags)),
    flush: async () => sink.flush?.(),
    close: async () => sink.close?.(),
  } satisfies MetricSink
}

function tagKey(tags: Tags): string {
  let key = ''
  for (const tag of Object.keys(tags).sort()) key += `${tag}\u0000${String(tags[tag])}\u0001`
  return key
}
