import { createHealth, OptionError } from '@vivr/core'
import { startMuteTcpServer, unusedPort } from '@vivr/testkit'
import { describeCheckContract } from '@vivr/testkit/contracts'
import Redis, { type RedisOptions } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { redisCheck } from '../src/index.js'
import { type OwnRedisServer, startOwnRedisServer } from './support/redis-server.js'

const SHARED_REDIS = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) }
const PASSWORD = 's3cr3t-redis-pass'

/** The app's client as the guide builds it: ioredis defaults, plus the error listener every app should have. */
function appClient(options: RedisOptions): Redis {
  const client = new Redis(options)
  client.on('error', () => {})
  return client
}

const ready = (client: Redis) =>
  client.status === 'ready'
    ? Promise.resolve()
    : new Promise<void>((resolve) => client.once('ready', resolve))
const statusIs = (client: Redis, status: string) =>
  vi.waitFor(() => expect(client.status).toBe(status), { timeout: 5000, interval: 10 })
const never = () => new AbortController().signal

const EVENTS = ['ready', 'close', 'end', 'error', 'connect', 'reconnecting'] as const
function listenerCounts(client: Redis) {
  return Object.fromEntries(EVENTS.map((event) => [event, client.listenerCount(event)]))
}

interface Dependency {
  client: Redis
  close?: () => Promise<void>
}

/** Commands waiting in the client: sent and unanswered, or held until the connection is back. */
function queued(client: Redis): { sent: number; held: number } {
  const length = (queue: unknown) =>
    typeof queue === 'object' && queue !== null && 'length' in queue && typeof queue.length === 'number'
      ? queue.length
      : Number.NaN
  // offlineQueue is private in ioredis' typings; read it the way a debugger would.
  return { sent: client.commandQueue.length, held: length(Reflect.get(client, 'offlineQueue')) }
}

describeCheckContract(
  'redisCheck',
  ({ client }: Dependency, { timeoutMs }) => redisCheck(client, { timeoutMs }),
  {
    healthy: async (): Promise<Dependency> => {
      const client = appClient(SHARED_REDIS)
      await ready(client)
      return { client }
    },
    failing: async (): Promise<Dependency> => {
      const client = appClient({ host: '127.0.0.1', port: await unusedPort(), password: PASSWORD })
      await statusIs(client, 'reconnecting')
      return { client }
    },
    hanging: async (): Promise<Dependency> => {
      const mute = await startMuteTcpServer()
      return {
        client: appClient({ host: '127.0.0.1', port: mute.port, password: PASSWORD }),
        close: mute.close,
      }
    },
    secrets: [PASSWORD],
    dispose: async ({ client, close }) => {
      client.disconnect()
      await close?.()
    },
  },
)

describe('redisCheck against the shared Redis', () => {
  const client = appClient(SHARED_REDIS)
  afterAll(() => client.quit())

  it("is the guide's cache check: named cache, not critical, ok with a latency", async () => {
    await ready(client)
    const check = redisCheck(client)
    expect(check).toMatchObject({ name: 'cache', critical: false })
    const report = await createHealth({ checks: [check] }).run()
    expect(report.checks.cache).toEqual({ status: 'ok', latency: expect.any(Number) })
  })

  it('adds used memory and connected clients from INFO with details: true', async () => {
    const outcome = await redisCheck(client, { details: true }).run({ signal: never() })
    expect(outcome).toEqual({
      status: 'ok',
      details: { usedMemoryBytes: expect.any(Number), connectedClients: expect.any(Number) },
    })
    const details = outcome?.details as { usedMemoryBytes: number; connectedClients: number }
    expect(details.usedMemoryBytes).toBeGreaterThan(0)
    expect(details.connectedClients).toBeGreaterThanOrEqual(1)
  })

  it('waits for a client that is still connecting, then answers ok', async () => {
    const fresh = appClient(SHARED_REDIS)
    try {
      expect(fresh.status).toBe('connecting')
      expect(await redisCheck(fresh).run({ signal: AbortSignal.timeout(2000) })).toEqual({ status: 'ok' })
    } finally {
      fresh.disconnect()
    }
  })

  it('connects a lazyConnect client that has not sent a command yet, as its first command would', async () => {
    const lazy = appClient({ ...SHARED_REDIS, lazyConnect: true })
    try {
      expect(lazy.status).toBe('wait')
      expect(await redisCheck(lazy).run({ signal: AbortSignal.timeout(2000) })).toEqual({ status: 'ok' })
      expect(lazy.status).toBe('ready')
    } finally {
      lazy.disconnect()
    }
  })

  it('reports a client the app closed at once', async () => {
    const closed = appClient(SHARED_REDIS)
    await ready(closed)
    await closed.quit()
    await statusIs(closed, 'end')
    const started = performance.now()
    const outcome = await redisCheck(closed).run({ signal: never() })
    expect(performance.now() - started).toBeLessThan(1000)
    expect(outcome).toEqual({ status: 'error', message: 'Redis connection closed' })
  })
})

