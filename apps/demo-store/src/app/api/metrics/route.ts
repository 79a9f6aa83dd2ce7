import { getServices } from '@/server/runtime'

export const dynamic = 'force-dynamic'

/** Prometheus scrape endpoint (text exposition format). */
export const GET = (request: Request) => getServices().prometheus.metricsHandler(request)
