import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { datadogMetrics } from '@vivr/sink-datadog'
import { type DogStatsDMessage, memoryLogger, parseDogStatsDLine, splitDatagram } from '@vivr/testkit'
import { createSocket } from 'unix-dgram'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { GLOBAL_TAGS, pinDatadogEnv } from './env.js'

/** The agent's side of DogStatsD over a Unix datagram socket, parsed with the testkit's DogStatsD parser. */
function startUnixAgent(path: string) {
  const datagrams: Buffer[] = []
  const messages: DogStatsDMessage[] = []
  const socket = createSocket('unix_dgram', (message) => {
    datagrams.push(message)
    for (const line of splitDatagram(message.toString('utf8'))) {
      const parsed = parseDogStatsDLine(line)
      if (parsed) messages.push(parsed)
    }
  })
  socket.bind(path)
  return {
    datagrams,
    messages,
    async waitFor(count: number) {
      const deadline = Date.now() + 2000
      while (messages.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      expect(messages).toHaveLength(count)
    },
    close: () => socket.close(),
  }
}

let dir: string
beforeEach(() => {
  pinDatadogEnv()
  dir = mkdtempSync(join(tmpdir(), 'vivr-dsd-'))
})
afterEach(() => {
  vi.unstubAllEnvs()
  rmSync(dir, { recursive: true, force: true })
})

describe('datadogMetrics over the agent Unix socket', () => {
  it('delivers to socketPath in datagrams of at most 8 KiB', async () => {
    const path = join(dir, 'dsd.socket')
    const agent = startUnixAgent(path)
    try {
      const sink = datadogMetrics({ socketPath: path })
      for (let i = 0; i < 500; i++) sink.timing('api.response_time', i, { route: `/api/products/${i}` })
      sink.serviceCheck('health.database', 'ok')
      await sink.close()
      await agent.waitFor(501)
      // Samples are held for packing until the interval ends; the service check goes out as it comes.
      const metrics = agent.messages.filter((m) => m.kind === 'metric')
      expect(metrics[0]).toMatchObject({
        name: 'vivr.api.response_time',
        values: [0],
        type: 'ms',
        tags: [...GLOBAL_TAGS, 'route:/api/products/0'],
      })
      expect(metrics.map((m) => m.value)).toEqual(Array.from({ length: 500 }, (_, i) => i))
      expect(agent.messages.filter((m) => m.kind === 'serviceCheck')).toEqual([
        expect.objectContaining({ name: 'vivr.health.database', status: 0 }),
      ])
      expect(agent.datagrams.length).toBeLessThan(20)
      for (const datagram of agent.datagrams) expect(datagram.length).toBeLessThanOrEqual(8192)
      expect(sink.stats()).toMatchObject({ sent: 501, sendErrors: 0 })
    } finally {
      agent.close()
    }
  })

  it('uses DD_DOGSTATSD_SOCKET when no host or port is given', async () => {
    const path = join(dir, 'env.socket')
    const agent = startUnixAgent(path)
    try {
      pinDatadogEnv({ DD_DOGSTATSD_SOCKET: path, DD_AGENT_HOST: '127.0.0.1' })
      const sink = datadogMetrics()
      sink.increment('orders.created', 3)
      await sink.close()
      await agent.waitFor(1)
      expect(agent.messages[0]).toMatchObject({ name: 'vivr.orders.created', value: 3, type: 'c' })
    } finally {
      agent.close()
    }
  })

  it('a socket path nobody listens on: no throw, failures counted, logged once and summed up on close', async () => {
    const logger = memoryLogger()
    const sink = datadogMetrics({ socketPath: join(dir, 'missing.socket'), logger })
    for (let round = 0; round < 3; round++) {
      expect(() => sink.timing('api.response_time', round)).not.toThrow()
      await sink.flush()
    }
    expect(logger.find({ level: 'WARN', message: 'datadog metrics' })).toHaveLength(1)
    await expect(sink.close()).resolves.toBeUndefined()
    const errors = sink.stats().sendErrors
    expect(errors).toBeGreaterThanOrEqual(3)
    const warnings = logger.find({ level: 'WARN', message: 'datadog metrics' })
    expect(warnings).toHaveLength(2)
    expect(warnings[1]).toMatchObject({ suppressed: errors - 1 })
  })
})
