import { connect, createServer, type Server, type Socket } from 'node:net'
import { createHealth, healthEndpoints } from '@vivr/core'
import { unusedPort } from '@vivr/testkit'
import { beforeAll, expect, it } from 'vitest'
import { prismaCheck } from '../src/index.js'
import { createPrisma, databaseUrl, migrate } from './support/database.js'

/*
 * Kubernetes' probe rules (kubernetes.io, "Configure Liveness, Readiness and Startup Probes"): while a startup
 * probe is configured, the kubelet runs no liveness or readiness probe until it has succeeded once; after
 * `failureThreshold` failures in a row it restarts the container; once it succeeded it is not run again. This
 * kubelet stand-in follows those rules against core's handlers, with PostgreSQL behind a relay the test opens
 * late (the database the pod starts before).
 */

const SCHEMA = 'vivr_checks_prisma_startup'
const postgres = new URL(databaseUrl)

/** A TCP relay to the shared PostgreSQL that refuses connections until opened, and can be closed again. */
function relay(port: number) {
  let server: Server | undefined
  const sockets = new Set<Socket>()
  return {
    async open() {
      server = createServer((client) => {
        const upstream = connect(Number(postgres.port || 5432), postgres.hostname)
        for (const s of [client, upstream]) {
          sockets.add(s)
          s.on('close', () => sockets.delete(s))
          s.on('error', () => {})
        }
        client.pipe(upstream).pipe(client)
      })
      await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve))
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
      server = undefined
    },
  }
}

interface Probe {
  path: 'startup' | 'live' | 'ready'
  status: number
  message?: string
}

let port: number
beforeAll(async () => {
  await migrate(SCHEMA)
  port = await unusedPort()
})

it('startup answers 503 until the database check has passed once; the kubelet then starts liveness and readiness', async () => {
  const dependency = relay(port)
  const url = new URL(databaseUrl)
  url.host = `127.0.0.1:${port}`
  const prisma = createPrisma({ schema: SCHEMA, connectionString: url.toString(), max: 2 })
  const health = createHealth({
    includeMetrics: false,
    checks: [prismaCheck(prisma, { timeoutMs: 1000, tags: ['ready'] })],
  })
  const endpoints = healthEndpoints(health)
  const seen: Probe[] = []
  const probe = async (path: Probe['path']) => {
    const response = await endpoints[path](new Request(`http://pod/health/${path}`))
    const body = (await response.json()) as { message?: string }
    seen.push({ path, status: response.status, message: body.message })
    return response.status
  }
  try {
    // The kubelet: startupProbe { periodSeconds: 0.1, failureThreshold: 50 }, then liveness and readiness.
    let started = false
    for (let attempt = 0; attempt < 50 && !started; attempt++) {
      if (attempt === 5) await dependency.open() // PostgreSQL becomes reachable after five failed probes
      started = (await probe('startup')) === 200
      if (!started) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(started).toBe(true)
    const startupAnswers = seen.filter((p) => p.path === 'startup')
    expect(startupAnswers.slice(0, 5)).toEqual(
      Array.from({ length: 5 }, () => ({
        path: 'startup',
        status: 503,
        message: 'starting: waiting for database to pass once',
      })),
    )
    expect(startupAnswers.at(-1)).toEqual({ path: 'startup', status: 200, message: 'started' })
    expect(health.phase).toBe('ready')
    // Liveness and readiness begin only now (the kubelet's rule), and both answer 200.
    expect(await probe('live')).toBe(200)
    expect(await probe('ready')).toBe(200)

    // The database goes away after startup: readiness fails, liveness does not (a restart would not help),
    // and startup stays passed (the kubelet does not run it again, and nothing else is started over).
    await dependency.close()
    expect(await probe('ready')).toBe(503)
    expect(await probe('live')).toBe(200)
    expect(await probe('startup')).toBe(200)
  } finally {
    await dependency.close()
    await prisma.$disconnect()
  }
})
