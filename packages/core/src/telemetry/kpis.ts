import type { MetricSink, Tags } from './metrics.js'

/** The guide's business KPIs, with its metric names. */
export interface BusinessMetrics {
  ordersCreated(count: number, tags?: Tags): void
  revenueProcessed(amount: number, tags?: Tags): void
  conversionRate(rate: number, tags?: Tags): void
  averageOrderValue(value: number, tags?: Tags): void
  customerSignups(count: number, tags?: Tags): void
  cartAbandonment(count: number, tags?: Tags): void
}

/** The guide's technical metrics, with its metric names; durations in milliseconds. */
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
    ordersCreated: (count, tags) => sink.increment('orders.created', count, tags),
    revenueProcessed: (amount, tags) => sink.gauge('revenue.processed', amount, tags),
    conversionRate: (rate, tags) => sink.gauge('conversion.rate', rate, tags),
    averageOrderValue: (value, tags) => sink.gauge('order.average_value', value, tags),
    customerSignups: (count, tags) => sink.increment('customers.signups', count, tags),
    cartAbandonment: (count, tags) => sink.increment('cart.abandoned', count, tags),
  }
}

export function createTechnicalMetrics(sink: MetricSink): TechnicalMetrics {
  return {
    apiResponseTime: (ms, tags) => sink.timing('api.response_time', ms, tags),
    databaseQueryTime: (ms, tags) => sink.timing('database.query_time', ms, tags),
    cacheHitRate: (rate, tags) => sink.gauge('cache.hit_rate', rate, tags),
    errorRate: (count, tags) => sink.increment('errors.count', count, tags),
    paymentFailureRate: (rate, tags) => sink.gauge('payments.failure_rate', rate, tags),
    pageLoadTime: (ms, tags) => sink.timing('page.load_time', ms, tags),
  }
}
