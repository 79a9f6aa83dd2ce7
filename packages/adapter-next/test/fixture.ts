// Builds (once per change of its inputs) and starts the fixture Next.js app in test/fixture-app.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { unusedPort } from '@vivr/testkit'

export const FIXTURE_APP = join(import.meta.dirname, 'fixture-app')
const ROOT = join(import.meta.dirname, '..', '..', '..')
const NEXT_BIN = createRequire(join(FIXTURE_APP, 'package.json')).resolve('next/dist/bin/next')
const HASH_FILE = join(FIXTURE_APP, '.next', 'vivr-inputs.sha256')
const LOCK = join(
  tmpdir(),
  `vivr-adapter-next-fixture-${createHash('sha256').update(FIXTURE_APP).digest('hex').slice(0, 12)}.lock`,
)
/** The standalone output's server.js (`output: 'standalone'`), under the monorepo root Next.js traced from. */
const STANDALONE_DIR = join(FIXTURE_APP, '.next', 'standalone', relative(ROOT, FIXTURE_APP))
// The test runner's NODE_ENV=test must not leak into the build (inlined in the browser bundle) or the server.
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' }

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir).sort()) {
    if (entry === '.next' || entry === 'node_modules' || entry === 'next-env.d.ts') continue
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) yield* files(path)
    else yield path
  }
}

/** The app's sources, the built packages it imports and this recipe: a change to any means a new `next build`. */
function inputsHash(): string {
  const hash = createHash('sha256').update(readFileSync(import.meta.filename)) // the recipe (env, flags) counts too
  const packages = ['adapter-next', 'core', 'sink-sentry', 'sink-datadog'].map((name) =>
    join(ROOT, 'packages', name, 'dist'),
  )
  for (const dir of [FIXTURE_APP, ...packages]) {
    for (const file of files(dir)) hash.update(relative(ROOT, file)).update(readFileSync(file))
  }
  return hash.digest('hex')
}

/** Builds the packages the app imports (turbo: a cache hit when nothing changed), then the app if needed. */
export function buildFixture(): void {
  execFileSync(
    'npx',
    ['turbo', 'run', 'build', '--filter=@vivr/adapter-next...', '--output-logs=errors-only'],
    {
      cwd: ROOT,
      env: { ...env, TURBO_TELEMETRY_DISABLED: '1' },
      stdio: 'pipe',
    },
  )
  // Several test files start the fixture, two at a time: one builds, the others wait for its build.
  const deadline = Date.now() + 10 * 60_000
  for (;;) {
    try {
      mkdirSync(LOCK)
      break
    } catch (error) {
      if (Reflect.get(Object(error), 'code') !== 'EEXIST') throw error
      if (Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 10 * 60_000) {
        rmSync(LOCK, { recursive: true, force: true }) // left by a build that died
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK}`)
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500)
    }
  }
  try {
    buildIfChanged()
  } finally {
    rmSync(LOCK, { recursive: true, force: true })
  }
}

function buildIfChanged(): void {
  const hash = inputsHash()
  if (existsSync(HASH_FILE) && readFileSync(HASH_FILE, 'utf8') === hash) return
  try {
    execFileSync(process.execPath, [NEXT_BIN, 'build'], { cwd: FIXTURE_APP, env, stdio: 'pipe' })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer }
    throw new Error(`next build failed:\n${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`)
  }
  writeFileSync(HASH_FILE, hash)
}

export interface RunningApp {
  base: string
  port: number
  child: ChildProcess
  /** Lines the app wrote to stdout, JSON ones parsed. */
  logs: Array<Record<string, unknown>>
  /** All it wrote, stdout and stderr. */
  output(): string
  /** Its exit code and signal, once it exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stop(): Promise<void>
}

/**
 * `next start` (or, with `standalone`, the standalone output's `node server.js`, as a container runs it) on a free
 * loopback port; resolves once the app answers.
 */
export async function startFixture(
  extraEnv: Record<string, string>,
  options: { standalone?: boolean } = {},
): Promise<RunningApp> {
  const port = await unusedPort()
  const child: ChildProcess = options.standalone
    ? spawn(process.execPath, ['server.js'], {
        cwd: STANDALONE_DIR,
        env: { ...env, PORT: String(port), HOSTNAME: '127.0.0.1', ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, [NEXT_BIN, 'start', '-p', String(port), '-H', '127.0.0.1'], {
        cwd: FIXTURE_APP,
        env: { ...env, ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
  const logs: Array<Record<string, unknown>> = []
  let output = ''
  let buffered = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
    buffered += chunk
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) {
      if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>)
    }
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const base = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output}`)
    try {
      if ((await fetch(`${base}/api/health/live`)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`next start did not answer within 30 s:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return {
    base,
    port,
    child,
    logs,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(killer)
    },
  }
}
