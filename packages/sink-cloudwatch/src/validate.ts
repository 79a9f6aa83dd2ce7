import { OptionError } from '@vivr/core'

// Checks core's option validators do not cover (patterns, minimums, CloudWatch's retention set).

export function requiredString(option: string, value: unknown, pattern?: RegExp, expected?: string): string {
  if (typeof value !== 'string' || value.length === 0 || (pattern && !pattern.test(value))) {
    throw new OptionError(option, value, expected ?? 'a non-empty string')
  }
  return value
}

export function optionalString(option: string, value: unknown, pattern?: RegExp, expected?: string) {
  return value === undefined ? undefined : requiredString(option, value, pattern, expected)
}

export function integerAtLeast(option: string, value: unknown, minimum: number): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new OptionError(option, value, `an integer ≥ ${minimum}`)
  }
  return value
}

export function optionalFunction<T>(option: string, value: T | undefined): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw new OptionError(option, value, 'a function')
  return value
}

/** Reads `value[key]`; undefined when it cannot be read (a hostile getter or Proxy). */
export function memberOf(value: unknown, key: string): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined
  try {
    return Reflect.get(value, key)
  } catch {
    return undefined
  }
}

/** The retention periods CloudWatch Logs accepts. */
export const RETENTION_IN_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const

export function retentionInDays(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !(RETENTION_IN_DAYS as readonly number[]).includes(value)) {
    throw new OptionError(option, value, `one of ${RETENTION_IN_DAYS.join(', ')}`)
  }
  return value
}

/** CloudWatch Logs naming rules. */
export const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/
export const LOG_STREAM_NAME = /^[^:*]{1,512}$/
