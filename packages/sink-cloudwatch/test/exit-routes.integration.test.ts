// No lost lines at exit, whichever way the process ends — the known trap of pino transports (pinojs/pino#1705:
// lines lost on process.exit(); #2481: a flush callback that never comes on an idle event loop). Each child logs
// 2000 lines — held off the main thread, since flushIntervalMs is a minute — and ends by one route; every line must
// then be at the loopback endpoint. Two writers: core's logger into cloudwatchLogsInWorker (worker-exit.ts), and a
// plain pino logger through the transport target (transport-exit.ts).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { type CloudWatchLogsServer, runScript, startCloudWatchLogsServer } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../../..')
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
const LINES = 2000
const everyLine = Array.from({ length: LINES }, (_, i) => i)
let server: CloudWatchLogsServer
let groups = 0

beforeAll(async () => {
  server = await startCloudWatchLogsServer()
})
afterAll(async () => {
  await server.close()
})

function exitRoutes(name: string, fixtureName: string) {
  const fixture = join(import.meta.dirname, 'fixtures', fixtureName)
  const group = (route: string) => `/vivr/test/exit-${fixtureName.replace('.ts', '')}-${route}-${++groups}`

  const run = (
    logGroupName: string,
    route: string,
    extraEnv: Record<string, string> = {},
    endpoint?: string,
  ) =>
    runScript(fixture, [endpoint ?? server.endpoint, logGroupName, route, String(LINES)], {
      cwd: root,
      conditions: ['@vivr/source'],
      timeoutMs: 30_000,
      env: { ...env, ...extraEnv },
    })

  /** Starts the child, waits for `ready`, sends SIGTERM, and resolves when it exits. */
  function runUntilSigterm(logGroupName: string, route: string) {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@vivr/source',
        '--import',
        'tsx',
        fixture,
        server.endpoint,
        logGroupName,
        route,
        String(LINES),
      ],
      { cwd: root, env: { ...process.env, ...env } },
    )
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const killer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`child did not exit: ${stderr}`))
      }, 30_000)
      child.stdout.on('data', (chunk) => {
        stdout += chunk
        if (stdout.includes('ready')) child.kill('SIGTERM')
      })
      child.on('exit', (code) => {
        clearTimeout(killer)
        resolve({ code, stderr })
      })
    })
  }

  /** The `i` of every `route line` the endpoint stored, in order (core's logger writes `message`, pino `msg`). */
  const routeLines = (logGroupName: string) =>
    server
      .groupEvents(logGroupName)
      .map((e) => JSON.parse(e.message))
      .filter((l) => (l.message ?? l.msg) === 'route line')
      .map((l) => l.i)

  describe(`${name}: every line reaches CloudWatch, however the process ends`, () => {
    it('the event loop runs empty (return from main)', async () => {
      const logGroupName = group('return')
      const result = await run(logGroupName, 'return')
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(routeLines(logGroupName)).toEqual(everyLine)
    })

    it('process.exit(0) right after logging', async () => {
      const logGroupName = group('exit')
      const result = await run(logGroupName, 'exit')
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(routeLines(logGroupName)).toEqual(everyLine)
    })

    it('an uncaught exception', async () => {
      const logGroupName = group('throw')
      const result = await run(logGroupName, 'throw')
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('uncaught on purpose')
      expect(routeLines(logGroupName)).toEqual(everyLine)
    })

    it('SIGTERM through createLifecycle', async () => {
      const logGroupName = group('sigterm')
      const result = await runUntilSigterm(logGroupName, 'sigterm')
      expect(result.code).toBe(0)
      expect(routeLines(logGroupName)).toEqual(everyLine)
    })

    it('with the endpoint down, exit is bounded and the lines go to stderr', async () => {
      const down = await startCloudWatchLogsServer()
      await down.stop()
      try {
        const result = await run(group('down'), 'exit', { FLUSH_TIMEOUT_MS: '1000' }, down.endpoint)
        expect(result.code).toBe(0)
        const lines = result.stderr.trim().split('\n')
        expect(lines.filter((l) => l.includes('"route line"'))).toHaveLength(LINES)
        expect(lines.some((l) => l.includes('did not take every line before close'))).toBe(true)
        // Start-up (tsx compiles the sources here), the 1 s bound and the 1 s abort guard, with room.
        expect(result.elapsedMs).toBeLessThan(12_000)
      } finally {
        await down.close()
      }
    })
  })
  return { run, runUntilSigterm, routeLines, group }
}

const inWorker = exitRoutes('cloudwatchLogsInWorker under core’s logger', 'worker-exit.ts')
const transport = exitRoutes('the pino transport', 'transport-exit.ts')

describe('cloudwatchLogsInWorker: the lifecycle’s own lines', () => {
  it('SIGTERM with no hook on the destination: the lifecycle’s last lines arrive too', async () => {
    const logGroupName = inWorker.group('sigterm-no-hook')
    const result = await inWorker.runUntilSigterm(logGroupName, 'sigterm-no-hook')
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    expect(inWorker.routeLines(logGroupName)).toEqual(everyLine)
    const messages = server.groupEvents(logGroupName).map((e) => JSON.parse(e.message).message)
    expect(messages).toContain('shutting down')
    expect(messages.at(-1)).toBe('shutdown complete')
  })
})

describe('the pino transport: logger.flush(cb)', () => {
  it('calls back on an idle event loop, once every line is stored', async () => {
    const logGroupName = transport.group('flush')
    const result = await transport.run(logGroupName, 'flush')
    // Killed with SIGKILL inside the callback: no exit handler delivered anything after it.
    expect(result.code).toBe(null)
    expect(JSON.parse(result.stdout)).toEqual({ flushed: true })
    expect(transport.routeLines(logGroupName)).toEqual(everyLine)
  })
})
