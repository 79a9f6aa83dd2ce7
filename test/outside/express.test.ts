// A new user's Express 5 service, written by following adapter-express's README literally (plus sink-prometheus's
// `/metrics` handler from its README), installed from the packed tarballs into fresh projects outside the
// repository with the README's own `npm install` lines — once as ESM without Sentry (the required lines only:
// `errorHandler({ logger })`), once as CommonJS with the optional Sentry line (`@sentry/node` installed, never
// initialized, no DSN: the error body's requestId must still be the request's id) — and run as a real process. Then a TypeScript project that imports
// every package's main entry and type-checks under `node16` and `bundler` resolution, with the newest TypeScript
// and with 5.x, which is what catches a tarball whose `exports` or `.d.ts` files are broken.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { unusedPort } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  freshProject,
  npmInstallAsync,
  type PackedPackages,
  packAll,
  readmeInstallLines,
} from './support/pack.js'

/** The README's defaults: the lifecycle's drain delay, and the bound on everything after it in this service. */
const DRAIN_DELAY_MS = 5000
const EXIT_AFTER_DRAIN_MS = 3000

/** Stands in for the README's `database`, `cache` and `payment` checks (a client the user already has). */
const CHECKS = `const database = defineCheck({ name: 'database', tags: ['ready'], timeoutMs: 500, run: async () => 'PONG' })
const payment = defineCheck({ name: 'payment', critical: false, cacheTtlMs: 60_000, run: async () => ({ status: 'ok' }) })`

/**
 * adapter-express's usage block, with Prometheus beside Datadog as core's README combines them; with Sentry, the
 * README's `reporter` (the SDK is imported, never initialized: no DSN), without it `errorHandler({ logger })`.
 */
const service = (sentry: boolean) => `const logger = createLogger({ service: 'vivr-api' })
${sentry ? 'const reporter = sentryReporter(Sentry)\n' : ''}const prometheus = prometheusMetrics({ defaultMetrics: true })
const metrics = multiMetrics(datadogMetrics({ service: 'vivr-api' }), prometheus)
${CHECKS}
const health = createHealth({ checks: [database, payment] })
const lifecycle = createLifecycle({ health, logger })
lifecycle.onShutdown('metrics', () => metrics.close())

const app = express()
app.use(observe({ logger, metrics, requestRate: health.requestRate })) // first
app.use(healthRoutes(health)) // GET /health, /health/live, /health/ready
app.get('/metrics', async (req, res) => {
  const response = await prometheus.metricsHandler(new Request(\`http://localhost\${req.url}\`))
  res.status(response.status).type(response.headers.get('content-type')).send(await response.text())
})
app.get('/products/:id', (req, res) => {
  res.json({ id: req.params.id })
})
app.post('/orders', async () => {
  throw new Error('Database connection lost')
})
app.use(errorHandler({ ${sentry ? 'reporter, ' : ''}logger })) // last
`

const ESM_SERVICE = `import express from 'express'
import { createHealth, defineCheck, multiMetrics } from '@vivr/core'
import { createLifecycle, createLogger } from '@vivr/core/node'
import { errorHandler, healthRoutes, observe, serve } from '@vivr/adapter-express'
import { datadogMetrics } from '@vivr/sink-datadog'
import { prometheusMetrics } from '@vivr/sink-prometheus'

${service(false)}
await serve(app, { port: Number(process.env.PORT), lifecycle })
`

const CJS_SERVICE = `const express = require('express')
const { createHealth, defineCheck, multiMetrics } = require('@vivr/core')
const { createLifecycle, createLogger } = require('@vivr/core/node')
const { errorHandler, healthRoutes, observe, serve } = require('@vivr/adapter-express')
const { datadogMetrics } = require('@vivr/sink-datadog')
const { prometheusMetrics } = require('@vivr/sink-prometheus')
const { sentryReporter } = require('@vivr/sink-sentry')
const Sentry = require('@sentry/node')

${service(true)}
serve(app, { port: Number(process.env.PORT), lifecycle }).catch((error) => {
  logger.error('could not listen', error)
  process.exitCode = 1
})
`

