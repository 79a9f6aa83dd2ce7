import { subscribe } from 'node:diagnostics_channel'
import { Server } from 'node:http'
import { OptionError, type ShutdownRegistry } from '@vivr/core'
import { durationOption } from '@vivr/core/internal'
import { closeGracefully } from '@vivr/core/node'

export interface DrainNextServerOptions {
  /** Bound for closing the server: how long in-flight requests get once it stops accepting. @default 10000 */
  closeTimeoutMs?: number
}

/**
 * Closes the HTTP server Next.js serves from (`next start` and the standalone `server.js` alike) when `lifecycle`
 * shuts down: it stops accepting, requests in flight (streamed pages included) finish, idle keep-alive
 * connections close — core's `closeGracefully`, hook `http server`, bounded by `closeTimeoutMs`.
 *
 * Next.js hands the app no reference to its server; Node.js announces every request on the documented
 * `http.server.request.start` diagnostics channel with the server that took it, so the server is known from its
 * first request on (before one, nothing is in flight) and its hook registered then: after the hooks register()
 * set up, so it runs first and requests finish while the database and the sinks are still there.
 * Needs NEXT_MANUAL_SIG_HANDLE (else Next.js exits on SIGTERM before any hook runs).
 */
export function drainNextServer(lifecycle: ShutdownRegistry, options: DrainNextServerOptions = {}): void {
  if (typeof lifecycle?.onShutdown !== 'function') {
    throw new OptionError('lifecycle', lifecycle, 'a ShutdownRegistry (an object with onShutdown)')
  }
  const timeoutMs = durationOption('closeTimeoutMs', options.closeTimeoutMs, { allowZero: false }) ?? 10_000
  const servers = new WeakSet<Server>()
  subscribe('http.server.request.start', (message) => {
    const server: unknown = Reflect.get(Object(message), 'server')
    if (!(server instanceof Server) || servers.has(server)) return
    servers.add(server)
    lifecycle.onShutdown('http server', () => closeGracefully(server), { timeoutMs })
  })
}
