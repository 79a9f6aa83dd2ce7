import { createHealth } from '@vivr/core'

export const health = createHealth({
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
})