/** Imports every package's main entry and uses it as the READMEs do; each package refuses one misuse. */
const PROGRAM = `import { errorHandler, healthRoutes, observe, serve } from '@vivr/adapter-express'
import { createHealthRoute, createReadyRoute, withObservability } from '@vivr/adapter-next'
import { prismaCheck } from '@vivr/checks-prisma'
import { redisCheck } from '@vivr/checks-redis'
import { stripeCheck } from '@vivr/checks-stripe'
import { createHealth, defineCheck, type Health, type MetricSink, multiMetrics } from '@vivr/core'
import { createLifecycle, createLogger } from '@vivr/core/node'
import { cloudwatchLogs, cloudwatchMetrics } from '@vivr/sink-cloudwatch'
import { datadogMetrics } from '@vivr/sink-datadog'
import { prometheusMetrics } from '@vivr/sink-prometheus'
import { sentryReporter } from '@vivr/sink-sentry'
import { memoryLogger, memoryMetrics, memoryReporter } from '@vivr/testkit'
import express from 'express'

const logger = createLogger({ service: 'vivr-api' })
const prometheus = prometheusMetrics({ defaultMetrics: true })
const metrics: MetricSink = multiMetrics(datadogMetrics({ service: 'vivr-api' }), prometheus, cloudwatchMetrics())
const database = defineCheck({ name: 'database', tags: ['ready'], run: async () => 'PONG' })
const cache = redisCheck({
  status: 'ready',
  ping: async () => 'PONG',
  info: async () => '',
  connect: async () => undefined,
  once: () => undefined,
  removeListener: () => undefined,
})
const db = prismaCheck({ $queryRaw: async () => [{ '?column?': 1 }] }, { name: 'orders-db' })
const payment = stripeCheck({ balance: { retrieve: async () => ({}) } }, { critical: false })
const health: Health = createHealth({ checks: [database, cache, db, payment] })
const lifecycle = createLifecycle({ health, logger })
const reporter = sentryReporter({ captureException: () => 'event-id', flush: async () => true })

const app = express()
app.use(observe({ logger, metrics, requestRate: health.requestRate }))
app.use(healthRoutes(health))
app.use(errorHandler({ logger, reporter }))

export const server = serve(app, { port: 3000, lifecycle })
export const GET = createHealthRoute(health)
export const ready = createReadyRoute(health)
export const POST = withObservability(async (request: Request) => Response.json(await request.json()), {
  route: '/api/orders',
})
export const logs = cloudwatchLogs
export const testing = { logger: memoryLogger(), metrics: memoryMetrics(), reporter: memoryReporter() }
export const prometheusText: Promise<string> = prometheus.registry.metrics()

// Were a package's types missing or \`any\`, its directive below would be unused, which is an error.
// @ts-expect-error the port is a number
serve(app, { port: '3000' })
// @ts-expect-error createHealth needs its options
createHealth()
// @ts-expect-error a route handler takes a Health
createHealthRoute('health')
// @ts-expect-error the check needs the client
prismaCheck()
// @ts-expect-error the check needs the client
redisCheck({ status: 'ready' })
// @ts-expect-error the check needs the client
stripeCheck()
// @ts-expect-error the destination needs its options
cloudwatchLogs()
// @ts-expect-error the port is a number
datadogMetrics({ port: 'eight' })
// @ts-expect-error the prefix is a string
prometheusMetrics({ prefix: 1 })
// @ts-expect-error the reporter needs the Sentry namespace
sentryReporter()
// @ts-expect-error memoryMetrics takes no options
memoryMetrics({})
`

const COMPILER_OPTIONS = {
  target: 'es2022',
  strict: true,
  noEmit: true,
  // What a consumer sees of the tarballs' .d.ts files, all of them.
  skipLibCheck: false,
  esModuleInterop: true,
  types: ['node'],
}

interface Service {
  url: string
  child: ChildProcess
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** stdout's JSON lines so far (pino's log lines). */
  logs: Array<Record<string, unknown>>
  stderr: () => string
  installMs: number
  firstEndpointMs: number
}

let packed: PackedPackages | undefined
const dirs: string[] = []
const children: ChildProcess[] = []
let esm: Promise<Service>
let cjs: Promise<Service>
let ts: Promise<string>

