import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unusedPort } from '@vivr/testkit'

/** A redis-server of the test's own, on a free loopback port, that the test may kill, pause and restart. */
export interface OwnRedisServer {
  readonly port: number
  /** SIGKILL: the server disappears without a goodbye, like a crashed or OOM-killed instance. */
  kill(): Promise<void>
  /** SIGSTOP / SIGCONT: the server keeps its connections open but stops answering. */
  pause(): void
  resume(): void
  /** Starts a fresh server on the same port. */
  restart(): Promise<void>
  /** Stops the server and removes its directory. */
  close(): Promise<void>
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

async function waitUntil(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

export async function startOwnRedisServer(): Promise<OwnRedisServer> {
  const port = await unusedPort()
  const dir = mkdtempSync(join(tmpdir(), 'vivr-redis-'))
  let child: ChildProcess | undefined

  async function start() {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ]
    const spawned = spawn('redis-server', args, { stdio: 'ignore' })
    spawned.on('error', () => {})
    child = spawned
    await waitUntil(() => answersPing(port), `redis-server on port ${port}`)
  }

  async function kill() {
    const current = child
    child = undefined
    if (!current || current.exitCode !== null || current.signalCode !== null) return
    const exited = new Promise((resolve) => current.once('exit', resolve))
    current.kill('SIGCONT')
    current.kill('SIGKILL')
    await exited
  }

  await start()
  return {
    port,
    kill,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    restart: async () => {
      await kill()
      await start()
    },
    close: async () => {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
