import { describe, expect, it } from 'vitest'
import { neverThrows } from '../src/internal.js'

describe('neverThrows', () => {
  it('returns what the function returns', () => {
    expect(neverThrows((a: number, b: number) => a + b)(2, 3)).toBe(5)
  })

  it('swallows a throw and hands it to onError', () => {
    const seen: unknown[] = []
    const wrapped = neverThrows(
      () => {
        throw new Error('boom')
      },
      (error) => seen.push(error),
    )
    expect(wrapped()).toBeUndefined()
    expect(seen).toHaveLength(1)
  })

  it('absorbs a rejected promise (no unhandled rejection) and an onError that throws', async () => {
    const seen: unknown[] = []
    const rejection = Promise.reject(new Error('later'))
    neverThrows(
      () => rejection,
      (error) => seen.push(error),
    )()
    neverThrows(
      () => {
        throw 1
      },
      () => {
        throw 2
      },
    )()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(seen).toEqual([new Error('later')])
  })

  it('survives a hostile thenable result', () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap')
        },
      },
    )
    expect(() => neverThrows(() => hostile)()).not.toThrow()
  })
})
