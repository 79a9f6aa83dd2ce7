import { createLiveRoute } from '@vivr/adapter-next'
import { health } from '../../../../lib/health'

export const { GET } = createLiveRoute(health)
export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'
