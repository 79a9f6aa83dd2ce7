import { createHealthRoute } from '@vivr/adapter-next'
import { health } from '../../../lib/health'

export const { GET } = createHealthRoute(health)
export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'
