import { createStartupRoute } from '@vivr/adapter-next'
import { getServices } from '@/server/runtime'

export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'

/** Kubernetes' startup probe: 503 until the database check has passed once (docs/health.md#states). */
export const GET = (request: Request) => createStartupRoute(getServices().health).GET(request)
