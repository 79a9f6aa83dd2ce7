import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { PrismaPg } from '@prisma/adapter-pg'
import { unusedPort } from '@vivr/testkit'
import pg from 'pg'
import { APP_DIR, ensureWebBuild, inputsHash, NEXT_BIN } from '../../scripts/build-web.js'
import { generateClient } from '../../scripts/generate-client.mjs'
import { migrate, pgConnection } from '../../src/db/migrate.js'
import { seed } from '../../src/db/seed.js'

/**
 * E2E builds live beside the demo's own `.next` (the tests never disturb a running demo), one folder per set of
 * inputs: when sources change during a run, a new build goes to a new folder and never pulls the files from under
 * a storefront another test file is running.
 */
const E2E_BUILDS = '.next-e2e'
const KEEP_OLD_BUILDS_MS = 30 * 60_000
let distDir: string | undefined
export const ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres'

/** Builds the storefront once per source change (parallel test files wait for the same build); its folder. */
export async function buildStorefront(): Promise<string> {
  generateClient()
  const inputs = inputsHash()
  const current = `${E2E_BUILDS}/${inputs.slice(0, 16)}`
  // Named after its inputs, a finished build folder never changes: sources edited meanwhile get a new folder.
  await ensureWebBuild({ distDir: current, inputs })
  distDir = current
  const root = join(APP_DIR, E2E_BUILDS)
  for (const entry of readdirSync(root)) {
    if (`${E2E_BUILDS}/${entry}` === current) continue
    const path = join(root, entry)
    // Another test file may be pruning at the same time.
    const modified = statSync(path, { throwIfNoEntry: false })?.mtimeMs
    if (modified !== undefined && Date.now() - modified > KEEP_OLD_BUILDS_MS) {
      rmSync(path, { recursive: true, force: true })
    }
  }
  return current
}

const DATABASE_PREFIX = 'vivr_demo_test_'

/** `vivr_demo_test_<name>_<pid>`: two runs of the suite at once (two clones, CI beside a developer) never share one. */
export const databaseName = (name: string) => `${DATABASE_PREFIX}${name}_${process.pid}`

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return Reflect.get(Object(error), 'code') === 'EPERM'
  }
}

/**
 * A fresh database for this test file on the shared PostgreSQL, migrated and seeded; returns its URL. Databases
 * left behind by runs whose process is gone are dropped on the way.
 */
export async function freshDatabase(name: string, adminUrl = ADMIN_URL): Promise<string> {
  const database = databaseName(name)
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'vivr\\_demo\\_test\\_%'",
    )
    for (const { datname } of rows) {
      const pid = Number(/_(\d+)$/.exec(datname)?.[1])
      if (datname === database || (Number.isInteger(pid) && !alive(pid))) {
        await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`)
      }
    }
    await admin.query(`CREATE DATABASE "${database}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  const client = new pg.Client({ connectionString: url.href })
  await client.connect()
  try {
    await migrate(pgConnection(client))
  } finally {
    await client.end()
  }
  const { PrismaClient } = await import('../../src/generated/prisma/client.js')
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url.href }) })
  try {
    await seed(prisma)
  } finally {
    await prisma.$disconnect()
  }
  return url.href
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName(name)}" WITH (FORCE)`)
  } finally {
    await admin.end()
  }
}

export interface LogLine {
  level?: string
  message?: string
  requestId?: string
  orderId?: string
  [field: string]: unknown
}

