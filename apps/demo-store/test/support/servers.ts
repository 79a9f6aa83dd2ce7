import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unusedPort } from '@vivr/testkit'

/** A redis-server of the test's own, on a free port: the drills stop it, never the shared one. */
export interface OwnRedis {
  readonly port: number
  readonly url: string
  /** Kills the server (as a crash would). */
  stop(): Promise<void>
  /** Starts it again on the same port. */
  start(): Promise<void>
  close(): Promise<void>
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`)
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await unusedPort()
  const dir = mkdtempSync(join(tmpdir(), 'vivr-demo-redis-'))
  let child: ChildProcess | undefined

  async function start() {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    )
    await waitForPort(port, 10_000)
  }
  async function stop() {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill('SIGKILL')
    await exited
  }
  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    async close() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * A TCP proxy the test can cut: `cut()` drops every open connection and refuses new ones (a database that
 * went away), `restore()` accepts again on the same port.
 */
export interface TcpProxy {
  readonly port: number
  cut(): Promise<void>
  restore(): Promise<void>
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await unusedPort()
  const sockets = new Set<Socket>()
  let server: Server | undefined

  async function listen() {
    const next = createServer((client) => {
      const upstream = connect(target.port, target.host)
      for (const socket of [client, upstream]) {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
        socket.on('error', () => {
          client.destroy()
          upstream.destroy()
        })
      }
      client.pipe(upstream)
      upstream.pipe(client)
    })
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject)
      next.listen(port, '127.0.0.1', () => resolve())
    })
    server = next
  }
  async function cut() {
    const running = server
    server = undefined
    for (const socket of sockets) socket.destroy()
    if (running) await new Promise<void>((resolve) => running.close(() => resolve()))
  }
  await listen()
  return { port, cut, restore: listen, close: cut }
}
