import { METRIC } from '../vocabulary.js'
import type { MetricSink, Tags } from './metrics.js'

/** The business KPIs; names in the vocabulary (docs/vocabulary.md#the-table). */
export interface BusinessMetrics {
  ordersCreated(count: number, tags?: Tags): void
  revenueProcessed(amount: number, tags?: Tags): void
  conversionRate(rate: number, tags?: Tags): void
  averageOrderValue(value: number, tags?: Tags): void
  customerSignups(count: number, tags?: Tags): void
  cartAbandonment(count: number, tags?: Tags): void
}

/**
 * The technical metrics; names in the vocabulary (docs/vocabulary.md#the-table), durations in milliseconds. Query time is
 * `database.query.duration`, the name checks-prisma records (`database.query_time` is gone).
 */
export interface TechnicalMetrics {
  apiResponseTime(ms: number, tags?: Tags): void
  databaseQueryTime(ms: number, tags?: Tags): void
  cacheHitRate(rate: number, tags?: Tags): void
  errorRate(count: number, tags?: Tags): void
  paymentFailureRate(rate: number, tags?: Tags): void
  pageLoadTime(ms: number, tags?: Tags): void
}

export function createBusinessMetrics(sink: MetricSink): BusinessMetrics {
  return {
    ordersCreated: (count, tags) => sink.increment(METRIC.ordersCreated, count, tags),
    revenueProcessed: (amount, tags) => sink.gauge(METRIC.revenueProcessed, amount, tags),
    conversionRate: (rate, tags) => sink.gauge(METRIC.conversionRate, rate, tags),
    averageOrderValue: (value, tags) => sink.gauge(METRIC.averageOrderValue, value, tags),
    customerSignups: (count, tags) => sink.increment(METRIC.customerSignups, count, tags),
    cartAbandonment: (count, tags) => sink.increment(METRIC.cartAbandoned, count, tags),
  }
}

export function createTechnicalMetrics(sink: MetricSink): TechnicalMetrics {
  return {
    apiResponseTime: (ms, tags) => sink.timing(METRIC.apiResponseTime, ms, tags),
    databaseQueryTime: (ms, tags) => sink.timing(METRIC.databaseQueryDuration, ms, tags),
    cacheHitRate: (rate, tags) => sink.gauge(METRIC.cacheHitRate, rate, tags),
    errorRate: (count, tags) => sink.increment(METRIC.errors, count, tags),
    paymentFailureRate: (rate, tags) => sink.gauge(METRIC.paymentFailureRate, rate, tags),
    pageLoadTime: (ms, tags) => sink.timing(METRIC.pageLoadTime, ms, tags),
  }
}