describe('outage drills against a redis-server of our own', () => {
  let server: OwnRedisServer
  let client: Redis
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)

  beforeAll(async () => {
    server = await startOwnRedisServer()
    process.on('unhandledRejection', onUnhandled)
  })
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled)
    await server.close()
  })
  afterEach(() => {
    client?.disconnect()
    vi.restoreAllMocks()
  })

  it('errors within its timeout while the server is down, and is ok on the first probe once the client is back', async () => {
    const consoleError = vi.spyOn(console, 'error')
    client = appClient({ host: '127.0.0.1', port: server.port })
    await ready(client)
    const options = { ...client.options }
    const listenersBefore = listenerCounts(client)
    const health = createHealth({ checks: [redisCheck(client, { timeoutMs: 500 })] })
    expect((await health.run()).checks.cache?.status).toBe('ok')

    await server.kill()
    await statusIs(client, 'reconnecting')
    for (let probe = 0; probe < 5; probe++) {
      const started = performance.now()
      const report = await health.run()
      expect(performance.now() - started).toBeLessThan(500 + 1000)
      expect(report.checks.cache).toMatchObject({
        status: 'error',
        message: 'Redis connection lost (client reconnecting)',
      })
      expect(report.status).toBe('degraded') // a cache outage degrades, it does not fail readiness
    }

    await server.restart()
    await ready(client)
    expect((await health.run()).checks.cache?.status).toBe('ok')

    // Nothing of ours left behind, nothing of the app's changed, no noise, no unhandled rejection.
    expect(listenerCounts(client)).toEqual(listenersBefore)
    expect(client.options).toEqual(options)
    expect(queued(client)).toEqual({ sent: 0, held: 0 })
    expect(consoleError.mock.calls.flat().join(' ')).not.toContain('[ioredis] Unhandled error event')
    expect(unhandled).toEqual([])
  })

  it('errors within its timeout while the server is mute, keeps one PING pending at most, and recovers', async () => {
    client = appClient({ host: '127.0.0.1', port: server.port })
    await ready(client)
    const listenersBefore = listenerCounts(client)
    const health = createHealth({ checks: [redisCheck(client, { timeoutMs: 300 })] })

    server.pause()
    try {
      for (let probe = 0; probe < 4; probe++) {
        const started = performance.now()
        const report = await health.run()
        expect(performance.now() - started).toBeLessThan(300 + 1000)
        expect(report.checks.cache).toMatchObject({ status: 'error', message: 'timed out after 300ms' })
      }
      expect(queued(client)).toEqual({ sent: 1, held: 0 })
    } finally {
      server.resume()
    }
    expect((await health.run()).checks.cache?.status).toBe('ok')
    expect(queued(client)).toEqual({ sent: 0, held: 0 })
    expect(listenerCounts(client)).toEqual(listenersBefore)
    expect(unhandled).toEqual([])
  })

  it('flapping (paused for one probe in three) stays degraded under failAfter: 3 and makes one incident', async () => {
    client = appClient({ host: '127.0.0.1', port: server.port })
    await ready(client)
    /** Runs the same pause/resume schedule against a health with these damping options; returns its transitions. */
    async function drill(damping: { failAfter?: number; recoverAfter?: number }) {
      const health = createHealth({
        includeMetrics: false,
        checks: [redisCheck(client, { timeoutMs: 150, ...damping })],
      })
      const transitions: string[] = []
      health.onChange((change) => {
        if (change.kind === 'check') transitions.push(change.current.status)
      })
      const seen = new Set<string>()
      await health.run()
      for (let cycle = 0; cycle < 8; cycle++) {
        server.pause()
        try {
          seen.add((await health.run()).checks.cache?.status ?? 'missing')
        } finally {
          server.resume()
        }
        for (let good = 0; good < 2; good++) seen.add((await health.run()).checks.cache?.status ?? 'missing')
      }
      for (let good = 0; good < 3; good++) await health.run()
      return { transitions, seen }
    }
    const damped = await drill({ failAfter: 3, recoverAfter: 3 })
    expect(damped.seen.has('error')).toBe(false)
    expect(damped.transitions).toEqual(['ok', 'degraded', 'ok'])
    // Control: the same schedule without damping pages on every pause.
    const raw = await drill({})
    expect(raw.seen.has('error')).toBe(true)
    expect(raw.transitions.length).toBeGreaterThanOrEqual(15)
    expect(unhandled).toEqual([])
  })

  it('still answers ok, without details, when an ACL denies INFO', async () => {
    const admin = appClient({ host: '127.0.0.1', port: server.port })
    try {
      await admin.call('ACL', 'SETUSER', 'probe', 'on', '>probe-pass', '-@all', '+ping', '+hello', '+client')
      client = appClient({
        host: '127.0.0.1',
        port: server.port,
        username: 'probe',
        password: 'probe-pass',
        enableReadyCheck: false, // the ready check is INFO too
      })
      await ready(client)
      expect(await redisCheck(client, { details: true }).run({ signal: never() })).toEqual({
        status: 'ok',
        details: {},
      })
    } finally {
      await admin.call('ACL', 'DELUSER', 'probe').catch(() => {})
      admin.disconnect()
    }
  })

  it('errors within its timeout on a client stuck connecting to a server that never answers', async () => {
    const mute = await startMuteTcpServer()
    client = appClient({ host: '127.0.0.1', port: mute.port })
    try {
      await statusIs(client, 'connect')
      const listenersBefore = listenerCounts(client)
      const queuedBefore = queued(client) // ioredis' own handshake, unanswered
      const started = performance.now()
      const outcome = await redisCheck(client).run({ signal: AbortSignal.timeout(300) })
      expect(performance.now() - started).toBeLessThan(300 + 1000)
      expect(outcome?.status).toBe('error')
      expect(listenerCounts(client)).toEqual(listenersBefore)
      expect(queued(client)).toEqual(queuedBefore)
    } finally {
      await mute.close()
    }
  })

  it('fails at once on a default client waiting to reconnect, where its own ping would wait ~73 s', async () => {
    client = appClient({ host: '127.0.0.1', port: server.port })
    await ready(client)
    await server.kill()
    try {
      await statusIs(client, 'reconnecting')
      const started = performance.now()
      const outcome = await redisCheck(client).run({ signal: never() })
      expect(performance.now() - started).toBeLessThan(1000)
      expect(outcome?.status).toBe('error')
      expect(queued(client)).toEqual({ sent: 0, held: 0 })
    } finally {
      await server.restart()
    }
  })
})

describe('redisCheck options', () => {
  const client = appClient({ ...SHARED_REDIS, lazyConnect: true })

  it('takes a name, a timeout, criticality, details and tags', () => {
    const check = redisCheck(client, { name: 'sessions', timeoutMs: 250, critical: true, tags: ['ready'] })
    expect(check).toMatchObject({ name: 'sessions', timeoutMs: 250, critical: true, tags: ['ready'] })
  })

  it('rejects bad options at construction, naming the option', () => {
    expect(() => redisCheck(client, { timeoutMs: 0 })).toThrow(OptionError)
    expect(() => redisCheck(client, { timeoutMs: Number.NaN })).toThrow(/timeoutMs/)
    expect(() => redisCheck(client, { name: '' })).toThrow(/Invalid option name/)
    expect(() => redisCheck(client, { details: 'yes' as never })).toThrow(/details/)
    expect(() => redisCheck(client, { critical: 1 as never })).toThrow(/critical/)
    expect(() => redisCheck({} as never)).toThrow(/ioredis/)
  })
})
