import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createDamper } from '../src/health/damping.js'
import { type CheckResult, createHealth, type HealthChange, healthEndpoints } from '../src/index.js'

const get = (path = '/') => new Request(`http://localhost${path}`)
const answer = async (handler: (request: Request) => Promise<Response>) => {
  const response = await handler(get())
  return { status: response.status, body: (await response.json()) as { status: string; message?: string } }
}
const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('phases: starting → ready ⇄ not ready → draining (docs/health.md#states)', () => {
  it('startup answers 503 until every critical check has passed once, running the ones that have not', async () => {
    let databaseUp = false
    let databaseRuns = 0
    const health = createHealth({
      includeMetrics: false,
      checks: [
        {
          name: 'database',
          run: () => {
            databaseRuns++
            if (!databaseUp) throw new Error('connection refused')
          },
        },
        { name: 'search', critical: false, run: () => Promise.reject(new Error('down')) },
      ],
    })
    const endpoints = healthEndpoints(health)
    expect(health.phase).toBe('starting')
    let startup = await answer(endpoints.startup)
    expect(startup).toMatchObject({
      status: 503,
      body: { message: 'starting: waiting for database to pass once' },
    })
    expect(databaseRuns).toBe(1)
    // Liveness never depends on the phase.
    expect((await endpoints.live(get())).status).toBe(200)
    databaseUp = true
    startup = await answer(endpoints.startup)
    expect(startup).toMatchObject({ status: 200, body: { status: 'healthy', message: 'started' } })
    expect(health.phase).toBe('ready')
    // Once started, startup runs nothing (Kubernetes stops asking; anyone else gets 200 at no cost).
    await answer(endpoints.startup)
    expect(databaseRuns).toBe(2)
  })

  it('any run ends startup too (a background run, /health), and startupTimeoutMs bounds it', async () => {
    const health = createHealth({ includeMetrics: false, checks: [{ name: 'database', run: () => {} }] })
    await health.run()
    expect(health.phase).toBe('ready')

    const stuck = createHealth({
      includeMetrics: false,
      startupTimeoutMs: 30,
      checks: [{ name: 'database', run: () => Promise.reject(new Error('down')) }],
    })
    const changes: HealthChange[] = []
    stuck.onChange((c) => changes.push(c))
    expect((await stuck.startupHandler(get())).status).toBe(503)
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(stuck.phase).toBe('ready')
    expect((await stuck.startupHandler(get())).status).toBe(200)
    expect(changes.filter((c) => c.kind === 'phase')).toEqual([
      { kind: 'phase', previous: 'starting', current: 'ready', reason: undefined },
    ])
  })

  it('markNotReady fails readiness with its (scrubbed) reason until markReady; liveness stays 200', async () => {
    const health = createHealth({ includeMetrics: false, checks: [{ name: 'database', run: () => {} }] })
    await health.run()
    health.markNotReady('maintenance, token=abc123secret')
    expect(health.phase).toBe('not ready')
    const ready = await answer(health.readinessHandler)
    expect(ready.status).toBe(503)
    expect(ready.body.message).toBe('not ready: maintenance, token=***')
    expect((await health.handlerFor({ tags: ['live'] })(get())).status).toBe(200)
    health.markReady()
    expect((await health.readinessHandler(get())).status).toBe(200)
  })

  it('blockReadiness names the task while it blocks, and releases it when it settles, fails or times out', async () => {
    const health = createHealth({ includeMetrics: false, checks: [{ name: 'database', run: () => {} }] })
    await health.run()
    const changes: HealthChange[] = []
    health.onChange((c) => changes.push(c))
    let warm!: () => void
    health.blockReadiness('cache-warm', new Promise<void>((resolve) => (warm = resolve)))
    health.blockReadiness('config', Promise.reject(new Error('no config at https://u:pw@conf.internal')))
    health.blockReadiness('migrations', new Promise(() => {}), { timeoutMs: 20 })
    expect((await answer(health.readinessHandler)).body.message).toMatch(/^not ready: waiting for cache-warm/)
    await tick()
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect((await answer(health.readinessHandler)).body.message).toBe('not ready: waiting for cache-warm')
    warm()
    await tick()
    expect((await health.readinessHandler(get())).status).toBe(200)
    const tasks = changes.filter((c) => c.kind === 'blocking task')
    expect(tasks.map((t) => `${t.name} ${t.outcome}`)).toEqual([
      'config failed',
      'migrations timed out',
      'cache-warm done',
    ])
    expect(JSON.stringify(tasks)).not.toContain(':pw@')
    expect(() => health.blockReadiness('', Promise.resolve())).toThrow(/Invalid option name/)
    expect(() => health.blockReadiness('x', 'not a promise' as never)).toThrow(/Invalid option task/)
    const unreadable = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap')
        },
      },
    )
    expect(() => health.blockReadiness('x', unreadable as never)).toThrow(/Invalid option task/)
    expect(() => health.blockReadiness('x'.repeat(201), Promise.resolve())).toThrow(/Invalid option name/)
    // A reason that cannot be read as text (a throwing toString) is still a reason, never a throw.
    const hostile = {
      toString: () => {
        throw new Error('no')
      },
    }
    expect(() => health.markNotReady(hostile as never)).not.toThrow()
    expect(health.phase).toBe('not ready')
    health.markReady()
  })

  it('draining is final: readiness and /health 503, live 200, markReady does not undo it', async () => {
    const health = createHealth({ includeMetrics: false, checks: [{ name: 'database', run: () => {} }] })
    await health.run()
    health.setShuttingDown()
    health.markReady()
    expect(health.phase).toBe('draining')
    expect(await answer(health.readinessHandler)).toMatchObject({
      status: 503,
      body: { message: 'shutting down' },
    })
    expect((await health.handler(get())).status).toBe(503)
    expect((await health.handlerFor({ tags: ['live'] })(get())).status).toBe(200)
  })
})

