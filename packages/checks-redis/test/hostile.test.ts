import { EventEmitter } from 'node:events'
import { createHealth, messageOf } from '@vivr/core'
import { expectScrubbedFailure } from '@vivr/testkit/contracts'
import { type ThrownCase, throwingProxy, thrownValue } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type RedisLike, redisCheck } from '../src/index.js'

/*
 * An ioredis client whose PING (or INFO, or its status) throws or rejects with anything: the check answers an
 * `error` entry with a scrubbed, bounded message, never a throw, never a stall, never an unhandled rejection,
 * and the next probe is not stuck behind the failed one. The clients are structural fakes (redisCheck takes any
 * RedisLike); check.integration.test.ts runs real ioredis clients against real Redis servers.
 */

const runs = { seed: 515_151, numRuns: 200 }
const never = () => new AbortController().signal

type How = 'throws' | 'rejects'

function client(ping: () => Promise<unknown>, extra: Partial<RedisLike> = {}): RedisLike {
  return {
    status: 'ready',
    ping,
    info: async () => 'used_memory:1\r\nconnected_clients:2\r\n',
    connect: async () => undefined,
    once: () => undefined,
    removeListener: () => undefined,
    ...extra,
  }
}

function failing(thrown: ThrownCase, how: How): () => Promise<unknown> {
  return () => {
    const value = thrown.make()
    if (how === 'throws') throw value
    return Promise.reject(value)
  }
}

// A rejection nobody handles fails this suite: the check must handle every promise it makes.
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
beforeEach(() => {
  unhandled.length = 0
  process.on('unhandledRejection', onUnhandled)
})
afterEach(async () => {
  await new Promise((resolve) => setTimeout(resolve, 10))
  process.off('unhandledRejection', onUnhandled)
  expect(unhandled.map((reason) => messageOf(reason))).toEqual([])
})

describe('redisCheck when the client throws hostile values', () => {
  it('answers error with a scrubbed, bounded message and never rejects', async () => {
    await fc.assert(
      fc.asyncProperty(
        thrownValue(),
        fc.constantFrom<How>('throws', 'rejects'),
        fc.boolean(),
        async (thrown, how, details) => {
          const check = redisCheck(client(failing(thrown, how)), { details })
          await expectScrubbedFailure(check, thrown)
        },
      ),
      runs,
    )
  })

  it('a PING that throws at once does not leave the next probe stuck on it', async () => {
    let calls = 0
    const check = redisCheck(
      client(() => {
        calls++
        if (calls === 1) throw new Error('redis://:hunter2redis@cache:6379 refused')
        return Promise.resolve('PONG')
      }),
    )
    const first = await check.run({ signal: never() })
    expect(first).toEqual({ status: 'error', message: 'redis://***@cache:6379 refused' })
    expect(await check.run({ signal: never() })).toEqual({ status: 'ok' })
    expect(calls).toBe(2)
  })

  it('INFO that throws anything leaves PING to decide', async () => {
    const check = redisCheck(
      client(async () => 'PONG', {
        info: () => {
          throw throwingProxy()
        },
      }),
      { details: true },
    )
    expect(await check.run({ signal: never() })).toEqual({ status: 'ok', details: {} })
  })

  it('a status that cannot be read, or is not a string, is an error entry', async () => {
    const unreadable = client(async () => 'PONG')
    Object.defineProperty(unreadable, 'status', {
      get() {
        throw new Error('status getter: rediss://default:statusPass7@cache')
      },
    })
    const symbolic = client(async () => 'PONG', { status: Symbol('ready') as unknown as string })
    const secretive = client(async () => 'PONG', { status: 'weird rediss://default:statusPass8@cache' })
    for (const redis of [unreadable, symbolic, secretive]) {
      const outcome = await redisCheck(redis).run({ signal: never() })
      expect(outcome?.status).toBe('error')
      expect(outcome?.message).not.toMatch(/statusPass/)
    }
  })

  it('a lazy client whose connect() throws at once still gets its PING once it is ready', async () => {
    const emitter = new EventEmitter()
    const lazy = Object.assign(emitter, {
      status: 'wait',
      ping: async () => 'PONG',
      info: async () => '',
      connect(): Promise<unknown> {
        setTimeout(() => {
          lazy.status = 'ready'
          emitter.emit('ready')
        }, 5)
        throw new Error('connect threw synchronously')
      },
    })
    expect(await redisCheck(lazy).run({ signal: never() })).toEqual({ status: 'ok' })
    expect(emitter.listenerCount('ready')).toBe(0)
  })

  it('through a health run: the report carries the error entry and no secret', async () => {
    const secret = 'hunter2redisQ'
    const health = createHealth({
      checks: [
        redisCheck(
          client(async () => {
            throw new Error(`ERR AUTH failed for redis://default:${secret}@cache:6379`)
          }),
        ),
      ],
    })
    const report = await health.run()
    expect(report.checks.cache).toMatchObject({ status: 'error', message: expect.stringContaining('***') })
    expect(JSON.stringify(report)).not.toContain(secret)
  })
})
