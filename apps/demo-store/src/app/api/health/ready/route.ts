import { createReadyRoute } from '@vivr/adapter-next'
import { getServices } from '@/server/runtime'

export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'

/** Readiness: the database (the one critical dependency); 503 while the catalog warms up or shutting down. */
export const GET = (request: Request) => createReadyRoute(getServices().health).GET(request)
