import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { messageOf, scrubSecrets } from '../src/index.js'

describe('scrubSecrets', () => {
  it.each([
    ['postgres://user:pw@db:5432/x', 'postgres://***@db:5432/x'],
    ['redis://:hunter2@cache:6379', 'redis://***@cache:6379'],
    ['Authorization: Bearer eyJhbGciOi.abc.def', 'Authorization: Bearer ***'],
    [
      'key sk_live_51Habc123 and sk_test_xyz and rk_live_9f',
      'key sk_live_*** and sk_test_*** and rk_live_***',
    ],
    ['whsec_abcdef0123', 'whsec_***'],
    ['host=db password=hunter2 user=app', 'host=db password=*** user=app'],
    ['?token=abc123&x=1', '?token=***&x=1'],
    ['{"password":"p@ss word","user":"a"}', '{"password":"***","user":"a"}'],
    ['api_key: AKIA123', 'api_key: ***'],
    ['card 4242 4242 4242 4242 declined', 'card ****4242 declined'],
    ['card 4000-0566-5566-5556', 'card ****5556'],
  ])('%s → %s', (input, expected) => {
    expect(scrubSecrets(input)).toBe(expected)
  })

  it('keeps numbers that are not card numbers, such as epoch milliseconds', () => {
    expect(scrubSecrets('at 1732650000000 took 1234567890123 ns')).toBe(
      'at 1732650000000 took 1234567890123 ns',
    )
  })

  it('keeps identifiers whose digits look like a card number: UUIDs, hex ids, underscored names', () => {
    // 13 digits with dashes inside a UUID, Luhn-valid: CI once saw a request id masked as `d7d****4645-…`.
    for (const id of [
      'd7d23456-7890-4645-b445-51e8574d7783',
      '42424242-4242-4242-4242-424242424242',
      'sha 4242424242424242abcdef',
      'order_4242424242424242',
      'x-4242-4242-4242-4242',
    ]) {
      expect(scrubSecrets(id)).toBe(id)
    }
    fc.assert(
      fc.property(fc.uuid(), fc.constantFrom('', 'req ', '"'), (uuid, before) => {
        expect(scrubSecrets(`${before}${uuid}`)).toBe(`${before}${uuid}`)
      }),
      { seed: 0x5c2b, numRuns: 2000 },
    )
  })

  it('cuts long messages to the maximum length', () => {
    const out = scrubSecrets('x'.repeat(10_000), 100)
    expect(out).toHaveLength(100)
    expect(out.endsWith('…')).toBe(true)
  })
})

describe('messageOf', () => {
  it('renders anything thrown without throwing', () => {
    const circular: Record<string, unknown> = {}
    circular.self = circular
    expect(messageOf(new TypeError('bad'))).toBe('bad')
    expect(messageOf('text')).toBe('text')
    expect(messageOf(undefined)).toBe('undefined')
    expect(messageOf({ message: 'shaped' })).toBe('shaped')
    expect(messageOf(circular)).toBe('{"self":"[Circular]"}')
    expect(messageOf(42)).toBe('42')
  })
})