export interface StoreProcess {
  readonly url: string
  readonly port: number
  /** Every JSON log line written to stdout so far. */
  readonly logs: LogLine[]
  /** Every raw output line (stdout and stderr). */
  readonly output: string[]
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly child: ChildProcess
  /** Sends a signal; resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves once a log line matches, or rejects after `timeoutMs` with the output's tail. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>
}

const BASE_ENV: NodeJS.ProcessEnv = {
  NODE_ENV: 'production',
  NEXT_TELEMETRY_DISABLED: '1',
  NEXT_MANUAL_SIG_HANDLE: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  // A metric sink pointed nowhere would only add noise; tests that look at DogStatsD set their own port.
  DD_AGENT_HOST: '127.0.0.1',
  HEALTH_INTERVAL_MS: '300',
  SHUTDOWN_DRAIN_MS: '300',
}

// The e2e processes must not inherit the developer's .env or shell settings for the services under test.
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'CHROMIUM_PATH']

function spawnStore(
  kind: 'web' | 'api',
  port: number,
  env: Record<string, string>,
  extraArgs: string[] = [],
): StoreProcess {
  const args =
    kind === 'web'
      ? [NEXT_BIN, 'start', '--port', String(port), '--hostname', '127.0.0.1', ...extraArgs]
      : ['--conditions=@vivr/source', '--import', 'tsx', join('src/api-server/main.ts')]
  const inherited = Object.fromEntries(
    INHERITED.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])),
  )
  if (!distDir) throw new Error('buildStorefront() first: the storefront has no build yet')
  const childEnv: NodeJS.ProcessEnv = {
    ...inherited,
    ...BASE_ENV,
    NEXT_DIST_DIR: distDir,
    ...(kind === 'web' ? { PORT: String(port) } : { API_PORT: String(port) }),
    ...env,
  }
  const child = spawn(process.execPath, args, {
    cwd: APP_DIR,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: LogLine[] = []
  const output: string[] = []
  const waiters = new Set<() => void>()
  const collect = (parseJson: boolean) => {
    let partial = ''
    return (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        if (line === '') continue
        output.push(line)
        if (parseJson && line.startsWith('{')) {
          try {
            logs.push(JSON.parse(line) as LogLine)
          } catch {}
        }
      }
      for (const waiter of waiters) waiter()
    }
  }
  child.stdout.on('data', collect(true))
  child.stderr.on('data', collect(false))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    port,
    logs,
    output,
    exited,
    child,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      const result = await exited
      clearTimeout(timer)
      return result
    },
    waitForLog(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logs.find(predicate)
          if (!found) return
          cleanup()
          resolve(found)
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(
            new Error(
              `no matching log line within ${timeoutMs} ms; last output:\n${output.slice(-20).join('\n')}`,
            ),
          )
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
  }
}

async function waitForHttp(store: StoreProcess, path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let exited = false
  void store.exited.then(() => {
    exited = true
  })
  while (Date.now() < deadline) {
    if (exited) throw new Error(`process exited during startup:\n${store.output.slice(-30).join('\n')}`)
    try {
      const response = await fetch(`${store.url}${path}`, { signal: AbortSignal.timeout(2000) })
      if (response.ok) return
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(
    `${store.url}${path} did not answer within ${timeoutMs} ms:\n${store.output.slice(-30).join('\n')}`,
  )
}

/** Where to listen: a free port unless given (a restarted instance takes its predecessor's). */
export interface StartOptions {
  port?: number
  /** More `next start` arguments for the storefront, e.g. `['--keepAliveTimeout', '65000']`. */
  args?: string[]
}

async function startLive(
  kind: 'web' | 'api',
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<StoreProcess> {
  const store = spawnStore(kind, options.port ?? (await unusedPort()), env, options.args)
  try {
    await waitForHttp(store, '/api/health/live', 60_000)
  } catch (error) {
    // Nobody else holds this process: it must not outlive the failed start.
    store.child.kill('SIGKILL')
    throw error
  }
  return store
}

/** Starts the built storefront (`next start`) on a free port and waits until it is live. */
export const startWeb = (env: Record<string, string>, options?: StartOptions) =>
  startLive('web', env, options)

/** Starts the Express API on a free port and waits until it is live. */
export const startApi = (env: Record<string, string>, options?: StartOptions) =>
  startLive('api', env, options)

/** Polls `fn` until it returns a value that satisfies `accept`, or fails with the last value seen. */
export async function eventually<T>(
  fn: () => Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 15_000, intervalMs = 200 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      last = await fn()
      if (accept(last)) return last
    } catch (error) {
      lastError = error
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  throw new Error(
    `condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}${lastError ? `; last error: ${lastError}` : ''}`,
  )
}

export async function healthOf(url: string, path = '/api/health') {
  const response = await fetch(`${url}${path}`, { headers: { accept: 'application/json' } })
  const body = (await response.json()) as {
    status: string
    message?: string
    checks: Record<string, { status: string; message?: string; latency: number }>
  }
  return { httpStatus: response.status, ...body }
}
