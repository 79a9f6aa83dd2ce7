import { healthEndpoints } from '@vivr/core'
import { getServices } from '@/server/runtime'

export const dynamic = 'force-dynamic'

/** Readiness: the database (the one critical dependency); 503 while shutting down. */
export const GET = (request: Request) => healthEndpoints(getServices().health).ready(request)
