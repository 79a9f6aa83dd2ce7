import { OptionError } from '@vivr/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { perProcess } from '../src/index.js'

const KEYS = ['test/a', 'test/b', 'test/retry', 'test/value']
afterEach(() => {
  for (const key of KEYS)
    Reflect.deleteProperty(globalThis, Symbol.for(`@vivr/adapter-next/per-process/${key}`))
})

describe('perProcess', () => {
  it('creates once per key and hands every later caller the same instance', () => {
    let created = 0
    const make = () => ({ n: ++created })
    const first = perProcess('test/a', make)
    expect(perProcess('test/a', make)).toBe(first)
    expect(perProcess('test/b', make)).not.toBe(first)
    expect(created).toBe(2)
  })

  it('is shared by separately evaluated copies of the module, as Next.js bundles make them', async () => {
    vi.resetModules()
    const copy = await import('../src/per-process.js')
    expect(copy.perProcess).not.toBe(perProcess)
    const health = perProcess('test/a', () => ({ requestRate: 'one meter' }))
    expect(copy.perProcess('test/a', () => ({ requestRate: 'another meter' }))).toBe(health)
  })

  it('stores nothing when create throws, so the next call tries again; falsy values are kept', () => {
    expect(() =>
      perProcess('test/retry', () => {
        throw new Error('not yet')
      }),
    ).toThrow('not yet')
    expect(perProcess('test/retry', () => 'ready')).toBe('ready')
    expect(perProcess('test/value', () => undefined)).toBeUndefined()
    expect(perProcess('test/value', () => 'second')).toBeUndefined()
  })

  it('refuses a missing key or factory, naming the option', () => {
    expect(() => perProcess('', () => 1)).toThrow(OptionError)
    expect(() => Reflect.apply(perProcess, undefined, ['test/a', undefined])).toThrow(/create/)
  })
})
