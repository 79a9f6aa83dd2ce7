import {
  booleanOption,
  durationOption,
  nonEmptyStringOption,
  positiveIntegerOption,
  stringListOption,
} from '../validate.js'
import type { Check } from './check.js'

/** The options every check factory takes, validated the same way everywhere. */
export interface CommonCheckOptions {
  /** Key of the result in the health report. */
  name?: string
  /** Deadline for one run. @default the health's `timeoutMs` */
  timeoutMs?: number
  critical?: boolean
  /** Groups for `health.handlerFor({ tags })`, e.g. `['ready']`. */
  tags?: string[]
  /** Reuse a result for this long. */
  cacheTtlMs?: number
  /** Reuse an error result for this long instead. @default cacheTtlMs */
  errorCacheTtlMs?: number
  /** Consecutive failed runs before the check reports `error` (until then `degraded`). @default 1 */
  failAfter?: number
  /** Consecutive good runs before a failing check reports ok again. @default 1 */
  recoverAfter?: number
}

export type CheckSettings = Pick<
  Check,
  'name' | 'critical' | 'timeoutMs' | 'tags' | 'cacheTtlMs' | 'errorCacheTtlMs' | 'failAfter' | 'recoverAfter'
>

/**
 * Validates a check factory's common options (errors name the option) and fills the factory's defaults, giving
 * the fields to spread into the returned check.
 */
export function checkSettings(
  options: CommonCheckOptions,
  defaults: { name: string; critical: boolean; cacheTtlMs?: number; errorCacheTtlMs?: number },
): CheckSettings {
  const settings: CheckSettings = {
    name: nonEmptyStringOption('name', options.name) ?? defaults.name,
    critical: booleanOption('critical', options.critical) ?? defaults.critical,
  }
  const timeoutMs = durationOption('timeoutMs', options.timeoutMs, { allowZero: false })
  const cacheTtlMs = durationOption('cacheTtlMs', options.cacheTtlMs) ?? defaults.cacheTtlMs
  const tags = stringListOption('tags', options.tags)
  if (timeoutMs !== undefined) settings.timeoutMs = timeoutMs
  if (cacheTtlMs !== undefined) settings.cacheTtlMs = cacheTtlMs
  const errorCacheTtlMs =
    durationOption('errorCacheTtlMs', options.errorCacheTtlMs) ?? defaults.errorCacheTtlMs
  if (errorCacheTtlMs !== undefined) settings.errorCacheTtlMs = errorCacheTtlMs
  if (tags !== undefined) settings.tags = tags
  const failAfter = positiveIntegerOption('failAfter', options.failAfter)
  const recoverAfter = positiveIntegerOption('recoverAfter', options.recoverAfter)
  if (failAfter !== undefined) settings.failAfter = failAfter
  if (recoverAfter !== undefined) settings.recoverAfter = recoverAfter
  return settings
}
