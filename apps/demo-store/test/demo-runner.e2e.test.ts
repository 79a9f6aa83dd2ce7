import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unusedPort } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APP_DIR } from '../scripts/build-web.js'
import { buildStorefront, eventually, healthOf } from './support/processes.js'

interface Run {
  output: string[]
  exited: Promise<number | null>
  kill(signal: NodeJS.Signals): void
  waitForOutput(text: string, timeoutMs: number): Promise<void>
}

/** `npm run demo` as a user starts it, with only what a fresh machine has: no database, Redis or Stripe. */
function runDemo(distDir: string, env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--conditions=@vivr/source', '--import', 'tsx', 'scripts/demo.ts'], {
    cwd: APP_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NEXT_DIST_DIR: distDir,
      // The build this test file made (a rebuild here would pull files from under other test files' storefronts).
      DEMO_BUILD: 'skip',
      DEMO_ENV_FILE: '/dev/null',
      NODE_ENV: 'production',
      DD_AGENT_HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const listeners = new Set<() => void>()
  const collect = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    for (const listener of listeners) listener()
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    output,
    exited,
    kill: (signal) => child.kill(signal),
    waitForOutput: (text, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!output.some((line) => line.includes(text))) return
          clearTimeout(timer)
          listeners.delete(check)
          resolve()
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`"${text}" not printed within ${timeoutMs} ms:\n${output.slice(-30).join('\n')}`))
        }, timeoutMs)
        listeners.add(check)
        void exited.then(() => setTimeout(check, 100))
        check()
      }),
  }
}

