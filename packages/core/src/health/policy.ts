import type { CheckResult, OverallStatus } from './check.js'

export interface PolicyInput extends CheckResult {
  name: string
  critical: boolean
}

export type PolicyFunction = (results: readonly PolicyInput[]) => OverallStatus
export type Policy = 'criticality' | 'error-count' | PolicyFunction

/** A critical check in error → unhealthy; any other error or degraded → degraded; else healthy. */
export const criticalityPolicy: PolicyFunction = (results) => {
  let degraded = false
  for (const result of results) {
    if (result.status === 'error' && result.critical) return 'unhealthy'
    if (result.status !== 'ok') degraded = true
  }
  return degraded ? 'degraded' : 'healthy'
}

/** No errors → healthy, one → degraded, two or more → unhealthy (docs/health.md#overall-status). */
export const errorCountPolicy: PolicyFunction = (results) => {
  const errors = results.filter((r) => r.status === 'error').length
  return errors === 0 ? 'healthy' : errors === 1 ? 'degraded' : 'unhealthy'
}

export function resolvePolicy(policy: Policy): PolicyFunction {
  if (typeof policy === 'function') return policy
  return policy === 'error-count' ? errorCountPolicy : criticalityPolicy
}