/** Resolves within `ms` or rejects naming what it waited for. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function poll<T>(ms: number, what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await attempt()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${what}: not within ${ms} ms${last ? ` (last: ${String(last)})` : ''}`)
}

const get = (url: string, init?: RequestInit) => fetch(url, { ...init, signal: AbortSignal.timeout(5000) })

/** Installs the tarballs and express, starts `file` with node, and waits for its first working endpoint. */
async function expressService(kind: 'esm' | 'cjs'): Promise<Service> {
  if (!packed) throw new Error('not packed')
  const dir = freshProject(`express-${kind}`, kind === 'esm' ? { type: 'module' } : {})
  dirs.push(dir)
  // server.js: ESM through the package's "type": "module", CommonJS without it.
  const file = 'server.js'
  writeFileSync(join(dir, file), kind === 'esm' ? ESM_SERVICE : CJS_SERVICE)
  const { tarballs } = packed
  // The README's install lines (the adapter's, the metric sink's, and for CJS the optional Sentry one) and
  // sink-prometheus's; each @vivr package from its tarball, anything else from the registry as written.
  const names = [
    ...installLine(ADAPTER_README, '@vivr/adapter-express'),
    ...installLine(ADAPTER_README, '@vivr/sink-datadog'),
    ...(kind === 'cjs' ? installLine(ADAPTER_README, '@sentry/node') : []),
    ...installLine('packages/sink-prometheus/README.md', '@vivr/sink-prometheus'),
  ]
  const specs = [...new Set(names)].map((name) => {
    if (!name.startsWith('@vivr/')) return name
    const tarball = tarballs[name]
    if (!tarball) throw new Error(`no tarball for ${name}`)
    return tarball
  })
  const started = performance.now()
  await npmInstallAsync(dir, specs)
  const installMs = performance.now() - started
  const expressVersion = JSON.parse(
    readFileSync(join(dir, 'node_modules/express/package.json'), 'utf8'),
  ).version
  if (!String(expressVersion).startsWith('5.'))
    throw new Error(`the README's express installed ${expressVersion}`)
  const port = await unusedPort()
  // A clean environment, as a user's shell would give: nothing of vitest's or npm's.
  const child = spawn(process.execPath, [file], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      APP_VERSION: '1.4.0',
      PORT: `${port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const logs: Array<Record<string, unknown>> = []
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    const lines = stdout.split('\n')
    stdout = lines.pop() ?? ''
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line))
      } catch {
        logs.push({ unparsed: line })
      }
    }
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': by then stdout has been read to its end.
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
  const url = `http://127.0.0.1:${port}`
  let dead = false
  void exited.then(() => {
    dead = true
  })
  await poll(30_000, `${kind} service's first /health`, async () => {
    if (dead) throw new Error(`the ${kind} service exited: ${stderr}`)
    const response = await get(`${url}/health`)
    return response.status === 200 ? true : undefined
  }).catch((error: Error) => {
    throw new Error(`${error.message}\nstderr: ${stderr}\nstdout: ${JSON.stringify(logs)}`)
  })
  const firstEndpointMs = performance.now() - started
  console.log(
    `[outside/express ${kind}] npm install of the tarballs → first working endpoint: ${(firstEndpointMs / 1000).toFixed(1)} s (install ${(installMs / 1000).toFixed(1)} s)`,
  )
  return { url, child, exited, logs, stderr: () => stderr, installMs, firstEndpointMs }
}

const ADAPTER_README = 'packages/adapter-express/README.md'

/** The words of `readme`'s `npm install` line that installs `name`; throws when the README has none. */
function installLine(readme: string, name: string): string[] {
  const line = readmeInstallLines(readme).find(({ specs }) => specs.includes(name))
  if (!line) throw new Error(`${readme} has no npm install line for ${name}`)
  return line.specs
}

/** Every tarball, the peers npm installs with them, testkit's README line, and two TypeScript majors. */
async function typescriptProject(): Promise<string> {
  if (!packed) throw new Error('not packed')
  const dir = freshProject('typescript')
  dirs.push(dir)
  for (const file of ['check.mts', 'check.cts', 'check.ts']) writeFileSync(join(dir, file), PROGRAM)
  const config = (options: Record<string, unknown>, files: string[]) =>
    `${JSON.stringify({ compilerOptions: { ...COMPILER_OPTIONS, ...options }, files }, null, 2)}\n`
  // node16: .mts resolves the `import` condition, .cts the `require` one.
  writeFileSync(
    join(dir, 'tsconfig.node16.json'),
    config({ module: 'node16', moduleResolution: 'node16' }, ['check.mts', 'check.cts']),
  )
  writeFileSync(
    join(dir, 'tsconfig.bundler.json'),
    config({ module: 'esnext', moduleResolution: 'bundler' }, ['check.ts']),
  )
  await npmInstallAsync(dir, [
    ...Object.values(packed.tarballs),
    'express@5',
    // testkit's README installs vitest beside it (for @vivr/testkit/contracts); playwright-core, an optional peer
    // only @vivr/testkit/browser needs, is left out on purpose: the main entry must type-check without it.
    'vitest',
    'typescript',
    'typescript5@npm:typescript@5',
    '@types/node@20',
    '@types/express@5',
  ])
  return dir
}

function tsc(dir: string, bin: string, project: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(dir, 'node_modules', bin, 'bin', 'tsc'), '-p', project],
      { cwd: dir, encoding: 'utf8', timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({ code, output: `${stdout}${stderr}` })
      },
    )
  })
}

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** The text exposition format's samples (no escaped quotes in our label values). */
function samples(text: string): Sample[] {
  const result: Sample[] = []
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) continue
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g))
      if (key !== undefined && value !== undefined) labels[key] = value
    result.push({ name: match[1] ?? '', labels, value: Number(match[3]) })
  }
  return result
}

