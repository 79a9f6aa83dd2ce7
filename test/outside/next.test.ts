// A new user's Next.js 16 app, written by following adapter-next's README (and sink-prometheus's for /api/metrics)
// literally, installed from the packed tarballs in a fresh project outside the repository, then built twice — with
// `next build` (Turbopack, Next.js 16's default) and with `next build --webpack` — each run with `next start`.
// What it proves: one health / one metrics registry per process whichever bundler built it, the
// README's code builds and type-checks, Sentry and the other sinks are not needed, and SIGTERM drains and exits 0.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { unusedPort } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshProject, npmInstall, packAll, REPO } from './support/pack.js'

// The app, file by file, as the README shows it (the inventory URL is this test's loopback server).
const APP: Record<string, string> = {
  'lib/health.ts': `import { perProcess } from '@vivr/adapter-next'
import { createHealth } from '@vivr/core'

export const health = perProcess('health', () =>
  createHealth({
    checks: [
      {
        name: 'inventory',
        tags: ['ready'],
        run: async ({ signal }) => fetch(\`\${process.env.INVENTORY_URL}/health\`, { signal }),
      },
    ],
  }),
)
`,
  'lib/metrics.ts': `import { perProcess } from '@vivr/adapter-next'
import { prometheusMetrics } from '@vivr/sink-prometheus'

export const metrics = perProcess('metrics', () => prometheusMetrics({ defaultMetrics: true }))
`,
  'instrumentation.ts': `import { registerObservability } from '@vivr/adapter-next'
import { health } from './lib/health'

export const { register, onRequestError } = registerObservability({
  service: 'outside-web',
  requestRate: health.requestRate,
  metrics: async () => (await import('./lib/metrics')).metrics,
  shutdown: { health },
  countRequests: true,
})
`,
  'app/api/health/route.ts': healthRoute('createHealthRoute', '../../../lib/health'),
  'app/api/health/live/route.ts': healthRoute('createLiveRoute', '../../../../lib/health'),
  'app/api/health/ready/route.ts': healthRoute('createReadyRoute', '../../../../lib/health'),
  'app/api/orders/route.ts': `import { withObservability } from '@vivr/adapter-next'

export const POST = withObservability(
  async (request: Request) => Response.json({ received: await request.json() }, { status: 201 }),
  { route: '/api/orders' },
)
`,
  'app/api/metrics/route.ts': `import { metrics } from '@/lib/metrics'

export const GET = metrics.metricsHandler
export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'
`,
  // What create-next-app writes (the README's '@/lib/...' imports need its paths alias).
  'tsconfig.json': `${JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        lib: ['dom', 'dom.iterable', 'esnext'],
        skipLibCheck: true,
        strict: true,
        noEmit: true,
        esModuleInterop: true,
        module: 'esnext',
        moduleResolution: 'bundler',
        resolveJsonModule: true,
        isolatedModules: true,
        jsx: 'react-jsx',
        incremental: true,
        plugins: [{ name: 'next' }],
        paths: { '@/*': ['./*'] },
      },
      include: ['next-env.d.ts', '**/*.ts', '**/*.tsx', '.next/types/**/*.ts'],
      exclude: ['node_modules'],
    },
    null,
    2,
  )}\n`,
}

function healthRoute(factory: string, from: string): string {
  return `import { ${factory} } from '@vivr/adapter-next'
import { health } from '${from}'

export const { GET } = ${factory}(health)
export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'
`
}

// The test runner's NODE_ENV=test must not reach `next build` or the server.
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' }
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/**
 * The start script adapter-next's README shows (`{ "scripts": { "start": "NAME=value next start …" } }`), read from
 * the README: its environment and `next start`'s arguments, so the app starts exactly as a user copies it.
 */
function readmeStartScript(): { script: string; env: Record<string, string>; args: string[] } {
  const readme = readFileSync(join(REPO, 'packages/adapter-next/README.md'), 'utf8')
  for (const [, block] of readme.matchAll(/^```json\n([\s\S]*?)^```$/gm)) {
    let script: unknown
    try {
      script = JSON.parse(block ?? '')?.scripts?.start
    } catch {
      continue
    }
    if (typeof script !== 'string') continue
    const words = script.trim().split(/\s+/)
    const env: Record<string, string> = {}
    for (let word = words[0]; word && /^[A-Z_][A-Z0-9_]*=/.test(word); word = words[0]) {
      words.shift()
      const at = word.indexOf('=')
      env[word.slice(0, at)] = word.slice(at + 1)
    }
    if (words[0] !== 'next' || words[1] !== 'start')
      throw new Error(`unexpected README start script: ${script}`)
    return { script, env, args: words.slice(2) }
  }
  throw new Error('packages/adapter-next/README.md shows no start script')
}
const START = readmeStartScript()

