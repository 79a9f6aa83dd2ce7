import { createHealthRoute } from '@vivr/adapter-next'
import { getServices } from '@/server/runtime'

export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'

/** The health JSON (docs/health.md#the-report; 503 when unhealthy); a browser (Accept: text/html) gets the status page. */
export const GET = (request: Request) => createHealthRoute(getServices().health).GET(request)