describe('npm run demo', () => {
  let blocker: Server
  let dataDir: string
  let distDir: string

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vivr-demo-data-'))
    blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, resolve))
    distDir = await buildStorefront()
  }, 900_000)

  afterAll(async () => {
    await new Promise<void>((resolve) => blocker.close(() => resolve()))
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('stops at once, naming the port, when the storefront port is taken', async () => {
    const taken = (blocker.address() as { port: number }).port
    const run = runDemo(distDir, {
      PORT: String(taken),
      API_PORT: String(await unusedPort()),
      DEMO_DATA_DIR: dataDir,
    })
    expect(await run.exited).toBe(1)
    expect(run.output.join('\n')).toContain(
      `demo: port ${taken} (storefront) is in use: stop whatever listens there, or set PORT to another port`,
    )
  })

  it('stops naming DATABASE_URL when the database it points at does not answer', async () => {
    const closedPort = await unusedPort()
    const run = runDemo(distDir, {
      PORT: String(await unusedPort()),
      API_PORT: String(await unusedPort()),
      DATABASE_URL: `postgresql://app:hunter2@127.0.0.1:${closedPort}/store`,
    })
    expect(await run.exited).toBe(1)
    const text = run.output.join('\n')
    expect(text).toContain(
      `cannot reach PostgreSQL at DATABASE_URL (postgresql://***@127.0.0.1:${closedPort}/store)`,
    )
    expect(text).not.toContain('hunter2')
  })

  it('with nothing configured: embedded database, both processes up, degraded where a service is missing; a checkout completes offline against the Stripe stand-in, even through Ctrl-C', async () => {
    const webPort = await unusedPort()
    const apiPort = await unusedPort()
    const run = runDemo(distDir, {
      PORT: String(webPort),
      API_PORT: String(apiPort),
      DEMO_DATA_DIR: dataDir,
      HEALTH_INTERVAL_MS: '500',
      // The stand-in answers payments late, so a checkout is still in flight when Ctrl-C arrives (the tour's drill).
      DEMO_STRIPE_DELAY_MS: '1500',
    })
    let inFlight: Promise<Response> | undefined
    try {
      await run.waitForOutput('demo: ready', 180_000)
      const text = run.output.join('\n')
      for (const step of [
        '[1/6] ports',
        '[2/6] prisma client',
        '[3/6] database',
        '[4/6] migrations',
        '[5/6] seed',
        '[6/6] storefront build',
      ]) {
        expect(text).toContain(step)
      }
      expect(text).toContain('embedded PostgreSQL (PGlite)')
      expect(text).toContain('skipped (DEMO_BUILD=skip)')
      expect(text).toContain(`Storefront    http://localhost:${webPort}`)
      expect(text).toContain(`API           http://localhost:${apiPort}/api/health`)
      // No key in the environment: one line says where payments go, and that nothing real is charged.
      expect(text).toMatch(
        /demo: STRIPE_SECRET_KEY not set: payments go to a local Stripe stand-in at http:\/\/127\.0\.0\.1:\d+ \(@vivr\/testkit, no account, no real charges, answering payments 1500 ms late/,
      )
      expect(text).toMatch(/Payments {6}local Stripe stand-in at http:\/\/127\.0\.0\.1:\d+ — no real charges/)
      // The key made up for the run is never printed.
      expect(text).not.toMatch(/sk_test_demo[0-9a-f]/)

      const web = `http://127.0.0.1:${webPort}`
      const api = `http://127.0.0.1:${apiPort}`
      // The first checks run while both processes start at once: allow the database (and Stripe's cached check,
      // if its first run missed its deadline while everything started) a moment.
      const health = await eventually(
        () => healthOf(web),
        (h) => h.checks.database?.status === 'ok' && h.checks.payment?.status === 'ok',
        { timeoutMs: 70_000, intervalMs: 500 },
      )
      expect(health).toMatchObject({
        httpStatus: 200,
        status: 'degraded',
        checks: {
          database: { status: 'ok' },
          cache: { status: 'degraded', message: 'Redis not configured' },
          payment: { status: 'ok' },
        },
      })
      await eventually(
        () => healthOf(api),
        (h) => h.checks.database?.status === 'ok',
      )
      expect(await (await fetch(web)).text()).toContain('Mechanical Keyboard')

      // A newcomer's first order: the in-memory cart, then checkout with the test Visa, paid through the stand-in.
      const addToCart = async () => {
        const added = await fetch(`${web}/api/cart`, {
          method: 'POST',
          body: new URLSearchParams({ productId: '1', quantity: '1', action: 'add' }),
          redirect: 'manual',
        })
        return added.headers.get('set-cookie')!.split(';')[0]!
      }
      const checkOut = (cookie: string, email: string) =>
        fetch(`${web}/api/checkout`, {
          method: 'POST',
          headers: { cookie },
          body: new URLSearchParams({ email, name: 'New Comer', paymentMethod: 'pm_card_visa' }),
          redirect: 'manual',
        })
      const cookie = await addToCart()
      expect(await (await fetch(`${web}/checkout`, { headers: { cookie } })).text()).not.toContain(
        'Checkout is disabled',
      )
      const started = Date.now()
      const checkout = await checkOut(cookie, 'newcomer@example.com')
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500)
      expect(checkout.status).toBe(303)
      const orderId = /\/orders\/([0-9a-f-]{36})$/.exec(checkout.headers.get('location') ?? '')?.[1]
      expect(orderId, `checkout went to ${checkout.headers.get('location')}`).toBeDefined()
      const { order } = (await (await fetch(`${api}/api/admin/orders/${orderId}`)).json()) as {
        order: { status: string; paymentIntentId: string | null; totalCents: number }
      }
      expect(order.status).toBe('paid')
      expect(order.paymentIntentId).toMatch(/^pi_\w+$/)

      // The drill: Ctrl-C while a checkout waits on the (slow) stand-in; the checkout still completes.
      const checkoutsBefore = run.output.filter((line) => line.includes('"Checkout started"')).length
      inFlight = checkOut(await addToCart(), 'drill@example.com')
      await eventually(
        async () => run.output.filter((line) => line.includes('"Checkout started"')).length,
        (n) => n > checkoutsBefore,
        { timeoutMs: 10_000, intervalMs: 50 },
      )
    } finally {
      run.kill('SIGINT')
    }
    const drilled = await inFlight!
    expect(drilled.status).toBe(303)
    expect(drilled.headers.get('location')).toMatch(/\/orders\/[0-9a-f-]{36}$/)
    expect(await run.exited).toBe(0)
    const output = run.output.join('\n')
    expect(output).toContain('demo: stopped')
    expect(output.indexOf('shutting down')).toBeLessThan(output.lastIndexOf('Order created'))
  }, 300_000)
})
