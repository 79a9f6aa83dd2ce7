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
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, relative } from 'node:path'
import { scrubSecrets } from '@vivr/core'
import { type StripeServer, startStripeServer } from '@vivr/testkit'
import pg from 'pg'
import { type EmbeddedPostgres, serveEmbeddedPostgres } from '../src/db/embedded-postgres.js'
import { migrate, pgConnection, pgliteConnection, type SqlConnection } from '../src/db/migrate.js'
import { seed } from '../src/db/seed.js'
import { APP_DIR, ensureWebBuild, NEXT_BIN } from './build-web.js'
import { generateClient } from './generate-client.mjs'

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
  say('demo: starting the storefront and the API…')
  const children = [
    start('storefront', [NEXT_BIN, 'start', '--port', String(webPort)], env),
    start('api', ['--conditions=@vivr/source', '--import', 'tsx', 'src/api-server/main.ts'], env),
  ]

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
    await Promise.all([
      waitUntilLive(children[0]!, `http://127.0.0.1:${webPort}/api/health/live`, 120_000),
      waitUntilLive(children[1]!, `http://127.0.0.1:${apiPort}/api/health/live`, 60_000),
    ])
  } catch (error) {
    await stop('startup failed', 1)
    throw error
  }

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
  say('demo: ready. Ctrl-C stops both processes.')

  const first = await Promise.race(children.map((child) => child.exited.then((code) => ({ child, code }))))
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
