import { withObservability } from '@vivr/adapter-next'

export const POST = withObservability(
  async () => {
    throw new Error('Database write failed for order o-42 at db-7.internal')
  },
  { route: '/api/orders' },
)
