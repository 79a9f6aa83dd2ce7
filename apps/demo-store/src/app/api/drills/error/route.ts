import { route } from '@/server/route'
import { getServices } from '@/server/runtime'

export const dynamic = 'force-dynamic'

/**
 * Fails on purpose (DEMO_DRILLS=false turns it off): the answer is `{ error, requestId }`, the error goes to
 * Sentry with authorization and cookie headers removed, and errors.count moves.
 */
export const GET = route('/api/drills/error', async () => {
  if (!getServices().config.drills) return Response.json({ error: 'Not found' }, { status: 404 })
  throw new Error('Drill: the payment ledger is unreachable')
})
