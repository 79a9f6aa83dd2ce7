import { defineSlos } from './spec.js'

/**
 * The demo store's objectives. `service` is the `service` label / EMF dimension the store sets on its sinks
 * (`vivr-web` for the Next.js app, `vivr-api` for the Express API). After editing, run `npm run ops:slo` and
 * commit what it writes; ops/test/slo-generated.test.ts fails while the committed output is stale.
 */
export const objectives = defineSlos([
  {
    name: 'storefront-availability',
    description: 'Shoppers get pages and API answers, not server errors.',
    kind: 'availability',
    service: 'vivr-web',
    objective: 0.995,
    minRequests: 100,
  },
  {
    name: 'checkout-availability',
    description: 'Placing an order works: the checkout endpoint does not fail.',
    kind: 'availability',
    service: 'vivr-web',
    route: '/api/checkout',
    objective: 0.999,
    minRequests: 20,
  },
  {
    name: 'api-latency',
    description: 'The API answers fast enough for the storefront to feel instant.',
    kind: 'latency',
    service: 'vivr-api',
    objective: 0.95,
    thresholdSeconds: 0.5,
    minRequests: 50,
  },
])
