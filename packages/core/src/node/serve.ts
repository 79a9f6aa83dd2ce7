import { createServer, type RequestListener, type Server } from 'node:http'
import { readEnv } from '../env.js'
import type { ShutdownRegistry } from '../telemetry/shutdown.js'
import { durationOption, OptionError } from '../validate.js'

export interface ServeOptions {
  /** @default Number(process.env.PORT), else 3000 */
  port?: number
  /** @default every interface */
  host?: string
  /** Closes the server on shutdown: in-flight requests finish, idle keep-alive sockets close. */
  lifecycle?: ShutdownRegistry
  /** Bound for closing the server on shutdown. @default 10000 */
  closeTimeoutMs?: number
  /** Above the load balancer's idle timeout (ALB: 60 s), so it never reuses a socket the server closed. @default 65000 */
  keepAliveTimeoutMs?: number
}

/** Listens (resolving once it does) and hands the server's graceful close to the lifecycle. */
export async function serve(app: RequestListener, options: ServeOptions = {}): Promise<Server> {
  const port = options.port ?? (Number(readEnv('PORT')) || 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new OptionError('port', port, 'a TCP port')
  const keepAliveTimeoutMs = durationOption('keepAliveTimeoutMs', options.keepAliveTimeoutMs) ?? 65_000
  const closeTimeoutMs =
    durationOption('closeTimeoutMs', options.closeTimeoutMs, { allowZero: false }) ?? 10_000
  const server = createServer(app)
  server.keepAliveTimeout = keepAliveTimeoutMs
  server.headersTimeout = keepAliveTimeoutMs + 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  options.lifecycle?.onShutdown('http server', () => closeGracefully(server), { timeoutMs: closeTimeoutMs })
  return server
}

/**
 * Stops accepting connections and resolves once in-flight requests have finished; idle keep-alive sockets close at
 * once, and are swept every 50 ms as more go idle. What `serve` registers as `http server`; for a server someone
 * else created (Next.js's), register it yourself with a bound: `lifecycle.onShutdown('http server', () =>
 * closeGracefully(server), { timeoutMs })`.
 */
export function closeGracefully(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    // A keep-alive socket whose response finishes after close() turns idle later: sweep until the server closes.
    const sweep = setInterval(() => server.closeIdleConnections(), 50)
    sweep.unref()
    server.close(() => {
      clearInterval(sweep)
      resolve()
    })
    server.closeIdleConnections()
  })
}
