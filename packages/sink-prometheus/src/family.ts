import { mayHoldSecret, OTHER, scrubSecrets, type Tags } from '@vivr/core'
import { Counter, Gauge, Histogram, type Registry, type RegistryContentType } from 'prom-client'
import { labelName } from './names.js'
import type { ExemplarIds } from './trace.js'

export type FamilyType = 'counter' | 'gauge' | 'histogram'

type Labels = Record<string, string>

/** Why a call gets no series. */
export type Refusal = 'not a tag set' | 'too many series'

/** One time series: a counter's or gauge's value, or a histogram's observation count, sum and bucket counts. */
export interface Series {
  readonly labels: Labels
  value: number
  sum: number
  /** Non-cumulative count per upper bound; the last slot counts what exceeded every bound. */
  readonly buckets: Float64Array | undefined
  /** Per bucket slot, the last traced observation that fell in it; made on the first one. */
  exemplars: Array<Exemplar | undefined> | undefined
}

/** One observation kept as an OpenMetrics exemplar: `# {trace_id="…",span_id="…"} value timestamp`. */
export interface Exemplar {
  traceId: string
  spanId: string | undefined
  value: number
  /** Seconds since the epoch, as OpenMetrics writes it. */
  timestamp: number
}

/** An exemplar as prom-client's metric objects carry it (its renderer and ours read this shape). */
export interface ExemplarValue {
  labelSet: Record<string, string>
  value: number
  timestamp: number
}

function exemplarValue(exemplar: Exemplar | undefined): ExemplarValue | undefined {
  if (exemplar === undefined) return undefined
  // 8 + 32 + 7 + 16 = 63 characters of label names and values: within OpenMetrics' 128.
  const labelSet: Record<string, string> = { trace_id: exemplar.traceId }
  if (exemplar.spanId !== undefined) labelSet.span_id = exemplar.spanId
  return { labelSet, value: exemplar.value, timestamp: exemplar.timestamp }
}

/** More labels than any series should carry: such a tag set is not recorded (core's limitCardinality agrees). */
const MAX_LABELS = 64
/** Characters kept of a label name or value: Prometheus sets no limit, but a 10 MB label is a mistake, not data. */
export const MAX_LABEL_CHARS = 1024

/** A copy: V8 makes a slice a view that keeps the whole 10 MB original alive as long as the slice is held. */
function detach(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le')
}

function cut(text: string): string {
  return text.length <= MAX_LABEL_CHARS ? text : detach(text.slice(0, MAX_LABEL_CHARS))
}

/**
 * A tag value as it goes out in a label: scrubbed of secrets (core's scrubSecrets, which looks only a little past
 * its limit whatever the length) before it is cut, so a secret that straddles the cut is still recognised.
 */
function exposedValue(text: string): string {
  if (text.length > MAX_LABEL_CHARS) return detach(scrubSecrets(text, MAX_LABEL_CHARS))
  return mayHoldSecret(text) ? scrubSecrets(text, MAX_LABEL_CHARS) : text
}

/** A tag value as a label value, cut; undefined for an object or a function, which are not tag values. */
function labelText(value: unknown): string | undefined {
  if (typeof value === 'string') return cut(value)
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return cut(String(value))
  return undefined
}