// One install of the tarballs, shared by the builds below (each bundler builds the same project in turn).
let dir: string
let tarballDir: string
let inventory: Server
let installStarted = 0
let installed = 0

beforeAll(async () => {
  inventory = createServer((_request, response) => response.end('ok'))
  await new Promise<void>((resolve) => inventory.listen(0, '127.0.0.1', resolve))
  const { dir: packed, tarballs } = packAll()
  tarballDir = packed
  dir = freshProject('next-app', { scripts: { start: START.script } })
  for (const [file, text] of Object.entries(APP)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    writeFileSync(join(dir, file), text)
  }
  installStarted = performance.now()
  const ours = ['@vivr/core', '@vivr/adapter-next', '@vivr/sink-prometheus'].map((name) => {
    const tarball = tarballs[name]
    if (!tarball) throw new Error(`no tarball for ${name}`)
    return tarball
  })
  npmInstall(dir, [
    ...ours,
    'next@16.4.6',
    '@opentelemetry/api@1.10.0',
    'react@19.3.1',
    'react-dom@19.3.1',
    'typescript@5.9',
    '@types/react@19',
    '@types/node@20',
  ])
  installed = performance.now()
}, 300_000)

afterAll(async () => {
  await new Promise<void>((resolve) => inventory?.close(() => resolve()) ?? resolve())
  // A built Next.js project is a few hundred MB: leave nothing behind in the temp folder.
  for (const path of [dir, tarballDir]) if (path) rmSync(path, { recursive: true, force: true })
})

