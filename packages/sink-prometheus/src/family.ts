import { OTHER, type Tags } from '@vivr/core'
import { Counter, Gauge, Histogram, type Registry, type RegistryContentType } from 'prom-client'
import { labelName } from './names.js'

export type FamilyType = 'counter' | 'gauge' | 'histogram'

type Labels = Record<string, string>

/** One time series: a counter's or gauge's value, or a histogram's observation count, sum and bucket counts. */
export interface Series {
  readonly labels: Labels
  value: number
  sum: number
  /** Non-cumulative count per upper bound; the last slot counts what exceeded every bound. */
  readonly buckets: Float64Array | undefined
}

function canonicalKey(labels: Labels): string {
  let key = ''
  for (const name of Object.keys(labels).sort()) key += `${name}\u0000${labels[name]}\u0001`
  return key
}

/**
 * The series of one Prometheus metric, with its own label sets. Each series keeps the labels it was recorded
 * with, so a metric may be used with different tag keys over time (prom-client throws on that). Lookups go
 * through the tags' spelling first, so the common call costs one string build and one map hit.
 */
export class Family {
  private readonly bySpelling = new Map<string, Series>()
  private readonly byLabels = new Map<string, Series>()
  /** Label sets that arrived after the limit and were folded into `other`. */
  folded = 0

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: FamilyType,
    readonly bounds: readonly number[],
    private readonly maxLabelSets: number,
    private readonly onFirstFold: (family: Family) => void,
  ) {}

  get size(): number {
    return this.byLabels.size
  }

  series(tags: Tags | undefined): Series {
    let spelling = ''
    if (tags) for (const key in tags) spelling += `${key}\u0000${tags[key]}\u0001`
    return this.bySpelling.get(spelling) ?? this.admit(spelling, tags)
  }

  observe(series: Series, value: number): void {
    const { bounds } = this
    let slot = 0
    while (slot < bounds.length && value > bounds[slot]!) slot++
    series.buckets![slot]!++
    series.value++
    series.sum += value
  }

  reset(): void {
    this.bySpelling.clear()
    this.byLabels.clear()
    this.folded = 0
  }

  /** Counter and gauge values as prom-client renders them. */
  values(): Array<{ value: number; labels: Labels }> {
    const out: Array<{ value: number; labels: Labels }> = []
    for (const series of this.byLabels.values()) out.push({ value: series.value, labels: series.labels })
    return out
  }

  /** Histogram lines as prom-client renders them: cumulative buckets, `+Inf`, `_sum`, `_count`. */
  histogramValues() {
    const bucketName = `${this.name}_bucket`
    const out: Array<{
      labels: Record<string, string | number>
      sharedLabels: Labels
      value: number
      metricName: string
    }> = []
    for (const series of this.byLabels.values()) {
      let cumulative = 0
      this.bounds.forEach((bound, slot) => {
        cumulative += series.buckets![slot]!
        out.push({
          labels: { le: bound },
          sharedLabels: series.labels,
          value: cumulative,
          metricName: bucketName,
        })
      })
      out.push(
        { labels: { le: '+Inf' }, sharedLabels: series.labels, value: series.value, metricName: bucketName },
        { labels: {}, sharedLabels: series.labels, value: series.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: series.labels, value: series.value, metricName: `${this.name}_count` },
      )
    }
    return out
  }

  private admit(spelling: string, tags: Tags | undefined): Series {
    let labels: Labels = {}
    if (tags)
      for (const [key, value] of Object.entries(tags))
        labels[labelName(key, this.type === 'histogram')] = String(value)
    let key = canonicalKey(labels)
    let series = this.byLabels.get(key)
    if (!series && this.byLabels.size >= this.maxLabelSets) {
      const folded: Labels = {}
      for (const name of Object.keys(labels)) folded[name] = OTHER
      labels = folded
      key = canonicalKey(labels)
      series = this.byLabels.get(key)
      this.folded++
      if (this.folded === 1) this.onFirstFold(this)
    }
    if (!series) {
      series = {
        labels,
        value: 0,
        sum: 0,
        buckets: this.type === 'histogram' ? new Float64Array(this.bounds.length + 1) : undefined,
      }
      this.byLabels.set(key, series)
    }
    // Spellings are remembered up to a bound: past the limit, new spellings pay the slow path instead of memory.
    if (this.bySpelling.size < 2 * this.maxLabelSets) this.bySpelling.set(spelling, series)
    return series
  }
}

/*
 * prom-client metrics whose series come from a Family. They are real prom-client metrics, so the registry
 * renders, merges, resets and cluster-aggregates them like any other; only the storage is ours.
 */

class FamilyCounter extends Counter {
  declare family: Family
  constructor(family: Family) {
    super({ name: family.name, help: family.help, registers: [] })
    this.family = family
  }
  override reset(): void {
    super.reset()
    // Called by prom-client's constructor too, before `family` is set.
    this.family?.reset()
  }
  override async get() {
    return { ...(await super.get()), values: this.family.values() }
  }
}

class FamilyGauge extends Gauge {
  declare family: Family
  constructor(family: Family) {
    super({ name: family.name, help: family.help, registers: [] })
    this.family = family
  }
  override reset(): void {
    super.reset()
    this.family?.reset()
  }
  override async get() {
    return { ...(await super.get()), values: this.family.values() }
  }
}

class FamilyHistogram extends Histogram {
  declare family: Family
  constructor(family: Family) {
    super({ name: family.name, help: family.help, buckets: [...family.bounds], registers: [] })
    this.family = family
  }
  override reset(): void {
    super.reset()
    this.family?.reset()
  }
  /** prom-client renders histograms (and builds `get()`) from this method. */
  async getForPromString() {
    return {
      name: this.family.name,
      help: this.family.help,
      type: 'histogram',
      values: this.family.histogramValues(),
      aggregator: 'sum',
    }
  }
}

/** Registers the family in the registry; false when the registry already has a metric of that name. */
export function register(family: Family, registry: Registry<RegistryContentType>): boolean {
  if (registry.getSingleMetric(family.name)) return false
  const metric =
    family.type === 'counter'
      ? new FamilyCounter(family)
      : family.type === 'gauge'
        ? new FamilyGauge(family)
        : new FamilyHistogram(family)
  try {
    registry.registerMetric(metric)
    return true
  } catch {
    return false
  }
}