beforeAll(() => {
  const started = performance.now()
  packed = packAll()
  console.log(
    `[outside/express] packed ${Object.keys(packed.tarballs).length} packages in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
  esm = expressService('esm')
  cjs = expressService('cjs')
  // After the Express installs, so their install-to-first-endpoint time is not the TypeScript project's.
  ts = Promise.allSettled([esm, cjs]).then(typescriptProject)
  // Each is awaited by its tests; these keep a failure from being an unhandled rejection meanwhile.
  for (const promise of [esm, cjs, ts]) promise.catch(() => undefined)
}, 120_000)

afterAll(async () => {
  await Promise.allSettled([esm, cjs, ts])
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await within(5000, 'a killed service', gone).catch(() => undefined)
    }),
  )
  for (const dir of [...dirs, ...(packed ? [packed.dir] : [])]) rmSync(dir, { recursive: true, force: true })
}, 120_000)

function describeService(kind: 'esm' | 'cjs', ready: () => Promise<Service>) {
  const name = kind === 'esm' ? 'ESM, no reporter' : 'CommonJS, Sentry installed without a DSN'
  describe(`an Express 5 service from the README (${name})`, () => {
    let service: Service
    beforeAll(async () => {
      service = await ready()
    }, 240_000)

    it('counts requests by route template in http_requests_total on /metrics', async () => {
      const requestIds = new Map<string, string | null>()
      for (const id of ['42', '43', '44']) {
        const response = await get(`${service.url}/products/${id}`)
        expect(response.status).toBe(200)
        requestIds.set(id, response.headers.get('x-request-id'))
        expect(await response.json()).toEqual({ id })
      }
      expect((await get(`${service.url}/nowhere/8412`)).status).toBe(404)

      // The request is counted when its response closes, which may come after the client has read it.
      const { contentType, all } = await poll(5000, 'the product requests on /metrics', async () => {
        const response = await get(`${service.url}/metrics`)
        const all = samples(await response.text())
        const products = all.find(
          (s) =>
            s.name === 'http_requests_total' &&
            s.labels.route === '/products/:id' &&
            s.labels.status_code === '200',
        )
        return products?.value === 3 ? { contentType: response.headers.get('content-type'), all } : undefined
      })
      expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/)
      const requests = all.filter((s) => s.name === 'http_requests_total')
      expect(requests).toContainEqual({
        name: 'http_requests_total',
        labels: { method: 'GET', route: '/products/:id', status_code: '200' },
        value: 3,
      })
      expect(requests).toContainEqual({
        name: 'http_requests_total',
        labels: { method: 'GET', route: 'unmatched', status_code: '404' },
        value: 1,
      })
      expect(requests.every((s) => Object.keys(s.labels).sort().join() === 'method,route,status_code')).toBe(
        true,
      )
      expect(requests.some((s) => /\d{2}/.test(s.labels.route ?? ''))).toBe(false)
      expect(all).toContainEqual(
        expect.objectContaining({
          name: 'http_request_duration_seconds_count',
          labels: { method: 'GET', route: '/products/:id', status_code: '200' },
          value: 3,
        }),
      )
      expect(all.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true) // defaultMetrics
      // One access-log line per request, as the README shows it (stdout may reach us after the scrape).
      const accessLog = await poll(5000, 'the access log line', async () =>
        service.logs.find((line) => line.message === 'request completed' && line.path === '/products/43'),
      )
      expect(accessLog).toEqual(
        expect.objectContaining({
          level: 'INFO',
          service: 'vivr-api',
          method: 'GET',
          route: '/products/:id',
          statusCode: 200,
          duration: expect.any(Number),
          requestId: requestIds.get('43'),
        }),
      )
    })

    it("answers a thrown error with { error, requestId } and the request's x-request-id", async () => {
      const own = await get(`${service.url}/orders`, {
        method: 'POST',
        headers: { 'x-request-id': 'order-7f3a' },
      })
      expect(own.status).toBe(500)
      expect(own.headers.get('x-request-id')).toBe('order-7f3a')
      expect(await own.json()).toEqual({ error: 'Internal Server Error', requestId: 'order-7f3a' })

      const made = await get(`${service.url}/orders`, { method: 'POST' })
      const requestId = made.headers.get('x-request-id')
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
      expect(await made.json()).toEqual({ error: 'Internal Server Error', requestId })

      const logged = await poll(5000, 'the error log line', async () =>
        service.logs.find((line) => line.level === 'ERROR' && line.requestId === 'order-7f3a'),
      )
      expect(logged).toMatchObject({ error: { name: 'Error', message: 'Database connection lost' } })
      if (kind === 'cjs') {
        // Sentry made an event id: it is in the log line, and neither in the body nor the header.
        expect(logged.eventId).toMatch(/^[0-9a-f]{32}$/)
        expect(logged.eventId).not.toBe('order-7f3a')
      } else expect(logged).not.toHaveProperty('eventId')
      await poll(5000, 'the 500s on /metrics', async () => {
        const all = samples(await (await get(`${service.url}/metrics`)).text())
        const failed = all.find(
          (s) =>
            s.name === 'http_requests_total' &&
            s.labels.route === '/orders' &&
            s.labels.status_code === '500',
        )
        const errors = all.find((s) => s.name === 'errors_total')
        return failed?.value === 2 && errors?.value === 2 ? true : undefined
      })
    })

    it('answers /health, /health/live and /health/ready with the documented shapes', async () => {
      const full = await get(`${service.url}/health`)
      expect(full.status).toBe(200)
      expect(full.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate')
      expect(full.headers.get('content-type')).toMatch(/^application\/json/)
      const body = await full.json()
      expect(body).toEqual({
        status: 'healthy',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        uptime: expect.any(Number),
        environment: 'production',
        version: '1.4.0',
        checks: {
          database: { status: 'ok', latency: expect.any(Number) },
          payment: { status: 'ok', latency: expect.any(Number) },
        },
        metrics: {
          memoryUsage: expect.any(Number),
          cpuUsage: expect.any(Number),
          requestsPerSecond: expect.any(Number),
        },
      })
      expect(body.metrics.requestsPerSecond).toBeGreaterThan(0)

      const live = await get(`${service.url}/health/live`)
      expect(live.status).toBe(200)
      expect(await live.json()).toMatchObject({ status: 'healthy', checks: {} })

      const ready = await get(`${service.url}/health/ready`)
      expect(ready.status).toBe(200)
      const readyBody = await ready.json()
      expect(readyBody).toMatchObject({ status: 'healthy', checks: { database: { status: 'ok' } } })
      expect(Object.keys(readyBody.checks)).toEqual(['database'])

      const ietf = await get(`${service.url}/health`, { headers: { accept: 'application/health+json' } })
      expect(ietf.headers.get('content-type')).toMatch(/^application\/health\+json/)
      expect(await ietf.json()).toMatchObject({
        status: 'pass',
        checks: { 'database:responseTime': expect.any(Array) },
      })
    })

    it('on SIGTERM fails readiness during the drain delay, then exits 0', async () => {
      const signalled = performance.now()
      service.child.kill('SIGTERM')
      const notReady = await poll(2000, 'readiness 503 after SIGTERM', async () => {
        const response = await get(`${service.url}/health/ready`)
        return response.status === 503 ? response : undefined
      })
      expect(await notReady.json()).toMatchObject({ status: 'unhealthy', message: 'shutting down' })
      expect((await get(`${service.url}/health/live`)).status).toBe(200)

      const { code, signal } = await within(
        DRAIN_DELAY_MS + EXIT_AFTER_DRAIN_MS,
        'exit after SIGTERM',
        service.exited,
      )
      const elapsed = performance.now() - signalled
      expect({ code, signal, stderr: service.stderr() }).toEqual({ code: 0, signal: null, stderr: '' })
      expect(elapsed).toBeGreaterThanOrEqual(DRAIN_DELAY_MS - 100)
      expect(service.logs.map((line) => line.message)).toContain('shutdown complete')
    }, 20_000)
  })
}

describeService('esm', () => esm)
describeService('cjs', () => cjs)

describe('a TypeScript project importing every package', () => {
  const runs = [
    ['typescript', 'node16'],
    ['typescript', 'bundler'],
    ['typescript5', 'node16'],
    ['typescript5', 'bundler'],
  ] as const
  let results: Array<{ code: number; output: string }>
  beforeAll(async () => {
    const dir = await ts
    results = await Promise.all(runs.map(([bin, resolution]) => tsc(dir, bin, `tsconfig.${resolution}.json`)))
  }, 420_000)

  it.each(runs.map((run, index) => [...run, index] as const))(
    '%s type-checks it with moduleResolution %s',
    (_bin, _resolution, index) => {
      expect(results[index]).toEqual({ code: 0, output: '' })
    },
  )
})
