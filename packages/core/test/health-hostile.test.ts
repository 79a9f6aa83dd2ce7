import { hostileValue, throwingProxy } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Check, createHealth, type HealthReport } from '../src/index.js'

const get = (accept?: string) =>
  new Request('http://localhost/api/health', accept ? { headers: { accept } } : undefined)
const ACCEPTS = [undefined, 'application/health+json', 'text/html'] as const

/** A value that throws whatever is done with it, and throws itself when caught and inspected. */
function evil(): object {
  const trap = () => {
    throw throwingProxy()
  }
  return new Proxy(() => {}, {
    get: trap,
    has: trap,
    ownKeys: trap,
    getOwnPropertyDescriptor: trap,
    getPrototypeOf: trap,
    apply: trap,
  })
}

function errorWithMessage(descriptor: PropertyDescriptor): Error {
  const error = new Error('original')
  Object.defineProperty(error, 'message', { configurable: true, ...descriptor })
  return error
}

const throwingToString = () => ({
  toString() {
    throw evil()
  },
  toJSON() {
    throw evil()
  },
  [Symbol.toPrimitive]() {
    throw evil()
  },
})

/** Every way a check can fail with garbage: each must become an `error` entry with a readable message. */
const GARBAGE: ReadonlyArray<[string, () => unknown]> = [
  ['an Error with a numeric message', () => errorWithMessage({ value: 42 })],
  ['an Error with an object message', () => errorWithMessage({ value: { nested: { deep: 1 } } })],
  [
    'an Error whose message getter throws',
    () =>
      errorWithMessage({
        get() {
          throw evil()
        },
      }),
  ],
  ['a Proxy whose every trap throws', () => throwingProxy()],
  ['a Proxy that throws a Proxy', () => evil()],
  ['an object with a throwing toString and toJSON', throwingToString],
  ['a Symbol', () => Symbol('odd')],
  ['a BigInt', () => 10n],
]

function hostileChecks(): Check[] {
  const checks: Check[] = []
  for (const [label, make] of GARBAGE) {
    checks.push({
      name: `throws ${label}`,
      critical: false,
      run: () => {
        throw make()
      },
    })
    checks.push({ name: `rejects with ${label}`, critical: false, run: () => Promise.reject(make()) })
  }
  const returned: ReadonlyArray<[string, () => unknown]> = [
    ['a Proxy whose every trap throws', () => throwingProxy()],
    ['a Proxy that throws a Proxy', () => evil()],
    // Any resolved value without a status is a dependency that answered (ok); one that claims a status it
    // cannot have is garbage, and its message must still be readable.
    [
      'a claimed status with a throwing toString and toJSON',
      () => Object.assign(throwingToString(), { status: 'green' }),
    ],
    [
      'an outcome whose status getter throws',
      () => ({
        get status() {
          throw evil()
        },
      }),
    ],
    [
      'an outcome whose message getter throws',
      () => ({
        status: 'ok',
        get message() {
          throw evil()
        },
      }),
    ],
    [
      'an outcome whose details getter throws',
      () => ({
        status: 'ok',
        get details() {
          throw evil()
        },
      }),
    ],
    ['a thenable whose then getter throws', () => Object.defineProperty({}, 'then', { get: evil })],
  ]
  for (const [label, make] of returned) {
    checks.push({ name: `returns ${label}`, critical: false, run: () => make() as never })
  }
  return checks
}

function expectReadableErrors(report: HealthReport, names: readonly string[]): void {
  for (const name of names) {
    const result = report.checks[name]
    expect(result, name).toMatchObject({ status: 'error', message: expect.any(String) })
    expect(result?.message?.length, name).toBeGreaterThan(0)
  }
}

let unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
beforeEach(() => {
  unhandled = []
  process.on('unhandledRejection', onUnhandled)
})
afterEach(() => {
  process.off('unhandledRejection', onUnhandled)
})
/** Lets any stray rejection surface before asserting there was none. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20))

describe('hostile checks never crash anything', () => {
  it('every garbage throw, rejection or return becomes an error entry with a readable message', async () => {
    const checks = hostileChecks()
    const health = createHealth({ checks, includeMetrics: false })
    const report = await health.run()
    expectReadableErrors(
      report,
      checks.map((c) => c.name),
    )
    expect(report.checks['throws an Error with a numeric message']?.message).toBe('42')
    expect(report.status).toBe('degraded')
    expect(JSON.parse(JSON.stringify(report)).checks).toEqual(report.checks)
    await settle()
    expect(unhandled).toEqual([])
  })

  it('every rendering answers, with one status code, and listeners (even async ones that reject) do no harm', async () => {
    const health = createHealth({ checks: hostileChecks(), includeMetrics: false, details: 'always' })
    const seen: string[] = []
    health.onChange((change) => seen.push(change.kind))
    health.onReport(() => seen.push('report'))
    health.onChange(async () => {
      throw evil()
    })
    health.onReport(() => Promise.reject(evil()))
    health.onReport(() => {
      throw evil()
    })
    for (const accept of ACCEPTS) {
      const response = await health.handler(get(accept))
      expect(response.status, accept).toBe(200)
      await response.text()
    }
    expect(seen).toContain('report')
    expect(seen).toContain('overall')
    await settle()
    expect(unhandled).toEqual([])
  })

  it('reads each field of a returned outcome once, so a getter cannot change its answer', async () => {
    let reads = 0
    const health = createHealth({
      checks: [
        {
          name: 'flip',
          run: () =>
            ({
              get status() {
                return reads++ === 0 ? 'ok' : '<b>bogus</b>'
              },
            }) as never,
        },
      ],
    })
    const report = await health.run()
    expect(report.checks.flip?.status).toBe('ok')
    expect(reads).toBe(1)
  })
})

describe('hostile checks in background mode', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('the loop keeps running and every run and handler answers', async () => {
    const checks = hostileChecks()
    const health = createHealth({ checks, includeMetrics: false })
    const reports: HealthReport[] = []
    health.onReport((report) => reports.push(report))
    health.onReport(async () => {
      throw evil()
    })
    health.start({ intervalMs: 1000 })
    await vi.advanceTimersByTimeAsync(0)
    await vi.advanceTimersByTimeAsync(3000)
    expect(reports).toHaveLength(4)
    expectReadableErrors(
      await health.run(),
      checks.map((c) => c.name),
    )
    expect((await health.handler(get())).status).toBe(200)
    health.stop()
    vi.useRealTimers()
    await settle()
    expect(unhandled).toEqual([])
  })

  it('a policy that throws does not crash the process: the handler answers 503', async () => {
    const health = createHealth({
      checks: [{ name: 'a', run: () => {} }],
      environment: 'production',
      policy: () => {
        throw evil()
      },
    })
    health.start({ intervalMs: 1000 })
    await vi.advanceTimersByTimeAsync(2500)
    const response = await health.handler(get())
    expect(response.status).toBe(503)
    expect((await response.json()).error).toBe('health check failed')
    health.stop()
    vi.useRealTimers()
    await settle()
    expect(unhandled).toEqual([])
  })
})

describe('check details are sanitized once, when the result is produced', () => {
  const circular = () => {
    const value: Record<string, unknown> = { name: 'loop' }
    value.self = value
    return value
  }
  const details = () => ({
    rows: 12345678901234567890n,
    loop: circular(),
    get broken() {
      throw evil()
    },
    json: {
      toJSON() {
        throw evil()
      },
    },
    proxy: throwingProxy(),
    password: 'hunter2',
    url: 'postgres://app:hunter2@db.internal:5432/shop',
    fine: { lagMs: 3, ok: true },
  })

  it('run() and onReport see the same JSON-safe, redacted, scrubbed copy', async () => {
    const health = createHealth({
      checks: [{ name: 'database', run: () => ({ status: 'ok', details: details() }) }],
    })
    let fromListener: HealthReport | undefined
    health.onReport((report) => {
      fromListener = report
    })
    const report = await health.run()
    const copy = report.checks.database?.details ?? {}
    expect(fromListener?.checks.database?.details).toBe(copy)
    expect(copy.rows).toBe('12345678901234567890')
    expect(copy.loop).toEqual({ name: 'loop', self: '[Circular]' })
    expect(copy.broken).toBe('[Unreadable]')
    expect(copy.password).toBe('[REDACTED]')
    expect(copy.fine).toEqual({ lagMs: 3, ok: true })
    const text = JSON.stringify(report)
    expect(text).not.toContain('hunter2')
    expect(JSON.parse(text).checks.database.details).toEqual(copy)
  })

  it('all three renderings agree on the status code, whatever the details', async () => {
    const health = createHealth({
      checks: [{ name: 'database', run: () => ({ status: 'ok', details: details() }) }],
      details: 'always',
    })
    for (const accept of ACCEPTS) {
      const response = await health.handler(get(accept))
      expect(response.status, accept).toBe(200)
      const text = await response.text()
      expect(text).not.toContain('hunter2')
      if (accept === undefined)
        expect(JSON.parse(text).checks.database.details.rows).toBe('12345678901234567890')
    }
  })

  it('details that are not a plain object are kept as a value', async () => {
    const health = createHealth({
      checks: [
        { name: 'proxy', run: () => ({ status: 'ok', details: throwingProxy() as never }) },
        { name: 'list', run: () => ({ status: 'ok', details: [1, 2n] as never }) },
      ],
    })
    const { checks } = await health.run()
    expect(checks.proxy?.details).toEqual({ value: '[Unreadable]' })
    expect(checks.list?.details).toEqual({ value: [1, '2'] })
  })

  it('property: any hostile details give the same status code in every rendering', async () => {
    await fc.assert(
      fc.asyncProperty(hostileValue(), async (hostile) => {
        const health = createHealth({
          checks: [{ name: 'check', run: () => ({ status: 'ok', details: { value: hostile.make() } }) }],
          details: 'always',
          includeMetrics: false,
        })
        for (const accept of ACCEPTS) {
          const response = await health.handler(get(accept))
          expect(response.status).toBe(200)
          if (accept !== 'text/html') JSON.parse(await response.text())
        }
      }),
      { seed: 20_241_130, numRuns: 60 },
    )
  })
})

describe('check details in responses (the details rule)', () => {
  const checks = (): Check[] => [
    { name: 'database', run: () => ({ status: 'degraded', message: 'slow', details: { lagMs: 3 } }) },
  ]

  it('with the option unset, responses carry status, latency and message but no details object', async () => {
    const health = createHealth({ checks: checks() })
    const body = await (await health.handler(get())).json()
    expect(body.checks.database).toEqual({ status: 'degraded', latency: expect.any(Number), message: 'slow' })
    // run() keeps them.
    expect((await health.run()).checks.database?.details).toEqual({ lagMs: 3 })
  })

  it("details: 'always' or a granting function carries them", async () => {
    const always = createHealth({ checks: checks(), details: 'always' })
    expect((await (await always.handler(get())).json()).checks.database.details).toEqual({ lagMs: 3 })
    const granted = createHealth({
      checks: checks(),
      details: (request) => request.headers.get('x-token') === 'yes',
    })
    const withToken = new Request('http://localhost/api/health', { headers: { 'x-token': 'yes' } })
    expect((await (await granted.handler(withToken)).json()).checks.database.details).toEqual({ lagMs: 3 })
    expect(await (await granted.handler(get())).json()).toEqual({ status: 'degraded' })
  })
})
