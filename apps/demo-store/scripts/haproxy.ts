// A real HAProxy (Debian's `haproxy`, scripts/system-deps.txt) in front of a fleet, started as a child process with
// a config of its own on loopback ports: health checks on the readiness route, keep-alive to clients and to
// servers, and a CSV stats page to see what it thinks of each server. `npm run demo -- --instances 2` runs the
// demo behind it; test/fleet/fleet.test.ts drills rolling restarts through it.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unusedPort } from '@vivr/testkit'

export interface BackendSpec {
  name: string
  /** Path HAProxy checks; 200 means the server gets traffic. */
  readyPath: string
  servers: Array<{ name: string; port: number }>
}

export interface HaproxyOptions {
  /** The port each backend's frontend listens on (127.0.0.1). @default a free port each */
  frontends?: Record<string, number>
}

export interface Haproxy {
  /** `http://127.0.0.1:<port>` of each backend's frontend. */
  url(backend: string): string
  /** The stats page (`;csv` for machines). */
  readonly statsUrl: string
  /** HAProxy's view of a server: `UP`, `DOWN`, `UP 1/2`, `NOLB`… */
  status(backend: string, server: string): Promise<string>
  /** Resolves once HAProxy reports the server in `state` (bounded). */
  waitFor(backend: string, server: string, state: 'UP' | 'DOWN', timeoutMs?: number): Promise<void>
  output(): string
  close(): Promise<void>
}

/** The settings under test are the load balancer's usual ones: checks every 500 ms, 2 to fall, 2 to rise. */
export function haproxyConfig(frontends: Map<string, number>, statsPort: number, backends: BackendSpec[]) {
  const lines = [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-keep-alive 30s',
    // A check answered late (a busy machine) is not a failed one; the interval stays short.
    '  timeout check 2s',
    // A refused connection (a stopped server still believed UP) is retried on another server.
    '  retries 3',
    '  option redispatch 1',
    'frontend stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  stats enable',
    '  stats uri /stats',
  ]
  for (const backend of backends) {
    lines.push(
      `frontend ${backend.name}`,
      `  bind 127.0.0.1:${frontends.get(backend.name)}`,
      `  default_backend ${backend.name}`,
      `backend ${backend.name}`,
      '  balance roundrobin',
      `  option httpchk GET ${backend.readyPath}`,
      '  http-check expect status 200',
      '  default-server inter 500ms fall 2 rise 2',
      ...backend.servers.map((server) => `  server ${server.name} 127.0.0.1:${server.port} check`),
    )
  }
  return `${lines.join('\n')}\n`
}

export async function startHaproxy(backends: BackendSpec[], options: HaproxyOptions = {}): Promise<Haproxy> {
  const frontends = new Map<string, number>()
  for (const backend of backends) {
    frontends.set(backend.name, options.frontends?.[backend.name] ?? (await unusedPort()))
  }
  const statsPort = await unusedPort()
  const dir = mkdtempSync(join(tmpdir(), 'vivr-haproxy-'))
  const config = join(dir, 'haproxy.cfg')
  writeFileSync(config, haproxyConfig(frontends, statsPort, backends))
  // -db: foreground, no daemon; the test owns the process.
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.once('error', (error) => {
    output += `${error.message} (is Debian's haproxy installed? apt-get install -y haproxy)\n`
  })
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.once('error', () => resolve()) // never started
  })

  const stats = async (): Promise<string[][]> => {
    const response = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`, {
      signal: AbortSignal.timeout(2000),
    })
    return (await response.text()).split('\n').map((line) => line.split(','))
  }
  const status = async (backend: string, server: string) => {
    const rows = await stats()
    const column = rows[0]?.indexOf('status') ?? -1
    return rows.find((row) => row[0] === backend && row[1] === server)?.[column] ?? 'unknown'
  }
  const haproxy: Haproxy = {
    url: (backend) => `http://127.0.0.1:${frontends.get(backend)}`,
    statsUrl: `http://127.0.0.1:${statsPort}/stats`,
    status,
    async waitFor(backend, server, state, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      let last = ''
      while (Date.now() < deadline) {
        last = await status(backend, server).catch((error: unknown) => String(error))
        if (last === state) return
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      throw new Error(
        `HAProxy: ${backend}/${server} is ${last}, not ${state}, after ${timeoutMs} ms\n${output}`,
      )
    },
    output: () => output,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
  // Listening once the stats page answers.
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null || output.includes('apt-get install')) {
      await haproxy.close()
      throw new Error(`haproxy exited with ${child.exitCode}:\n${output}`)
    }
    if (
      await stats().then(
        () => true,
        () => false,
      )
    )
      break
    if (Date.now() > deadline) {
      await haproxy.close()
      throw new Error(`haproxy did not start within 10 s:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return haproxy
}
