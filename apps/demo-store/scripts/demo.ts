/**
 * `npm run demo`: everything the store needs, in order, then both processes.
 *
 *   ports → Prisma client → database (yours, or an embedded PostgreSQL) → migrations → seed → storefront build
 *   → storefront (Next.js) + API (Express) → URLs
 *
 * Each step says what it did; a step that cannot succeed stops the run with a message naming what is missing.
 * Without STRIPE_SECRET_KEY, payments go to @vivr/testkit's loopback Stripe API on 127.0.0.1 (a stand-in: no
 * account, no real charges), so a checkout completes offline.
 * Ctrl-C (or SIGTERM) stops both processes gracefully, then the Stripe stand-in and the embedded database.
 *
 * `npm run demo -- --instances N` (or DEMO_INSTANCES=N): a small fleet
 * instead — N storefronts and N APIs on free loopback ports behind a real HAProxy (Debian's `haproxy`) listening
 * on PORT and API_PORT, health-checking each instance's readiness. SIGHUP to the runner restarts every instance,
 * one at a time (the drill of test/fleet/fleet.test.ts, by hand).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, relative } from 'node:path'
import { scrubSecrets } from '@vivr/core'
import { type StripeServer, startStripeServer, unusedPort } from '@vivr/testkit'
import pg from 'pg'
import { type EmbeddedPostgres, serveEmbeddedPostgres } from '../src/db/embedded-postgres.js'
import { migrate, pgConnection, pgliteConnection, type SqlConnection } from '../src/db/migrate.js'
import { seed } from '../src/db/seed.js'
import { APP_DIR, ensureWebBuild, NEXT_BIN } from './build-web.js'
import { generateClient } from './generate-client.mjs'
import { type Haproxy, startHaproxy } from './haproxy.js'

class SetupError extends Error {}

const TOTAL_STEPS = 6
let step = 0
const say = (line: string) => process.stdout.write(`${line}\n`)
const begin = (title: string) => {
  step++
  process.stdout.write(`demo: [${step}/${TOTAL_STEPS}] ${title.padEnd(16, ' ')} `)
}
const done = (result: string) => say(result)
const REPO_DIR = join(APP_DIR, '../..')
/** A path as the person who typed `npm run demo` at the repository root sees it. */
const shown = (path: string) => (path.startsWith(REPO_DIR) ? relative(REPO_DIR, path) : path)
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`

function loadDotEnv() {
  const file = process.env.DEMO_ENV_FILE ?? join(APP_DIR, '.env')
  // Variables already set in the environment win over the file, as with Next.js.
  if (existsSync(file)) process.loadEnvFile(file)
}

function portNumber(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new SetupError(`${name}="${raw}" is not a port number`)
  return port
}

async function assertPortFree(port: number, variable: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new SetupError(
          error.code === 'EADDRINUSE'
            ? `port ${port} (${what}) is in use: stop whatever listens there, or set ${variable} to another port`
            : `cannot listen on port ${port} (${what}): ${error.message}`,
        ),
      )
    })
    server.listen(port, () => server.close(() => resolve()))
  })
}

/**
 * `--instances N`, else DEMO_INSTANCES. From the repository root, `npm run demo -- --instances 2` reaches this
 * script through a second `npm run`, which keeps `--instances` as its own config (npm_config_instances=true) and
 * passes the number on as an argument.
 */
function instanceCount(): number {
  const args = process.argv.slice(2)
  const flag = args.indexOf('--instances')
  let raw = flag >= 0 ? args[flag + 1] : process.env.DEMO_INSTANCES
  const npmFlag = process.env.npm_config_instances
  if (raw === undefined && npmFlag) raw = npmFlag === 'true' ? args.find((arg) => /^\d+$/.test(arg)) : npmFlag
  if (raw === undefined || raw === '') return 1
  const count = Number(raw)
  if (!Number.isInteger(count) || count < 1 || count > 8)
    throw new SetupError(`--instances / DEMO_INSTANCES="${raw}": expected a whole number from 1 to 8`)
  return count
}

interface Database {
  url: string
  describe: string
  embedded?: { server: EmbeddedPostgres; close(): Promise<void> }
}

async function prepareDatabase(): Promise<Database> {
  const { PrismaClient } = await import('../src/generated/prisma/client.js')
  const external = process.env.DATABASE_URL
  if (external) {
    const where = scrubSecrets(external)
    const client = new pg.Client({ connectionString: external, connectionTimeoutMillis: 5000 })
    try {
      await client.connect()
    } catch (error) {
      throw new SetupError(
        `cannot reach PostgreSQL at DATABASE_URL (${where}): ${scrubSecrets(error instanceof Error ? error.message : String(error))}. Start it, fix DATABASE_URL, or unset it to use the embedded database.`,
      )
    }
    done(`PostgreSQL at ${where}`)
    try {
      await runMigrations(pgConnection(client))
    } finally {
      await client.end()
    }
    const { PrismaPg } = await import('@prisma/adapter-pg')
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: external }) })
    try {
      await runSeed(prisma)
    } finally {
      await prisma.$disconnect()
    }
    return { url: external, describe: where }
  }

  const dataDir = process.env.DEMO_DATA_DIR ?? join(APP_DIR, 'data/pglite')
  mkdirSync(dataDir, { recursive: true })
  const { openPGlite, pgliteAdapter } = await import('../src/db/pglite.js')
  const started = Date.now()
  let db: Awaited<ReturnType<typeof openPGlite>>
  try {
    db = await openPGlite(dataDir)
  } catch (error) {
    throw new SetupError(
      `cannot open the embedded database in ${shown(dataDir)}: ${error instanceof Error ? error.message : error}. Is another demo running? Delete the folder to start over.`,
    )
  }
  const port = portNumber('EMBEDDED_DB_PORT', 0)
  if (port !== 0) await assertPortFree(port, 'EMBEDDED_DB_PORT', 'embedded PostgreSQL')
  done(`embedded PostgreSQL (PGlite) in ${shown(dataDir)} (${seconds(started)})`)
  await runMigrations(pgliteConnection(db))
  const prisma = new PrismaClient({ adapter: pgliteAdapter(db) })
  await runSeed(prisma)
  await prisma.$disconnect()
  // The storefront and the API are two processes: they share the embedded database over the wire protocol.
  const server = await serveEmbeddedPostgres(db, { port })
  return {
    url: server.url,
    describe: `embedded, ${server.url}`,
    embedded: {
      server,
      close: async () => {
        await server.close()
        await db.close()
      },
    },
  }
}

interface Payments {
  /** What the storefront and the API get on top of this process's environment. */
  env: Record<string, string>
  describe: string
  standIn?: StripeServer
}

/**
 * Stripe itself with a key; without one, the kit's loopback Stripe API (PaymentIntents with Stripe's test payment
 * methods, the balance the health check reads) under a key made up for this run, so checkout works offline.
 */
async function preparePayments(): Promise<Payments> {
  if (process.env.STRIPE_SECRET_KEY) {
    return {
      env: {},
      describe: `Stripe${process.env.STRIPE_API_BASE ? ` at ${process.env.STRIPE_API_BASE}` : ''}`,
    }
  }
  const raw = process.env.DEMO_STRIPE_DELAY_MS
  const delayMs = raw === undefined || raw === '' ? 0 : Number(raw)
  if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > 60_000)
    throw new SetupError(`DEMO_STRIPE_DELAY_MS="${raw}": expected milliseconds from 0 to 60000`)
  const key = `sk_test_demo${randomBytes(12).toString('hex')}`
  const standIn = await startStripeServer({ apiKeys: [key], paymentIntentsDelayMs: delayMs })
  const delay = delayMs > 0 ? `, answering payments ${delayMs} ms late (DEMO_STRIPE_DELAY_MS)` : ''
  say(
    `demo: STRIPE_SECRET_KEY not set: payments go to a local Stripe stand-in at ${standIn.apiBase} (@vivr/testkit, no account, no real charges${delay}); set STRIPE_SECRET_KEY for Stripe's test mode`,
  )
  return {
    env: { STRIPE_SECRET_KEY: key, STRIPE_API_BASE: standIn.apiBase },
    describe: `local Stripe stand-in at ${standIn.apiBase} — no real charges; set STRIPE_SECRET_KEY for Stripe`,
    standIn,
  }
}

