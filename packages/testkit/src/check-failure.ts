import { DEFAULT_MAX_MESSAGE_LENGTH, type OutcomeCheck } from '@vivr/core'
import { expect } from 'vitest'
import type { ThrownCase } from './hostile.js'
import { leaks } from './leaks.js'

export interface ScrubbedFailureOptions {
  /** Statuses the failure may take. @default ['error'] */
  statuses?: ReadonlyArray<'error' | 'degraded'>
  /** Generous, for a loaded machine. @default 1000 */
  deadlineMs?: number
}

/**
 * Runs a check whose client throws `thrown` and asserts what every check owes its caller then: it resolves within
 * the deadline (never rejects), as a failure, with a readable message no longer than the health output keeps and
 * without the thrown value's secret. For the hostile-client property tests of check packages.
 */
export async function expectScrubbedFailure(
  check: OutcomeCheck,
  thrown: ThrownCase,
  options: ScrubbedFailureOptions = {},
): Promise<void> {
  const started = performance.now()
  const outcome = await check.run({ signal: new AbortController().signal })
  expect(performance.now() - started, thrown.name).toBeLessThan(options.deadlineMs ?? 1000)
  expect(options.statuses ?? ['error'], thrown.name).toContain(outcome.status)
  expect(typeof outcome.message, thrown.name).toBe('string')
  expect(outcome.message?.length ?? 0).toBeLessThanOrEqual(DEFAULT_MAX_MESSAGE_LENGTH)
  if (thrown.secret !== '') {
    expect(leaks(outcome.message ?? '', thrown.secret), `${thrown.name}: ${outcome.message}`).toBe(false)
  }
}
