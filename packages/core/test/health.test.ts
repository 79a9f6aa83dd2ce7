import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Check, createHealth, defineCheck, type HealthChange } from '../src/index.js'

const ok = (name: string, extra: Partial<Check> = {}): Check => defineCheck({ name, run: () => {}, ...extra })
const failing = (name: string, message: string, extra: Partial<Check> = {}): Check =>
  defineCheck({
    name,
    run: () => {
      throw new Error(message)
    },
    ...extra,
  })
const get = (accept?: string) =>
  new Request('http://localhost/api/health', accept ? { headers: { accept } } : undefined)

describe('createHealth: report shape', () => {
  it('returns the guide JSON with integer latencies and process metrics', async () => {
    const health = createHealth({
      checks: [ok('database'), failing('cache', 'connection refused', { critical: false })],
      version: '2.3.4',
      environment: 'test',
    })
    const report = await health.run()
    expect(report.status).toBe('degraded')
    expect(report.version).toBe('2.3.4')
    expect(report.environment).toBe('test')
    expect(new Date(report.timestamp).toISOString()).toBe(report.timestamp)
    expect(report.uptime).toBeGreaterThan(0)
    expect(report.checks.database).toEqual({ status: 'ok', latency: expect.any(Number) })
    expect(report.checks.cache).toMatchObject({ status: 'error', message: 'connection refused' })
    expect(Number.isInteger(report.checks.cache?.latency)).toBe(true)
    expect(report.metrics?.memoryUsage).toBeGreaterThan(1)
    expect(report.metrics?.cpuUsage).toBeGreaterThan(0)
    expect(report.metrics?.requestsPerSecond).toBe(0)
  })

  it('defaults version and environment from APP_VERSION and NODE_ENV', async () => {
    vi.stubEnv('APP_VERSION', '9.9.9')
    vi.stubEnv('NODE_ENV', 'staging')
    try {
      const report = await createHealth({ checks: [] }).run()
      expect(report).toMatchObject({ version: '9.9.9', environment: 'staging', status: 'healthy' })
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('maps returned outcomes, nothing, non-Error throws and garbage', async () => {
    const health = createHealth({
      checks: [
        { name: 'nothing', run: () => undefined },
        {
          name: 'degraded',
          run: async () => ({ status: 'degraded', message: 'slow', details: { lagMs: 3 } }),
        },
        {
          name: 'string-throw',
          critical: false,
          run: () => Promise.reject('plain string'),
        },
        {
          name: 'object-throw',
          critical: false,
          run: () => {
            throw { code: 42 }
          },
        },
        { name: 'garbage', critical: false, run: () => ({ status: 'fine' }) as never },
      ],
    })
    const { checks, status } = await health.run()
    expect(status).toBe('degraded')
    expect(checks.nothing?.status).toBe('ok')
    expect(checks.degraded).toMatchObject({ status: 'degraded', message: 'slow', details: { lagMs: 3 } })
    expect(checks['string-throw']).toMatchObject({ status: 'error', message: 'plain string' })
    expect(checks['object-throw']).toMatchObject({ status: 'error', message: '{"code":42}' })
    expect(checks.garbage).toMatchObject({
      status: 'error',
      message: expect.stringContaining('invalid outcome'),
    })
  })

  it('scrubs secrets from check messages', async () => {
    const health = createHealth({
      checks: [
        failing(
          'database',
          'connect postgres://app:hunter2@db.internal:5432/shop failed; password=hunter2 key sk_live_abc123XYZ',
        ),
      ],
    })
    const message = (await health.run()).checks.database?.message ?? ''
    expect(message).not.toContain('hunter2')
    expect(message).not.toContain('abc123XYZ')
    expect(message).toContain('postgres://***@db.internal:5432/shop')
  })
})

describe('createHealth: policies', () => {
  const checks = () => [
    failing('database', 'down'),
    failing('cache', 'down', { critical: false }),
    ok('payment', { critical: false }),
  ]

  it('criticality: a critical error is unhealthy, a non-critical error is degraded', async () => {
    expect((await createHealth({ checks: checks() }).run()).status).toBe('unhealthy')
    const nonCritical = createHealth({
      checks: [ok('database'), failing('cache', 'down', { critical: false })],
    })
    expect((await nonCritical.run()).status).toBe('degraded')
    const degradedOnly = createHealth({ checks: [{ name: 'payment', run: () => ({ status: 'degraded' }) }] })
    expect((await degradedOnly.run()).status).toBe('degraded')
  })

  it("error-count: the guide's 0 / 1 / 2+ rule", async () => {
    const one = createHealth({ checks: [failing('database', 'x'), ok('cache')], policy: 'error-count' })
    expect((await one.run()).status).toBe('degraded')
    const two = createHealth({ checks: checks(), policy: 'error-count' })
    expect((await two.run()).status).toBe('unhealthy')
    const none = createHealth({ checks: [ok('a'), ok('b')], policy: 'error-count' })
    expect((await none.run()).status).toBe('healthy')
  })

  it('accepts a custom policy function with names and criticality', async () => {
    const policy = vi.fn(() => 'healthy' as const)
    await createHealth({ checks: checks(), policy }).run()
    expect(policy).toHaveBeenCalledWith(
      expect.arrayContaining([
        expect.objectContaining({ name: 'database', critical: true, status: 'error' }),
      ]),
    )
  })
})

describe('createHealth: option validation names the option', () => {
  it.each([
    [{ checks: [], timeoutMs: -1 }, /timeoutMs/],
    [{ checks: [], timeoutMs: Number.POSITIVE_INFINITY }, /timeoutMs/],
    [{ checks: [ok('a'), ok('a')] }, /checks\[1\]\.name.*"a"/],
    [{ checks: [ok('')] }, /checks\[0\]\.name/],
    [{ checks: [], policy: 'majority' }, /policy.*"majority"/],
    [{ checks: [ok('a', { timeoutMs: Number.NaN })] }, /checks\[0\]\.timeoutMs/],
    [{ checks: [ok('a', { cacheTtlMs: -5 })] }, /checks\[0\]\.cacheTtlMs/],
    [{ checks: [], details: 'sometimes' }, /details/],
  ])('rejects %j', (options, pattern) => {
    expect(() => createHealth(options as never)).toThrow(pattern)
  })
})

describe('createHealth: deadlines and single-flight (fake timers)', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('a hung check yields "timed out after <n>ms" at its deadline and sees its signal abort', async () => {
    let seen: AbortSignal | undefined
    const health = createHealth({
      checks: [
        {
          name: 'hung',
          timeoutMs: 200,
          run: ({ signal }) => {
            seen = signal
            return new Promise(() => {})
          },
        },
      ],
    })
    const pending = health.run()
    await vi.advanceTimersByTimeAsync(199)
    expect(seen?.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    const report = await pending
    expect(report.checks.hung).toEqual({ status: 'error', latency: 200, message: 'timed out after 200ms' })
    expect(seen?.aborted).toBe(true)
    expect(report.status).toBe('unhealthy')
  })

  it('keeps at most one run of a hung check in flight across probes', async () => {
    const run = vi.fn(() => new Promise<void>(() => {}))
    const health = createHealth({ checks: [{ name: 'hung', timeoutMs: 100, run }] })
    for (let i = 0; i < 5; i++) {
      const pending = health.run()
      await vi.advanceTimersByTimeAsync(100)
      expect((await pending).checks.hung?.message).toBe('timed out after 100ms')
    }
    expect(run).toHaveBeenCalledTimes(1)
  })

  it('a later probe joins the still-pending run and gets its result when it settles', async () => {
    let resolveRun: (() => void) | undefined
    const run = vi.fn(() => new Promise<void>((resolve) => (resolveRun = resolve)))
    const health = createHealth({ checks: [{ name: 'slow', timeoutMs: 100, run }] })
    const first = health.run()
    await vi.advanceTimersByTimeAsync(100)
    expect((await first).checks.slow?.status).toBe('error')
    const second = health.run()
    await vi.advanceTimersByTimeAsync(30)
    resolveRun?.()
    expect((await second).checks.slow).toEqual({ status: 'ok', latency: 30 })
    // The first run has settled, so the next probe starts a fresh one.
    const third = health.run()
    await vi.advanceTimersByTimeAsync(100)
    expect((await third).checks.slow?.status).toBe('error')
    expect(run).toHaveBeenCalledTimes(2)
  })

  it('1,000 simultaneous probes cause one call of each check', async () => {
    const run = vi.fn(async () => {
      await new Promise((r) => setTimeout(r, 50))
    })
    const health = createHealth({ checks: [{ name: 'db', run }] })
    const probes = Array.from({ length: 1000 }, () => health.handler(get()))
    await vi.advanceTimersByTimeAsync(50)
    const responses = await Promise.all(probes)
    expect(run).toHaveBeenCalledTimes(1)
    expect(responses.every((r) => r.status === 200)).toBe(true)
  })

  it('reuses a result within cacheTtlMs and runs again after it', async () => {
    const run = vi.fn(() => {})
    const health = createHealth({ checks: [{ name: 'payment', cacheTtlMs: 60_000, run }] })
    await health.run()
    await vi.advanceTimersByTimeAsync(59_999)
    await health.run()
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    await health.run()
    expect(run).toHaveBeenCalledTimes(2)
  })

  it('uses the health default timeout when the check sets none', async () => {
    const health = createHealth({
      checks: [{ name: 'hung', run: () => new Promise(() => {}) }],
      timeoutMs: 300,
    })
    const pending = health.run()
    await vi.advanceTimersByTimeAsync(300)
    expect((await pending).checks.hung?.message).toBe('timed out after 300ms')
  })
})

describe('createHealth: deadline with real timers', () => {
  it('a 200 ms timeout on a never-resolving check returns in well under a second', async () => {
    const health = createHealth({
      checks: [{ name: 'hung', timeoutMs: 200, run: () => new Promise(() => {}) }],
    })
    const started = performance.now()
    const response = await health.handler(get())
    expect(performance.now() - started).toBeLessThan(1000)
    expect(response.status).toBe(503)
  })
})

describe('health.handler', () => {
  it('answers 200 with the no-cache headers when healthy and 503 when unhealthy', async () => {
    const good = await createHealth({ checks: [ok('database')] }).handler(get())
    expect(good.status).toBe(200)
    expect(good.headers.get('content-type')).toBe('application/json')
    expect(good.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate')
    expect((await good.json()).status).toBe('healthy')

    const bad = await createHealth({ checks: [failing('database', 'down')] }).handler(get())
    expect(bad.status).toBe(503)
    expect((await bad.json()).checks.database.message).toBe('down')
  })

  it('degraded is still 200', async () => {
    const response = await createHealth({ checks: [failing('cache', 'down', { critical: false })] }).handler(
      get(),
    )
    expect(response.status).toBe(200)
    expect((await response.json()).status).toBe('degraded')
  })

  it('serves application/health+json when asked', async () => {
    const health = createHealth({
      checks: [ok('database'), failing('cache', 'refused', { critical: false })],
      version: '1.2.3',
    })
    const response = await health.handler(get('application/health+json'))
    expect(response.headers.get('content-type')).toBe('application/health+json')
    expect(response.status).toBe(200)
    const body = await response.json()
    expect(body.status).toBe('warn')
    expect(body.version).toBe('1.2.3')
    expect(body.checks['database:responseTime'][0]).toMatchObject({
      observedUnit: 'ms',
      status: 'pass',
      observedValue: expect.any(Number),
      time: expect.any(String),
    })
    expect(body.checks['cache:responseTime'][0]).toMatchObject({ status: 'fail', output: 'refused' })
  })

  it('with details denied carries only the overall status', async () => {
    const health = createHealth({
      checks: [failing('database', 'secret-ish internal message')],
      details: (req) => req.headers.get('x-health-token') === 'let-me-in',
    })
    const denied = await health.handler(get())
    expect(denied.status).toBe(503)
    expect(await denied.json()).toEqual({ status: 'unhealthy' })
    const deniedIetf = await health.handler(get('application/health+json'))
    expect(await deniedIetf.json()).toEqual({ status: 'fail' })
    const allowed = await health.handler(
      new Request('http://localhost/api/health', { headers: { 'x-health-token': 'let-me-in' } }),
    )
    expect((await allowed.json()).checks.database.message).toBe('secret-ish internal message')
    const never = createHealth({ checks: [ok('a')], details: 'never' })
    expect(await (await never.handler(get())).json()).toEqual({ status: 'healthy' })
  })

  it('answers 503 { status, error, timestamp } when the runner itself fails', async () => {
    const health = createHealth({
      checks: [ok('a')],
      environment: 'development',
      policy: () => {
        throw new Error('policy exploded token=abc')
      },
    })
    const response = await health.handler(get())
    expect(response.status).toBe(503)
    const body = await response.json()
    expect(body).toEqual({
      status: 'unhealthy',
      error: 'policy exploded token=***',
      timestamp: expect.any(String),
    })

    const production = createHealth({
      checks: [ok('a')],
      environment: 'production',
      policy: () => {
        throw new Error('internal detail')
      },
    })
    expect((await (await production.handler(get())).json()).error).toBe('health check failed')
  })

  it('handlerFor runs only the tagged group', async () => {
    const db = vi.fn(() => {})
    const cache = vi.fn(() => {
      throw new Error('down')
    })
    const health = createHealth({
      checks: [
        { name: 'database', tags: ['ready'], run: db },
        { name: 'cache', run: cache },
      ],
    })
    const ready = await health.handlerFor({ tags: ['ready'] })(get())
    expect(Object.keys((await ready.json()).checks)).toEqual(['database'])
    expect(cache).not.toHaveBeenCalled()
    const live = await health.handlerFor({ tags: ['live'] })(get())
    expect(await live.json()).toMatchObject({ status: 'healthy', checks: {} })
    expect(() => health.handlerFor({ tags: [] })).toThrow(/tags/)
  })

  it('setShuttingDown fails the full and ready handlers and keeps live at 200', async () => {
    const health = createHealth({ checks: [ok('database', { tags: ['ready'] })] })
    const full = health.handler
    const ready = health.handlerFor({ tags: ['ready'] })
    const live = health.handlerFor({ tags: ['live'] })
    health.setShuttingDown()
    expect(health.isShuttingDown).toBe(true)
    for (const handler of [full, ready]) {
      const response = await handler(get())
      expect(response.status).toBe(503)
      expect(await response.json()).toMatchObject({ status: 'unhealthy', message: 'shutting down' })
    }
    expect((await live(get())).status).toBe(200)
  })

  it('reports the request rate that adapters feed', async () => {
    const health = createHealth({ checks: [] })
    for (let i = 0; i < 30; i++) health.requestRate.mark()
    const report = await health.run()
    expect(report.metrics?.requestsPerSecond).toBeGreaterThan(0)
  })
})

describe('health.onChange / onReport', () => {
  it('notifies each transition of a check and of the whole, once per transition', async () => {
    let up = true
    const health = createHealth({
      checks: [
        {
          name: 'database',
          run: () => {
            if (!up) throw new Error('down')
          },
        },
      ],
    })
    const changes: HealthChange[] = []
    const reports: string[] = []
    const unsubscribe = health.onChange((c) => changes.push(c))
    health.onReport((r) => reports.push(r.status))
    health.onChange(() => {
      throw new Error('a broken listener must not break the probe')
    })
    await health.run()
    await health.run()
    up = false
    await health.run()
    up = true
    await health.run()
    expect(
      changes.flatMap((c) =>
        c.kind === 'check' ? [`${c.name}:${c.current.status}`] : c.kind === 'overall' ? [c.current] : [],
      ),
    ).toEqual(['database:ok', 'healthy', 'database:error', 'unhealthy', 'database:ok', 'healthy'])
    // The first pass of the one critical check also ends startup, once.
    expect(changes.filter((c) => c.kind === 'phase')).toEqual([
      { kind: 'phase', previous: 'starting', current: 'ready', reason: undefined },
    ])
    expect(reports).toEqual(['healthy', 'healthy', 'unhealthy', 'healthy'])
    unsubscribe()
    up = false
    await health.run()
    expect(changes).toHaveLength(7)
  })
})

describe('background mode', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('runs on an interval and handlers answer from the last results without calling checks', async () => {
    const run = vi.fn(() => {})
    const health = createHealth({ checks: [{ name: 'db', tags: ['ready'], run }] })
    health.start({ intervalMs: 10_000 })
    await vi.advanceTimersByTimeAsync(0)
    expect(run).toHaveBeenCalledTimes(1)
    for (let i = 0; i < 10; i++) await health.handler(get())
    await health.handlerFor({ tags: ['ready'] })(get())
    expect(run).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(run).toHaveBeenCalledTimes(2)
    health.stop()
    await vi.advanceTimersByTimeAsync(50_000)
    expect(run).toHaveBeenCalledTimes(2)
    expect(() => health.start({ intervalMs: 0 })).toThrow(/intervalMs/)
  })

  it('never waits on a hung dependency after the first report', async () => {
    let hang = false
    const health = createHealth({
      checks: [{ name: 'db', timeoutMs: 500, run: () => (hang ? new Promise<void>(() => {}) : undefined) }],
    })
    health.start({ intervalMs: 1000 })
    await vi.advanceTimersByTimeAsync(0)
    hang = true
    await vi.advanceTimersByTimeAsync(1000)
    // The next background run is now hanging; the handler must answer at once from the previous report.
    const response = await health.handler(get())
    expect((await response.json()).checks.db.status).toBe('ok')
    await vi.advanceTimersByTimeAsync(500)
    expect((await (await health.handler(get())).json()).checks.db.message).toBe('timed out after 500ms')
    health.stop()
  })
})

describe('errorCacheTtlMs', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('reuses an error for its own, shorter time and a good result for cacheTtlMs', async () => {
    let up = false
    const run = vi.fn(() => {
      if (!up) throw new Error('down')
    })
    const health = createHealth({
      checks: [{ name: 'payment', cacheTtlMs: 60_000, errorCacheTtlMs: 5_000, run }],
    })
    expect((await health.run()).checks.payment?.status).toBe('error')
    await vi.advanceTimersByTimeAsync(4_999)
    await health.run()
    expect(run).toHaveBeenCalledTimes(1)
    up = true
    await vi.advanceTimersByTimeAsync(1)
    expect((await health.run()).checks.payment?.status).toBe('ok')
    await vi.advanceTimersByTimeAsync(59_999)
    await health.run()
    expect(run).toHaveBeenCalledTimes(2)
    expect(() => createHealth({ checks: [{ name: 'x', errorCacheTtlMs: -1, run }] })).toThrow(
      /errorCacheTtlMs/,
    )
  })
})

describe('what a check resolves to', () => {
  it('a resolved value is a dependency that answered; a claimed status that is not one is garbage', async () => {
    const response = (status: number) => new Response(null, { status })
    const health = createHealth({
      includeMetrics: false,
      checks: [
        { name: 'pong', run: async () => 'PONG' as never },
        { name: 'rows', run: async () => [{ '?column?': 1 }] as never },
        { name: 'result', run: async () => ({ command: 'SELECT', rowCount: 1, rows: [] }) as never },
        { name: 'http-ok', run: async () => response(204) as never },
        { name: 'http-fail', critical: false, run: async () => response(503) as never },
        { name: 'claimed', critical: false, run: async () => ({ status: 'green' }) as never },
      ],
    })
    const { checks } = await health.run()
    for (const name of ['pong', 'rows', 'result', 'http-ok']) expect(checks[name]?.status, name).toBe('ok')
    expect(checks['http-fail']).toMatchObject({ status: 'error', message: 'HTTP 503' })
    expect(checks.claimed).toMatchObject({
      status: 'error',
      message: expect.stringContaining('invalid outcome'),
    })
  })
})
