import { createServer, type Socket } from 'node:net'

/** A TCP listener on 127.0.0.1 that accepts connections and never answers, like a hung database or cache. */
export interface MuteTcpServer {
  readonly host: '127.0.0.1'
  readonly port: number
  /** Connections accepted so far. */
  readonly connections: number
  /** Drops every held connection and stops listening. */
  close(): Promise<void>
}

/** Starts a {@link MuteTcpServer} on a free port (or `port`). */
export async function startMuteTcpServer(options: { port?: number } = {}): Promise<MuteTcpServer> {
  const sockets = new Set<Socket>()
  let connections = 0
  const server = createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    // Read and discard whatever the client sends, so its writes never block on a full buffer.
    socket.resume()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('mute server has no TCP address')
  return {
    host: '127.0.0.1',
    port: address.port,
    get connections() {
      return connections
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/**
 * A loopback port nobody listens on at the moment of the call (connections to it are refused). Another process
 * may take it later, so use it at once.
 */
export async function unusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return address.port
}
