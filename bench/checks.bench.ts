import { redisCheck } from '@vivr/checks-redis'
import { stripeCheck } from '@vivr/checks-stripe'
import { type Clock, createHealth, systemClock } from '@vivr/core'
import { startStripeServer, unusedPort } from '@vivr/testkit'
import Redis from 'ioredis'
import Stripe from 'stripe'
import { type Bench, percentile, sleep } from './lib.js'

const request = () => new Request('http://localhost/api/health')

/** Real timers (for deadlines), but a `now()` the bench moves forward: 30 s of probes without waiting 30 s. */
function simulatedClock(): Clock & { advance(ms: number): void } {
  let offsetMs = 0
  return {
    now: () => Date.now() + offsetMs,
    setTimeout: systemClock.setTimeout,
    clearTimeout: systemClock.clearTimeout,
    advance(ms) {
      offsetMs += ms
    },
  }
}

const deadRedis: Bench = {
  name: 'checks: dead redis',
  async run() {
    const capMs = 10_000
    // The app's client as the guide builds it (ioredis defaults), on a port where Redis is gone.
    const redis = new Redis({ host: '127.0.0.1', port: await unusedPort() })
    redis.on('error', () => {})
    try {
      await sleep(200) // first connection attempt refused: the client now waits to reconnect
      const health = createHealth({ checks: [redisCheck(redis, { timeoutMs: 1000 })], environment: 'bench' })
      const ours: number[] = []
      for (let probe = 0; probe < 200; probe++) {
        const started = performance.now()
        await health.run()
        ours.push(performance.now() - started)
      }

      const started = performance.now()
      const plain = await Promise.race([
        redis.ping().then(
          () => true,
          () => true,
        ),
        sleep(capMs).then(() => false),
      ])
      // Reported as "> 10000 ms" (> 10 s) when the capped ping has not returned.
      const plainMs = plain ? performance.now() - started : `> ${capMs}`
      return [
        {
          figure: 'dead Redis: time to a health answer (p50)',
          unit: 'ms',
          ours: percentile(ours, 50),
          anchor: plainMs,
          anchorName: 'redis.ping() on a default ioredis client (capped)',
          higherIsBetter: false,
        },
      ]
    } finally {
      redis.disconnect()
    }
  },
}

const stripeProbeStorm: Bench = {
  name: 'checks: stripe probe storm',
  async run() {
    const key = 'sk_test_51VivrBenchKey000000000'
    const server = await startStripeServer({ apiKeys: [key] })
    try {
      const stripe = new Stripe(key, { ...server.clientOptions })
      const probes = 1000
      const spacingMs = 30_000 / probes

      const clock = simulatedClock()
      const health = createHealth({ checks: [stripeCheck(stripe)], environment: 'bench', clock })
      const oursBefore = server.requestCount()
      for (let probe = 0; probe < probes; probe++) {
        await (await health.handler(request())).arrayBuffer()
        clock.advance(spacingMs)
      }
      const ourRequests = server.requestCount() - oursBefore

      // The guide: `await stripe.balance.retrieve()` inside every probe.
      const guideBefore = server.requestCount()
      for (let probe = 0; probe < probes; probe++) {
        try {
          await stripe.balance.retrieve()
        } catch {}
      }
      const guideRequests = server.requestCount() - guideBefore

      // One probe while Stripe answers 500: our single request vs the SDK's default retries with backoff.
      server.inject('server-error')
      const outageOurs = createHealth({ checks: [stripeCheck(stripe)], environment: 'bench' })
      let before = server.requestCount()
      let started = performance.now()
      await outageOurs.run()
      const ourOutageMs = performance.now() - started
      const ourOutageRequests = server.requestCount() - before
      before = server.requestCount()
      started = performance.now()
      await stripe.balance.retrieve().catch(() => {})
      const guideOutageMs = performance.now() - started
      const guideOutageRequests = server.requestCount() - before

      return [
        {
          figure: 'Stripe probe storm (1,000 probes over 30 simulated s): Stripe API requests',
          unit: 'requests',
          ours: ourRequests,
          anchor: guideRequests,
          anchorName: "guide's check (one call per probe)",
          higherIsBetter: false,
        },
        {
          figure: 'Stripe answering 500: Stripe API requests per probe',
          unit: 'requests',
          ours: ourOutageRequests,
          anchor: guideOutageRequests,
          anchorName: "guide's check (SDK default retries)",
          higherIsBetter: false,
        },
        {
          figure: 'Stripe answering 500: time to a health answer',
          unit: 'ms',
          ours: ourOutageMs,
          anchor: guideOutageMs,
          anchorName: "guide's check (SDK default retries)",
          higherIsBetter: false,
        },
      ]
    } finally {
      await server.close()
    }
  },
}

export const benches: Bench[] = [deadRedis, stripeProbeStorm]
