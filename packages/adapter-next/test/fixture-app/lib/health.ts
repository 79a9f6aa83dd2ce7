import { perProcess } from '@vivr/adapter-next'
import { createHealth } from '@vivr/core'

// One per process: instrumentation.ts and the health routes are bundled apart (see the README).
export const health = perProcess('health', () =>
  createHealth({
    checks: [
      { name: 'database', tags: ['ready'], run: async () => {} },
      {
        name: 'payment',
        critical: false,
        run: async () => {
          throw new Error('Stripe not configured')
        },
      },
    ],
  }),
)
