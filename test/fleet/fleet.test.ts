// The fleet drill (issue 18): a real HAProxy, health checks on the readiness route, keep-alive to clients, in
// front of two storefronts (`next start`, the demo store's instrumentation with adapter-next's drain) and two
// APIs (Express through the kit's `serve`); steady keep-alive load through HAProxy; every instance restarted, one
// at a time, with a real SIGTERM. With the kit: 0 failed requests, every exit code 0, every log line of the
// stopped instances in the loopback CloudWatch Logs. Beside it, the same drill on a bare Node.js server that
// closes on SIGTERM: its figure is printed, not asserted (it is noisy by nature).
import { execFile, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { type CloudWatchLogsServer, startCloudWatchLogsServer, unusedPort } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BackendSpec, type Haproxy, startHaproxy } from '../../apps/demo-store/scripts/haproxy.js'
import {
  buildStorefront,
  dropDatabase,
  freshDatabase,
  type StoreProcess,
  startApi,
  startWeb,
} from '../../apps/demo-store/test/support/processes.js'
import { type LoadResult, startLoad } from './load.js'

const DATABASE = 'fleet'
const LOG_GROUP = '/vivr/fleet'
// Above what HAProxy needs to see readiness fail (2 checks 500 ms apart) plus a check in flight.
const DRAIN_MS = 2500
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A process HAProxy routes to, restartable on the same port. */
interface Instance {
  backend: string
  name: string
  port: number
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  kill(signal: NodeJS.Signals): void
  /** Its raw JSON log lines (stdout). */
  jsonLines(): string[]
}

interface Restart {
  name: string
  code: number | null
  signal: NodeJS.Signals | null
  /** SIGTERM to exit. */
  drainMs: number
  /** SIGTERM to HAProxy marking it DOWN. */
  outOfRotationMs: number
  lines: string[]
}

/** Restarts every instance one at a time under load; returns what each stop looked like and the load's figures. */
async function rollingRestart(
  haproxy: Haproxy,
  instances: Instance[],
  urls: string[],
  restart: (old: Instance) => Promise<Instance>,
): Promise<{ restarts: Restart[]; load: LoadResult }> {
  const load = startLoad(urls)
  const restarts: Restart[] = []
  let result: LoadResult | undefined
  try {
    await sleep(1000)
    for (const [index, old] of instances.entries()) {
      const signalled = Date.now()
      old.kill('SIGTERM')
      await haproxy.waitFor(old.backend, old.name, 'DOWN')
      const outOfRotationMs = Date.now() - signalled
      // A stop that outlasts the drain by far: print what still holds its port (for whoever reads the CI log).
      const slow = setTimeout(() => printSockets(old), DRAIN_MS + 3000)
      slow.unref()
      const { code, signal } = await old.exited
      clearTimeout(slow)
      restarts.push({
        name: old.name,
        code,
        signal,
        drainMs: Date.now() - signalled,
        outOfRotationMs,
        lines: old.jsonLines(),
      })
      const next = await restart(old)
      instances[index] = next
      await haproxy.waitFor(next.backend, next.name, 'UP')
      await sleep(500)
    }
  } finally {
    result = await load.stop()
  }
  return { restarts, load: result }
}

/** The TCP connections on an instance's port, as `ss` sees them (Linux; nothing when ss is missing). */
function printSockets(instance: Instance) {
  execFile('ss', ['-tnpio', `( sport = :${instance.port} )`], (error, stdout) => {
    if (!error) console.log(`${instance.name} still stopping; connections on :${instance.port}\n${stdout}`)
  })
}

/** What an instance logged from `shutting down` on (its access log left out), with ms since that line. */
function shutdownTimeline(lines: string[]): string {
  const parsed = lines.map(
    (line) => JSON.parse(line) as { message?: string; timestamp?: string; hook?: string },
  )
  const from = parsed.findIndex((line) => line.message === 'shutting down')
  if (from < 0) return ''
  const start = Date.parse(parsed[from]!.timestamp ?? '')
  return parsed
    .slice(from)
    .filter((line) => !/^request (completed|failed)$/.test(line.message ?? ''))
    .map(
      (line) =>
        `${line.message}${line.hook ? ` (${line.hook})` : ''} +${Date.parse(line.timestamp ?? '') - start}`,
    )
    .join(', ')
}

function report(title: string, { restarts, load }: { restarts: Restart[]; load: LoadResult }) {
  const lines = [
    `${title}: ${load.sent} requests sent through HAProxy, ${load.failed} failed`,
    ...restarts.map(
      (r) =>
        `  ${r.name}: exit ${r.code ?? r.signal}, SIGTERM to exit ${r.drainMs} ms (out of rotation after ${r.outOfRotationMs} ms)`,
    ),
    ...load.failures.slice(0, 10).map((failure) => `  failed: ${failure}`),
    ...restarts
      .map((r) => `  ${r.name} shutdown: ${shutdownTimeline(r.lines)}`)
      .filter((line) => !line.endsWith(': ')),
  ]
  console.log(lines.join('\n'))
}