/** A plain object (or one without a prototype): not an array, a Buffer, a Map or a class instance. */
const OBJECT_PROTOTYPE: unknown = Object.prototype
function isTagSet(tags: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(tags)
  return prototype === OBJECT_PROTOTYPE || prototype === null
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
  /** Calls whose label names, even folded, would have made a series past twice the limit. */
  dropped = 0

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: FamilyType,
    readonly bounds: readonly number[],
    private readonly maxTagSets: number,
    private readonly onFirstFold: (family: Family) => void,
  ) {}

  get size(): number {
    return this.byLabels.size
  }

  /**
   * The series for these tags, or why there is none: not a tag set (not a plain object, more than MAX_LABELS
   * tags, an object or a function as a value), or too many series. Keys and values are cut to MAX_LABEL_CHARS
   * first, so what is remembered stays small whatever the caller passes. May throw (a Proxy, a getter).
   */
  series(tags: Tags | undefined): Series | Refusal {
    let spelling = ''
    if (tags) {
      if (!isTagSet(tags)) return 'not a tag set'
      let count = 0
      for (const key in tags) {
        if (++count > MAX_LABELS) return 'not a tag set'
        const raw: unknown = tags[key]
        // The common call, short strings, pays two comparisons.
        const value = typeof raw === 'string' && raw.length <= MAX_LABEL_CHARS ? raw : labelText(raw)
        if (value === undefined) return 'not a tag set'
        spelling += `${key.length <= MAX_LABEL_CHARS ? key : cut(key)}\u0000${value}\u0001`
      }
    }
    return this.bySpelling.get(spelling) ?? this.admit(spelling, tags)
  }

  /**
   * One observation; with the ids of a trace, it becomes its bucket's exemplar (the last traced observation per
   * bucket, as prom-client keeps them), updated in place so a traced call allocates nothing after the first.
   */
  observe(series: Series, value: number, trace?: ExemplarIds): void {
    const { bounds } = this
    let slot = 0
    while (slot < bounds.length && value > bounds[slot]!) slot++
    series.buckets![slot]!++
    series.value++
    series.sum += value
    if (trace === undefined) return
    series.exemplars ??= new Array<Exemplar | undefined>(bounds.length + 1)
    const timestamp = Date.now() / 1000
    const exemplar = series.exemplars[slot]
    if (exemplar === undefined) {
      series.exemplars[slot] = { traceId: trace.traceId, spanId: trace.spanId, value, timestamp }
    } else {
      exemplar.traceId = trace.traceId
      exemplar.spanId = trace.spanId
      exemplar.value = value
      exemplar.timestamp = timestamp
    }
  }

  reset(): void {
    this.bySpelling.clear()
    this.byLabels.clear()
    this.folded = 0
    this.dropped = 0
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
      exemplar?: ExemplarValue | undefined
    }> = []
    for (const series of this.byLabels.values()) {
      let cumulative = 0
      const exemplars = series.exemplars
      this.bounds.forEach((bound, slot) => {
        cumulative += series.buckets![slot]!
        out.push({
          labels: { le: bound },
          sharedLabels: series.labels,
          value: cumulative,
          metricName: bucketName,
          exemplar: exemplarValue(exemplars?.[slot]),
        })
      })
      out.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: series.labels,
          value: series.value,
          metricName: bucketName,
          exemplar: exemplarValue(exemplars?.[this.bounds.length]),
        },
        { labels: {}, sharedLabels: series.labels, value: series.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: series.labels, value: series.value, metricName: `${this.name}_count` },
      )
    }
    return out
  }

  private admit(spelling: string, tags: Tags | undefined): Series | Refusal {
    // No prototype: a `__proto__` tag stays a label.
    let labels: Labels = Object.create(null)
    if (tags) {
      for (const key in tags) {
        const raw: unknown = tags[key]
        const text = typeof raw === 'string' ? raw : labelText(raw)
        if (text === undefined) return 'not a tag set'
        const value = exposedValue(text)
        labels[labelName(cut(key), this.type === 'histogram')] = value
      }
    }
    let key = canonicalKey(labels)
    let series = this.byLabels.get(key)
    if (!series && this.byLabels.size >= this.maxTagSets) {
      const folded: Labels = Object.create(null)
      for (const name of Object.keys(labels)) folded[name] = OTHER
      labels = folded
      key = canonicalKey(labels)
      series = this.byLabels.get(key)
      // Folding bounds values, not label names: a tag set whose names vary (a user id as a key) would still make
      // a new `other` series per call. Past twice the limit, such a call is dropped.
      if (!series && this.byLabels.size >= 2 * this.maxTagSets) {
        this.dropped++
        return 'too many series'
      }
      this.folded++
      if (this.folded === 1) this.onFirstFold(this)
    }
    if (!series) {
      series = {
        labels,
        value: 0,
        sum: 0,
        buckets: this.type === 'histogram' ? new Float64Array(this.bounds.length + 1) : undefined,
        exemplars: undefined,
      }
      this.byLabels.set(key, series)
    }
    // Spellings are remembered up to a bound: past the limit, new spellings pay the slow path instead of memory.
    if (this.bySpelling.size < 2 * this.maxTagSets) this.bySpelling.set(spelling, series)
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
