import {
  type CheckOutcome,
  type CommonCheckOptions,
  errorOutcome,
  type OutcomeCheck,
  scrubSecrets,
  untilAborted,
} from '@vivr/core'
import { booleanOption, checkSettings, singleFlight } from '@vivr/core/internal'

type StatusEvent = 'ready' | 'close' | 'end'

/**
 * The part of an ioredis client (`Redis`, or `Cluster`) the check uses. Typed structurally so the package never
 * imports ioredis itself.
 */
export interface RedisLike {
  /** ioredis' connection state: wait, connecting, connect, ready, close, reconnecting, end. */
  readonly status: string
  ping(): Promise<unknown>
  info(section: string): Promise<unknown>
  connect(): Promise<unknown>
  once(event: StatusEvent, listener: () => void): unknown
  removeListener(event: StatusEvent, listener: () => void): unknown
}

export interface RedisCheckOptions extends CommonCheckOptions {
  /** Key of the result in the health report. @default 'cache' */
  name?: string
  /** Whether an unreachable Redis makes the service unhealthy (a cache outage usually only degrades it). @default false */
  critical?: boolean
  /** Add `usedMemoryBytes` and `connectedClients` from `INFO` to the result's details. @default false */
  details?: boolean
}

type Attempt = { ok: true; details?: Record<string, unknown> } | { ok: false; error: unknown }

function infoField(info: unknown, field: string): number | undefined {
  if (typeof info !== 'string') return undefined
  const match = new RegExp(`^${field}:(\\d+)\\r?$`, 'm').exec(info)
  return match ? Number(match[1]) : undefined
}

/** The client's state as text, for a message; never throws (a status getter may). */
function statusOf(redis: RedisLike): string {
  try {
    return scrubSecrets(String(redis.status), 64)
  } catch {
    return 'unreadable'
  }
}

/** Calls a client method; a synchronous throw becomes a rejection, so one promise path handles both. */
function callSafely(call: () => unknown): Promise<unknown> {
  return Promise.resolve().then(call)
}

/** Resolves once the client is ready; rejects when the connection attempt fails or the signal fires. */
function whenReady(redis: RedisLike, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (outcome: () => void) => () => {
      redis.removeListener('ready', onReady)
      redis.removeListener('close', onClose)
      redis.removeListener('end', onClose)
      signal.removeEventListener('abort', onAbort)
      outcome()
    }
    const onReady = settle(resolve)
    const onClose = settle(() => reject(new Error(`Redis connection failed (client ${statusOf(redis)})`)))
    const onAbort = settle(() => reject(signal.reason))
    redis.once('ready', onReady)
    redis.once('close', onClose)
    redis.once('end', onClose)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * The cache check (docs/health.md#the-kits-checks), `PING`, that answers within its deadline whatever state the app's ioredis client is
 * in, and never changes that client: no options touched, no listener or queued command left behind.
 */
export function redisCheck(redis: RedisLike, options: RedisCheckOptions = {}): OutcomeCheck {
  if (typeof redis?.ping !== 'function' || typeof redis.once !== 'function') {
    throw new TypeError('redisCheck(redis): expected an ioredis client')
  }
  const settings = checkSettings(options, { name: 'cache', critical: false })
  const withDetails = booleanOption('details', options.details) ?? false

  // A command sent on a connection that then goes mute cannot be taken back; while it is pending, later probes
  // wait on it instead of sending more, so at most one PING (and INFO) of ours is ever queued.
  const ping = singleFlight(pingOnce)

  async function pingOnce(): Promise<Attempt> {
    // INFO only adds details: when it fails (an ACL without @dangerous, say), PING alone decides the status.
    const [pong, memory, clients] = await Promise.allSettled([
      callSafely(() => redis.ping()),
      ...(withDetails
        ? [callSafely(() => redis.info('memory')), callSafely(() => redis.info('clients'))]
        : []),
    ])
    if (pong.status === 'rejected') return { ok: false, error: pong.reason }
    if (!withDetails) return { ok: true }
    const details: Record<string, unknown> = {}
    const usedMemoryBytes =
      memory?.status === 'fulfilled' ? infoField(memory.value, 'used_memory') : undefined
    const connectedClients =
      clients?.status === 'fulfilled' ? infoField(clients.value, 'connected_clients') : undefined
    if (usedMemoryBytes !== undefined) details.usedMemoryBytes = usedMemoryBytes
    if (connectedClients !== undefined) details.connectedClients = connectedClients
    return { ok: true, details }
  }

  async function probe(signal: AbortSignal): Promise<CheckOutcome> {
    switch (redis.status) {
      case 'ready':
        break
      case 'wait':
        // A lazyConnect client that has not sent a command yet: connect it, as its first command would.
        callSafely(() => redis.connect()).catch(() => {})
        await whenReady(redis, signal)
        break
      case 'connecting':
      case 'connect':
        await whenReady(redis, signal)
        break
      case 'reconnecting':
      case 'close':
        // The last connection failed and the client waits to retry: anything sent now would queue until then.
        return { status: 'error', message: 'Redis connection lost (client reconnecting)' }
      case 'end':
        return { status: 'error', message: 'Redis connection closed' }
      default:
        return { status: 'error', message: `Redis client not ready (status ${statusOf(redis)})` }
    }
    const attempt = await untilAborted(ping, signal)
    if (!attempt.ok) return errorOutcome(attempt.error)
    return attempt.details ? { status: 'ok', details: attempt.details } : { status: 'ok' }
  }

  return {
    ...settings,
    async run({ signal }) {
      if (signal.aborted) return errorOutcome(signal.reason)
      try {
        return await probe(signal)
      } catch (error) {
        return errorOutcome(error)
      }
    },
  } satisfies OutcomeCheck
}
