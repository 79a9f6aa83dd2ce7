// `@/lib/metrics` in README examples: sink-prometheus's README defines it in its own first block.
import { prometheusMetrics } from '@vivr/sink-prometheus'

export const metrics = prometheusMetrics({ defaultMetrics: true })
