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

  it('with nothing configured: embedded database, both processes up, degraded where a service is missing; Ctrl-C stops all', async () => {
    const webPort = await unusedPort()
    const apiPort = await unusedPort()
    const run = runDemo(distDir, {
      PORT: String(webPort),
      API_PORT: String(apiPort),
      DEMO_DATA_DIR: dataDir,
      HEALTH_INTERVAL_MS: '500',
    })
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

      const web = `http://127.0.0.1:${webPort}`
      // The first checks run while both processes start at once: allow the database a moment.
      const health = await eventually(
        () => healthOf(web),
        (h) => h.checks.database?.status === 'ok',
      )
      expect(health).toMatchObject({
        httpStatus: 200,
        status: 'degraded',
        checks: {
          database: { status: 'ok' },
          cache: { status: 'degraded', message: 'Redis not configured' },
          payment: { status: 'degraded', message: 'Stripe not configured' },
        },
      })
      await eventually(
        () => healthOf(`http://127.0.0.1:${apiPort}`),
        (h) => h.checks.database?.status === 'ok',
      )
      expect(await (await fetch(web)).text()).toContain('Mechanical Keyboard')

      // The in-memory cart works; checkout explains why it is off.
      const added = await fetch(`${web}/api/cart`, {
        method: 'POST',
        body: new URLSearchParams({ productId: '1', quantity: '1', action: 'add' }),
        redirect: 'manual',
      })
      const cookie = added.headers.get('set-cookie')!.split(';')[0]!
      const checkout = await (await fetch(`${web}/checkout`, { headers: { cookie } })).text()
      expect(checkout).toContain('Checkout is disabled: Stripe is not configured (set STRIPE_SECRET_KEY).')
    } finally {
      run.kill('SIGINT')
    }
    expect(await run.exited).toBe(0)
    expect(run.output.join('\n')).toContain('demo: stopped')
  }, 300_000)
})
