import { OptionError } from '@vivr/core'

// Same rules as @vivr/core's own option checks (its helpers are internal): each error names the option and value.

export function nameOption(value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value.trim() === '')
    throw new OptionError('name', value, 'a non-empty string')
  return value
}

export function durationOption(
  option: string,
  value: unknown,
  { allowZero = false } = {},
): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new OptionError(option, value, allowZero ? 'a finite number ≥ 0' : 'a finite number > 0')
  }
  return value
}

export function booleanOption(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new OptionError(option, value, 'a boolean')
  return value
}

export function tagsOption(value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || !value.every((tag) => typeof tag === 'string' && tag !== '')) {
    throw new OptionError('tags', value, 'an array of non-empty strings')
  }
  return [...value]
}