describe('fleet drill with the kit: rolling restart of 2 storefronts + 2 APIs behind HAProxy', {
  timeout: 240_000,
}, () => {
  let cloudwatch: CloudWatchLogsServer
  let haproxy: Haproxy
  const instances: Instance[] = []
  const started: StoreProcess[] = []
  let env: Record<string, string>

  const asInstance = (backend: string, name: string, store: StoreProcess): Instance => {
    started.push(store)
    return {
      backend,
      name,
      port: store.port,
      exited: store.exited,
      kill: (signal) => store.child.kill(signal),
      jsonLines: () => store.output.filter((line) => line.startsWith('{')),
    }
  }
  const start = async (backend: string, name: string, port: number) =>
    asInstance(
      backend,
      name,
      backend === 'web'
        ? // Next.js's idle timeout above HAProxy's, as the adapter's README says for any load balancer.
          await startWeb(env, { port, args: ['--keepAliveTimeout', '65000'] })
        : await startApi(env, { port }),
    )

  beforeAll(async () => {
    const [databaseUrl] = await Promise.all([freshDatabase(DATABASE), buildStorefront()])
    cloudwatch = await startCloudWatchLogsServer()
    env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `vivr-fleet-${randomUUID()}:`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cloudwatch.endpoint,
      CLOUDWATCH_LOG_GROUP: LOG_GROUP,
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      HEALTH_INTERVAL_MS: '500',
    }
    const ports = [await unusedPort(), await unusedPort(), await unusedPort(), await unusedPort()]
    const layout = [
      ['web', 'web1'],
      ['web', 'web2'],
      ['api', 'api1'],
      ['api', 'api2'],
    ] as const
    instances.push(
      ...(await Promise.all(layout.map(([backend, name], index) => start(backend, name, ports[index]!)))),
    )
    const backends: BackendSpec[] = ['web', 'api'].map((backend) => ({
      name: backend,
      readyPath: '/api/health/ready',
      servers: instances.filter((i) => i.backend === backend).map(({ name, port }) => ({ name, port })),
    }))
    haproxy = await startHaproxy(backends)
    for (const instance of instances) await haproxy.waitFor(instance.backend, instance.name, 'UP', 30_000)
  }, 900_000)

  afterAll(async () => {
    for (const store of started)
      if (store.child.exitCode === null && store.child.signalCode === null) store.child.kill('SIGKILL')
    await Promise.all(started.map((store) => store.exited))
    await haproxy?.close()
    await cloudwatch?.close()
    await dropDatabase(DATABASE)
  }, 60_000)

  it('loses no request, exits 0 every time and ships every log line of the stopped instances', async () => {
    const drill = await rollingRestart(
      haproxy,
      instances,
      [`${haproxy.url('web')}/`, `${haproxy.url('api')}/api/admin/stats`],
      (old) => start(old.backend, old.name, old.port),
    )
    report('kit', drill)
    expect(drill.load.failures).toEqual([])
    expect(drill.load.failed).toBe(0)
    expect(drill.load.sent).toBeGreaterThan(200)
    expect(drill.restarts.map((r) => [r.name, r.code, r.signal])).toEqual(
      ['web1', 'web2', 'api1', 'api2'].map((name) => [name, 0, null]),
    )
    const shipped = new Set(cloudwatch.groupEvents(LOG_GROUP).map((event) => event.message))
    for (const restart of drill.restarts) {
      expect(restart.lines.length, restart.name).toBeGreaterThan(0)
      expect(
        restart.lines.filter((line) => !shipped.has(line)),
        `${restart.name}: lines on stdout not in CloudWatch`,
      ).toEqual([])
      expect(JSON.parse(restart.lines.at(-1)!).message).toBe('shutdown complete')
    }
  })
})

// A server without the kit: 200 everywhere (readiness included), server.close() then exit on SIGTERM.
const BARE_APP = join(import.meta.dirname, 'bare-app.mjs')

describe('the same drill without the kit (printed, not asserted)', { timeout: 120_000 }, () => {
  let haproxy: Haproxy
  const instances: Instance[] = []
  const children: Array<ReturnType<typeof spawn>> = []

  const start = async (backend: string, name: string, port: number): Promise<Instance> => {
    const child = spawn(process.execPath, [BARE_APP], {
      env: { PATH: process.env.PATH, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.push(child)
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    )
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve())
      child.once('exit', (code) => reject(new Error(`bare app exited with ${code}`)))
    })
    return { backend, name, port, exited, kill: (signal) => child.kill(signal), jsonLines: () => [] }
  }

  beforeAll(async () => {
    const layout = [
      ['web', 'web1'],
      ['web', 'web2'],
      ['api', 'api1'],
      ['api', 'api2'],
    ] as const
    for (const [backend, name] of layout) instances.push(await start(backend, name, await unusedPort()))
    haproxy = await startHaproxy(
      ['web', 'api'].map((backend) => ({
        name: backend,
        readyPath: '/api/health/ready',
        servers: instances.filter((i) => i.backend === backend).map(({ name, port }) => ({ name, port })),
      })),
    )
    for (const instance of instances) await haproxy.waitFor(instance.backend, instance.name, 'UP')
  }, 60_000)

  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await haproxy?.close()
  })

  it('restarts every instance under the same load and prints what was lost', async () => {
    const drill = await rollingRestart(
      haproxy,
      instances,
      [`${haproxy.url('web')}/`, `${haproxy.url('api')}/api/admin/stats`],
      (old) => start(old.backend, old.name, old.port),
    )
    report('bare (no kit)', drill)
    expect(drill.load.sent).toBeGreaterThan(0)
  })
})
