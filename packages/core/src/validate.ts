/** Eager option validation: every error names the option and the value it was given. */
export class OptionError extends TypeError {
  override name = 'OptionError'
  constructor(option: string, value: unknown, expected: string) {
    super(`Invalid option ${option}: expected ${expected}, got ${describe(value)}`)
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  if (typeof value === 'function') return 'a function'
  return Array.isArray(value) ? 'an array' : typeof value
}

export function durationOption(
  option: string,
  value: unknown,
  { allowZero = true } = {},
): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new OptionError(option, value, allowZero ? 'a finite number ≥ 0' : 'a finite number > 0')
  }
  return value
}

export function positiveIntegerOption(option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new OptionError(option, value, 'a positive integer')
  }
  return value
}

export function oneOfOption<T extends string>(
  option: string,
  value: unknown,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new OptionError(option, value, allowed.map((a) => `'${a}'`).join(' | '))
  }
  return value as T
}

export function booleanOption(option: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw new OptionError(option, value, 'a boolean')
  return value
}

export function nonEmptyStringOption(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '')
    throw new OptionError(option, value, 'a non-empty string')
  return value
}

export function stringListOption(option: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '')) {
    throw new OptionError(option, value, 'an array of non-empty strings')
  }
  return [...value]
}

/**
 * Fails at construction on an option the kit renamed, naming the new spelling, so an upgrade finds every old
 * name at once instead of silently ignoring it.
 */
export function renamedOptions(options: unknown, renames: Readonly<Record<string, string>>): void {
  if (typeof options !== 'object' || options === null) return
  for (const [old, now] of Object.entries(renames)) {
    if (Object.hasOwn(options, old)) {
      throw new OptionError(old, Reflect.get(options, old), `${now} instead (${old} was renamed)`)
    }
  }
}