describe('flap damping (failAfter, recoverAfter)', () => {
  const ok: CheckResult = { status: 'ok', latency: 1 }
  const error: CheckResult = { status: 'error', latency: 1, message: 'ECONNRESET' }

  it('reports degraded, saying it is failing, until failAfter failures in a row; recovers after recoverAfter', () => {
    const damp = createDamper({ failAfter: 3, recoverAfter: 2 })
    expect(damp(error)).toEqual({
      status: 'degraded',
      latency: 1,
      message: 'failing, 1 of 3 before error: ECONNRESET',
      raw: { status: 'error', message: 'ECONNRESET' },
    })
    expect(damp(error).status).toBe('degraded')
    expect(damp(error)).toBe(error)
    expect(damp(ok)).toMatchObject({
      status: 'error',
      raw: { status: 'ok' },
      message: expect.stringMatching(/^recovering, 1 of 2/),
    })
    expect(damp(ok)).toBe(ok)
  })

  it('with the defaults (1, 1) reports every raw result as it is', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 50 }), (runs) => {
        const damp = createDamper({ failAfter: 1, recoverAfter: 1 })
        for (const up of runs) {
          const raw = up ? ok : error
          expect(damp(raw)).toBe(raw)
        }
      }),
      { seed: 16, numRuns: 200 },
    )
  })

  it('a flapping dependency (never failAfter failures in a row) is never an error and makes one incident', () => {
    fc.assert(
      fc.property(
        // Runs of 1–2 failures separated by 1–2 successes: flapping, never 3 failures in a row.
        fc.array(fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })), {
          minLength: 1,
          maxLength: 30,
        }),
        (pattern) => {
          const damp = createDamper({ failAfter: 3, recoverAfter: 3 })
          const statuses = pattern.flatMap(([failures, successes]) => [
            ...Array.from({ length: failures }, () => damp(error).status),
            ...Array.from({ length: successes }, () => damp(ok).status),
          ])
          for (let i = 0; i < 3; i++) statuses.push(damp(ok).status)
          expect(statuses).not.toContain('error')
          const transitions = statuses.filter((s, i) => i > 0 && s !== statuses[i - 1]).length
          // ok → degraded when the flapping starts (the first status is already degraded), → ok once it stops.
          expect(transitions).toBeLessThanOrEqual(1)
          expect(statuses.at(-1)).toBe('ok')
        },
      ),
      { seed: 1610, numRuns: 300 },
    )
  })

  it('is wired into checks: the report shows the raw result beside the damped status, transitions once', async () => {
    let up = true
    const health = createHealth({
      includeMetrics: false,
      checks: [
        {
          name: 'cache',
          critical: false,
          failAfter: 3,
          run: () => (up ? undefined : { status: 'error', message: 'timeout' }),
        },
      ],
    })
    const changes: string[] = []
    health.onChange((c) => {
      if (c.kind === 'check') changes.push(c.current.status)
    })
    await health.run()
    up = false
    const report = await health.run()
    expect(report.checks.cache).toMatchObject({
      status: 'degraded',
      raw: { status: 'error', message: 'timeout' },
    })
    await health.run()
    up = true
    await health.run()
    expect(changes).toEqual(['ok', 'degraded', 'ok'])
    expect(() => createHealth({ checks: [{ name: 'x', failAfter: 0, run: () => {} }] })).toThrow(
      /Invalid option checks\[0\]\.failAfter/,
    )
  })
})