/** `next build` with Next.js 16's default bundler (Turbopack) or with `--webpack`: perProcess must hold under both. */
function describeBuild(bundler: 'turbopack' | 'webpack') {
  const command = bundler === 'webpack' ? 'next build --webpack' : 'next build'
  describe(`outside user: a Next.js 16 app from the READMEs, installed from the tarballs (${command})`, {
    timeout: 60_000,
  }, () => {
    let child: ChildProcess | undefined
    let exited: Promise<number | null>
    let base: string
    let output = ''
    const logs: Array<Record<string, unknown>> = []

    beforeAll(async () => {
      const buildStarted = performance.now()
      const nextBin = join(dir, 'node_modules', 'next', 'dist', 'bin', 'next')
      rmSync(join(dir, '.next'), { recursive: true, force: true })
      try {
        execFileSync(process.execPath, [nextBin, 'build', ...(bundler === 'webpack' ? ['--webpack'] : [])], {
          cwd: dir,
          env,
          stdio: 'pipe',
          timeout: 240_000,
        })
      } catch (error) {
        const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer }
        throw new Error(`${command} failed:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`)
      }
      const built = performance.now()

      const port = await unusedPort()
      base = `http://127.0.0.1:${port}`
      // As the README's start script (NEXT_MANUAL_SIG_HANDLE leaves SIGTERM to the adapter's shutdown).
      child = spawn(
        process.execPath,
        [nextBin, 'start', ...START.args, '-p', String(port), '-H', '127.0.0.1'],
        {
          cwd: dir,
          env: {
            ...env,
            ...START.env,
            INVENTORY_URL: `http://127.0.0.1:${(inventory.address() as AddressInfo).port}`,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
      const started = child
      exited = new Promise((resolve) => started.once('exit', (code) => resolve(code)))
      let buffered = ''
      started.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk
      })
      started.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk
        buffered += chunk
        const lines = buffered.split('\n')
        buffered = lines.pop() ?? ''
        for (const line of lines) if (line.startsWith('{')) logs.push(JSON.parse(line))
      })
      const deadline = Date.now() + 30_000
      for (;;) {
        if (started.exitCode !== null)
          throw new Error(`next start exited with ${started.exitCode}:\n${output}`)
        const live = await fetch(`${base}/api/health/live`).catch(() => undefined)
        if (live?.ok) break
        if (Date.now() > deadline) throw new Error(`next start did not answer within 30 s:\n${output}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      const now = performance.now()
      // The first build is what a new user waits for after the install; the second reuses that install.
      const fromInstall =
        bundler === 'turbopack'
          ? `install of the tarballs to the first working endpoint ${seconds(now - installStarted)} (npm install ${seconds(installed - installStarted)}, `
          : '('
      console.log(
        `outside Next.js (${command}): ${fromInstall}${command} ${seconds(built - buildStarted)},` +
          ` next start ${seconds(now - built)})`,
      )
    }, 360_000)

    afterAll(async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await exited
      }
    })

    it('needs neither Sentry nor any other sink: none was installed', () => {
      for (const name of ['@vivr/sink-sentry', '@sentry/nextjs', '@sentry/node', '@vivr/sink-datadog']) {
        expect(existsSync(join(dir, 'node_modules', name)), name).toBe(false)
      }
    })

    it('answers the health endpoints', async () => {
      const health = await fetch(`${base}/api/health`)
      expect(health.status).toBe(200)
      expect(await health.json()).toMatchObject({
        status: 'healthy',
        checks: { inventory: { status: 'ok' } },
      })
      const ready = await fetch(`${base}/api/health/ready`)
      expect([ready.status, Object.keys((await ready.json()).checks)]).toEqual([200, ['inventory']])
      const live = await fetch(`${base}/api/health/live`)
      expect([live.status, (await live.json()).checks]).toEqual([200, {}])
    })

    it("counts a route handler's requests in /api/health's requestsPerSecond and in /api/metrics", async () => {
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${base}/api/orders`, {
          method: 'POST',
          body: JSON.stringify({ sku: `sku-${i}` }),
          headers: { 'content-type': 'application/json', 'x-request-id': `outside-${i}` },
        })
        expect(response.status).toBe(201)
        expect(response.headers.get('x-request-id')).toBe(`outside-${i}`)
      }
      // instrumentation.ts and the health route were bundled apart: one meter only if `perProcess` held.
      await expect
        .poll(async () => (await (await fetch(`${base}/api/health`)).json()).metrics?.requestsPerSecond, {
          timeout: 10_000,
        })
        .toBeGreaterThan(0)

      const scrape = await fetch(`${base}/api/metrics`)
      expect(scrape.status).toBe(200)
      const text = await scrape.text()
      const series = (name: string) =>
        text.split('\n').filter((line) => line.startsWith(name) && line.includes('route="/api/orders"'))
      const requests = series('http_requests_total{')
      expect(requests.join('\n')).toContain('status_code="201"')
      expect(
        Number(
          requests
            .find((line) => line.includes('method="POST"'))
            ?.split(' ')
            .pop(),
        ),
      ).toBe(5)
      expect(series('http_request_duration_seconds_count{').length).toBeGreaterThan(0)
      expect(text).toContain('process_cpu_user_seconds_total')
    })

    it('counts what no route handler answers too (countRequests), with the same labels', async () => {
      expect((await fetch(`${base}/no-such-page`)).status).toBe(404)
      const notFound =
        /^http_requests_total\{(?=[^}]*method="GET")(?=[^}]*route="unmatched")(?=[^}]*status_code="404")[^}]*\} 1$/m
      await expect
        .poll(async () => notFound.test(await (await fetch(`${base}/api/metrics`)).text()), {
          timeout: 10_000,
        })
        .toBe(true)
    })

    it('on SIGTERM fails readiness during the drain, flushes and exits 0', { timeout: 30_000 }, async () => {
      const running = child
      if (!running) throw new Error('no server')
      running.kill('SIGTERM')
      // The README's drain delay is core's default, 5 s: readiness answers 503 while the server still serves.
      await expect
        .poll(async () => (await fetch(`${base}/api/health/ready`).catch(() => undefined))?.status, {
          timeout: 4000,
        })
        .toBe(503)
      const bounded = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), 20_000).unref(),
      )
      expect(await Promise.race([exited, bounded])).toBe(0)
      expect(logs.map((line) => line.message)).toEqual(
        expect.arrayContaining(['shutting down', 'shutdown complete']),
      )
    })
  })
}

describeBuild('turbopack')
describeBuild('webpack')