async function runMigrations(connection: SqlConnection) {
  begin('migrations')
  const result = await migrate(connection)
  done(
    result.applied.length > 0
      ? `applied ${result.applied.join(', ')}${result.alreadyApplied ? ` (${result.alreadyApplied} already applied)` : ''}`
      : `up to date (${result.alreadyApplied} applied)`,
  )
}

async function runSeed(prisma: Parameters<typeof seed>[0]) {
  begin('seed')
  const started = Date.now()
  const count = await seed(prisma)
  done(`${count} products (${seconds(started)})`)
}

interface Child {
  name: string
  process: ChildProcess
  tail: string[]
  exited: Promise<number | null>
}

function start(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, args, {
    cwd: APP_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C reaches the runner only, which stops the children in order.
    detached: true,
  })
  const tail: string[] = []
  const forward = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
    stream.write(chunk)
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue
      tail.push(line)
      if (tail.length > 30) tail.shift()
    }
  }
  child.stdout?.on('data', forward(process.stdout))
  child.stderr?.on('data', forward(process.stderr))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { name, process: child, tail, exited }
}

async function waitUntilLive(child: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let exited = false
  void child.exited.then(() => {
    exited = true
  })
  while (Date.now() < deadline) {
    if (exited) {
      throw new SetupError(`${child.name} exited during startup:\n  ${child.tail.slice(-15).join('\n  ')}`)
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      if (response.ok) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new SetupError(`${child.name} did not answer ${url} within ${timeoutMs / 1000} s`)
}

async function main(): Promise<number> {
  loadDotEnv()
  say('demo: VIVR demo store — storefront (Next.js) + API (Express), instrumented with the @vivr kit')

  begin('ports')
  const webPort = portNumber('PORT', 3000)
  const apiPort = portNumber('API_PORT', 4000)
  await assertPortFree(webPort, 'PORT', 'storefront')
  await assertPortFree(apiPort, 'API_PORT', 'API')
  done(`${webPort} (storefront) and ${apiPort} (API) are free`)

  begin('prisma client')
  const started = Date.now()
  done(`${generateClient()} (${seconds(started)})`)

  begin('database')
  const database = await prepareDatabase()

  begin('storefront build')
  const distDir = process.env.NEXT_DIST_DIR ?? '.next'
  const buildMode = process.env.DEMO_BUILD ?? 'auto'
  if (buildMode !== 'auto' && buildMode !== 'skip') {
    throw new SetupError(`DEMO_BUILD="${buildMode}": expected auto (build when the sources changed) or skip`)
  }
  if (buildMode === 'skip') {
    if (!existsSync(join(APP_DIR, distDir, 'BUILD_ID'))) {
      throw new SetupError(
        `DEMO_BUILD=skip, but ${shown(join(APP_DIR, distDir))} holds no build: unset DEMO_BUILD`,
      )
    }
    done(`skipped (DEMO_BUILD=skip): using ${shown(join(APP_DIR, distDir))}`)
  } else {
    let announced = false
    const build = await ensureWebBuild({
      distDir,
      onLine: (line) => {
        if (!announced) {
          announced = true
          say('building (next build, a minute or two the first time)…')
        }
        say(`  │ ${line}`)
      },
    })
    if (build.built) say(`demo: storefront built in ${build.seconds} s`)
    else done(`up to date (${shown(join(APP_DIR, distDir))})`)
  }

  const payments = await preparePayments()
  const webUrl = process.env.WEB_URL ?? `http://localhost:${webPort}`
  const apiUrl = process.env.API_URL ?? `http://localhost:${apiPort}`
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: process.env.NODE_ENV ?? 'production',
    DATABASE_URL: database.url,
    PORT: String(webPort),
    API_PORT: String(apiPort),
    WEB_URL: webUrl,
    API_URL: apiUrl,
    NEXT_DIST_DIR: distDir,
    NEXT_TELEMETRY_DISABLED: '1',
    // The store's lifecycle handles SIGTERM/SIGINT (drain, flush, exit 0) instead of Next.js's own handler.
    NEXT_MANUAL_SIG_HANDLE: 'true',
    SHUTDOWN_DRAIN_MS: process.env.SHUTDOWN_DRAIN_MS ?? '1000',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...payments.env,
  }
  const instances = instanceCount()
  const webArgs = (port: number) => [
    NEXT_BIN,
    'start',
    '--port',
    String(port),
    ...(instances > 1 ? ['--hostname', '127.0.0.1', '--keepAliveTimeout', '65000'] : []),
  ]
  const apiArgs = ['--conditions=@vivr/source', '--import', 'tsx', 'src/api-server/main.ts']
  /** One storefront and one API per instance: behind HAProxy on free ports, or alone on PORT and API_PORT. */
  const specs: Array<{ name: string; backend: 'web' | 'api'; port: number }> = []
  for (let i = 1; i <= instances; i++) {
    const suffix = instances > 1 ? `-${i}` : ''
    specs.push({
      name: `storefront${suffix}`,
      backend: 'web',
      port: instances > 1 ? await unusedPort() : webPort,
    })
  }
  for (let i = 1; i <= instances; i++) {
    const suffix = instances > 1 ? `-${i}` : ''
    specs.push({ name: `api${suffix}`, backend: 'api', port: instances > 1 ? await unusedPort() : apiPort })
  }
  const launch = (spec: (typeof specs)[number]) =>
    spec.backend === 'web'
      ? start(spec.name, webArgs(spec.port), env)
      : start(spec.name, apiArgs, { ...env, API_PORT: String(spec.port) })
  say(
    instances > 1
      ? `demo: starting ${instances} storefronts and ${instances} APIs behind HAProxy…`
      : 'demo: starting the storefront and the API…',
  )
  const children = specs.map(launch)
  let haproxy: Haproxy | undefined
  const restarting = new Set<Child>()

  let stopping: Promise<number> | undefined
  const stop = (reason: string, code: number) => {
    stopping ??= (async () => {
      say(`demo: stopping (${reason})…`)
      for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGTERM')
      const codes = await Promise.all(
        children.map((child) =>
          Promise.race([
            child.exited,
            new Promise<number>((resolve) =>
              setTimeout(() => {
                child.process.kill('SIGKILL')
                resolve(1)
              }, 40_000).unref(),
            ),
          ]),
        ),
      )
      await haproxy?.close()
      await payments.standIn?.close()
      await database.embedded?.close()
      const failed = codes.some((c) => c !== 0)
      say(failed ? `demo: stopped (exit codes ${codes.join(', ')})` : 'demo: stopped')
      return failed ? Math.max(code, 1) : code
    })()
    return stopping
  }
  process.once('SIGINT', () => void stop('SIGINT', 0).then((code) => process.exit(code)))
  process.once('SIGTERM', () => void stop('SIGTERM', 0).then((code) => process.exit(code)))
  process.once('exit', () => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL')
  })

  try {
    await Promise.all(
      specs.map((spec, index) =>
        waitUntilLive(
          children[index]!,
          `http://127.0.0.1:${spec.port}/api/health/live`,
          spec.backend === 'web' ? 120_000 : 60_000,
        ),
      ),
    )
    if (instances > 1) {
      haproxy = await startHaproxy(
        (['web', 'api'] as const).map((backend) => ({
          name: backend,
          readyPath: '/api/health/ready',
          servers: specs.filter((spec) => spec.backend === backend).map(({ name, port }) => ({ name, port })),
        })),
        { frontends: { web: webPort, api: apiPort } },
      )
    }
  } catch (error) {
    await stop('startup failed', 1)
    throw error instanceof Error && !(error instanceof SetupError) ? new SetupError(error.message) : error
  }

  // SIGHUP: every instance restarted in turn, each one drained (SIGTERM) and back in HAProxy before the next.
  let rolling: Promise<void> | undefined
  process.on('SIGHUP', () => {
    if (!haproxy || rolling || stopping) return
    const lb = haproxy
    rolling = (async () => {
      say('demo: rolling restart (SIGHUP)…')
      for (const [index, spec] of specs.entries()) {
        if (stopping) return
        const old = children[index]!
        restarting.add(old)
        const signalled = Date.now()
        old.process.kill('SIGTERM')
        const code = await old.exited
        say(`demo: ${spec.name} exited with code ${code} after ${Date.now() - signalled} ms`)
        const next = launch(spec)
        children[index] = next
        watch(next)
        await waitUntilLive(next, `http://127.0.0.1:${spec.port}/api/health/live`, 120_000)
        await lb.waitFor(spec.backend, spec.name, 'UP', 60_000)
        say(`demo: ${spec.name} is back in HAProxy`)
      }
      say('demo: rolling restart done')
    })()
      .catch((error: unknown) => {
        say(`demo: rolling restart failed: ${error instanceof Error ? error.message : error}`)
      })
      .finally(() => {
        rolling = undefined
      })
  })

  const cache = process.env.REDIS_URL
    ? 'Redis (REDIS_URL)'
    : 'in memory — REDIS_URL not set, health reports cache degraded'
  const cloudwatch =
    process.env.AWS_REGION && process.env.CLOUDWATCH_LOG_GROUP
      ? `CloudWatch Logs ${process.env.CLOUDWATCH_LOG_GROUP}`
      : 'stdout only — set AWS_REGION and CLOUDWATCH_LOG_GROUP for CloudWatch'
  say('')
  say(`  Storefront    ${webUrl}`)
  say(`  Status page   ${webUrl}/api/health        (JSON for machines, HTML in a browser)`)
  say(`  Readiness     ${webUrl}/api/health/ready`)
  say(`  Prometheus    ${webUrl}/api/metrics`)
  say(`  API           ${apiUrl}/api/health`)
  say(`  Admin API     ${apiUrl}/api/admin/orders   ${apiUrl}/api/admin/stats`)
  say(`  Drill         ${webUrl}/api/drills/error   (a thrown error → { error, requestId } + Sentry)`)
  if (haproxy) {
    say(
      `  Fleet         ${instances} storefronts and ${instances} APIs behind HAProxy (stats ${haproxy.statsUrl})`,
    )
    for (const spec of specs)
      say(`                ${spec.name.padEnd(13, ' ')} http://127.0.0.1:${spec.port}`)
    say(`  Rolling       kill -HUP ${process.pid}   (every instance drained and restarted, one at a time)`)
    say(
      `  Monitoring    DEMO_URL=${specs
        .filter((spec) => spec.backend === 'web')
        .map((spec) => `http://127.0.0.1:${spec.port}/api/metrics`)
        .join(',')} npm run demo:monitoring`,
    )
  }
  say('')
  say(`  Database      ${database.describe}`)
  say(`  Cart & cache  ${cache}`)
  say(`  Payments      ${payments.describe}`)
  say(`  Logs          ${cloudwatch}`)
  say(
    `  Metrics       DogStatsD to ${process.env.DD_AGENT_HOST ?? 'localhost'}:${process.env.DD_AGENT_PORT ?? 8125} and Prometheus`,
  )
  say(
    `  Errors        ${process.env.SENTRY_DSN ? 'Sentry (SENTRY_DSN)' : 'logged only — set SENTRY_DSN for Sentry'}`,
  )
  say('')
  say(haproxy ? 'demo: ready. Ctrl-C stops the fleet.' : 'demo: ready. Ctrl-C stops both processes.')

  // A process that exits on its own (not restarted by the drill) ends the demo.
  let unexpected: (exit: { child: Child; code: number | null }) => void = () => {}
  const firstExit = new Promise<{ child: Child; code: number | null }>((resolve) => {
    unexpected = resolve
  })
  function watch(child: Child) {
    void child.exited.then((code) => {
      if (!restarting.has(child)) unexpected({ child, code })
    })
  }
  for (const child of children) watch(child)
  const first = await firstExit
  return stop(`${first.child.name} exited with code ${first.code}`, first.code === 0 ? 0 : 1)
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stdout.write('\n')
    console.error(`demo: ${error instanceof SetupError ? error.message : (error?.stack ?? error)}`)
    process.exit(1)
  },
)
