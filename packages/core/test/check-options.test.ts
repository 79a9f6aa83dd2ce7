import { describe, expect, it } from 'vitest'
import { checkSettings } from '../src/internal.js'

describe('checkSettings', () => {
  it('fills the factory defaults and keeps only the options given', () => {
    expect(checkSettings({}, { name: 'cache', critical: false })).toEqual({ name: 'cache', critical: false })
    expect(
      checkSettings(
        { name: 'primary-db', timeoutMs: 500, critical: true, tags: ['ready'], cacheTtlMs: 0 },
        { name: 'database', critical: false, cacheTtlMs: 60_000 },
      ),
    ).toEqual({ name: 'primary-db', critical: true, timeoutMs: 500, tags: ['ready'], cacheTtlMs: 0 })
    expect(checkSettings({}, { name: 'payment', critical: false, cacheTtlMs: 60_000 }).cacheTtlMs).toBe(
      60_000,
    )
  })

  it.each([
    [{ name: '' }, /name/],
    [{ timeoutMs: 0 }, /timeoutMs/],
    [{ timeoutMs: -1 }, /timeoutMs/],
    [{ critical: 'yes' }, /critical/],
    [{ tags: 'ready' }, /tags/],
    [{ cacheTtlMs: Number.NaN }, /cacheTtlMs/],
  ])('rejects %j naming the option', (options, pattern) => {
    expect(() => checkSettings(options as never, { name: 'x', critical: true })).toThrow(pattern)
  })
})
