import { createReadyRoute } from '@vivr/adapter-next'
import { health } from '../../../../lib/health'

export const { GET } = createReadyRoute(health)
export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'
