import { healthEndpoints } from '@vivr/core'
import { getServices } from '@/server/runtime'

export const dynamic = 'force-dynamic'

/** Liveness: no dependency checks, 200 unless the process is broken (stays 200 while draining). */
export const GET = (request: Request) => healthEndpoints(getServices().health).live(request)
