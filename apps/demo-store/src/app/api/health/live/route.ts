import { createLiveRoute } from '@vivr/adapter-next'
import { getServices } from '@/server/runtime'

export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'

/** Liveness: no dependency checks, 200 unless the process is broken (stays 200 while draining). */
export const GET = (request: Request) => createLiveRoute(getServices().health).GET(request)
