import { type Check, createHealth, outcomeOf } from '@vivr/core'
import { describe, expect, it } from 'vitest'

export interface CheckContractOptions<T> {
  /** Builds the dependency (client) in each state; called once per test. */
  healthy: () => T | Promise<T>
  /** A dependency that fails fast (wrong port, bad credentials...). */
  failing: () => T | Promise<T>
  /** A dependency that accepts and never answers; the check must still return by its deadline. */
  hanging?: () => T | Promise<T>
  /** Strings that must never appear in a message (passwords, keys in the failing dependency's config). */
  secrets?: string[]
  /** Statuses a healthy dependency may report. @default ['ok'] */
  healthyStatuses?: Array<'ok' | 'degraded'>
  /** Releases a dependency after each test. */
  dispose?: (dependency: T) => void | Promise<void>
}

const TIMEOUT_MS = 300
const GENEROUS_MS = 1500

/**
 * The behaviour every check package must show, run against its real dependency. `makeCheck` receives the
 * dependency and the timeout to use.
 */
export function describeCheckContract<T>(
  name: string,
  makeCheck: (dependency: T, options: { timeoutMs: number }) => Check,
  options: CheckContractOptions<T>,
): void {
  const healthyStatuses = options.healthyStatuses ?? ['ok']

  async function withDependency(state: () => T | Promise<T>, body: (dependency: T) => Promise<void>) {
    const dependency = await state()
    try {
      await body(dependency)
    } finally {
      await options.dispose?.(dependency)
    }
  }

  describe(`${name} satisfies the check contract`, () => {
    it('reports a healthy dependency as ok, with an integer latency', async () => {
      await withDependency(options.healthy, async (dependency) => {
        const check = makeCheck(dependency, { timeoutMs: GENEROUS_MS })
        expect(check.name).toMatch(/\S/)
        const report = await createHealth({ checks: [check] }).run()
        const result = report.checks[check.name]
        expect(healthyStatuses).toContain(result?.status)
        expect(Number.isInteger(result?.latency)).toBe(true)
      })
    })

    it('maps a failing dependency to error with a scrubbed message, without throwing out of run', async () => {
      await withDependency(options.failing, async (dependency) => {
        const check = makeCheck(dependency, { timeoutMs: GENEROUS_MS })
        const outcome = outcomeOf(await check.run({ signal: new AbortController().signal }))
        expect(outcome?.status).toBe('error')
        expect(outcome?.message).toMatch(/\S/)
        for (const secret of options.secrets ?? []) expect(outcome?.message).not.toContain(secret)
        const report = await createHealth({ checks: [check] }).run()
        const message = report.checks[check.name]?.message ?? ''
        expect(report.checks[check.name]?.status).toBe('error')
        expect(message).not.toMatch(/:\/\/[^*\s/]+:[^\s@]+@/)
        for (const secret of options.secrets ?? []) expect(message).not.toContain(secret)
      })
    })

    if (options.hanging) {
      const hanging = options.hanging
      it('returns within its timeout when the dependency hangs', async () => {
        await withDependency(hanging, async (dependency) => {
          const check = makeCheck(dependency, { timeoutMs: TIMEOUT_MS })
          const started = performance.now()
          const report = await createHealth({ checks: [check] }).run()
          expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + GENEROUS_MS)
          expect(report.checks[check.name]?.status).toBe('error')
        })
      })

      it('honours the AbortSignal: run settles soon after the signal fires', async () => {
        await withDependency(hanging, async (dependency) => {
          const check = makeCheck(dependency, { timeoutMs: 60_000 })
          const controller = new AbortController()
          const started = performance.now()
          setTimeout(() => controller.abort(new Error('probe abandoned')), TIMEOUT_MS)
          const outcome = outcomeOf(await check.run({ signal: controller.signal }))
          expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + GENEROUS_MS)
          expect(outcome?.status).toBe('error')
        })
      })
    }

    it('settles promptly and does not throw when the signal is already aborted', async () => {
      await withDependency(options.healthy, async (dependency) => {
        const check = makeCheck(dependency, { timeoutMs: GENEROUS_MS })
        const started = performance.now()
        const outcome = outcomeOf(await check.run({ signal: AbortSignal.abort(new Error('gone')) }))
        expect(performance.now() - started).toBeLessThan(GENEROUS_MS)
        expect(['ok', 'degraded', 'error']).toContain(outcome?.status ?? 'ok')
      })
    })
  })
}
