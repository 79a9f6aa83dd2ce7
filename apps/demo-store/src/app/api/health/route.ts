import { getServices } from '@/server/runtime'

export const dynamic = 'force-dynamic'

/** The guide's health JSON (503 when unhealthy); a browser (Accept: text/html) gets the status page. */
export const GET = (request: Request) => getServices().health.handler(request)
