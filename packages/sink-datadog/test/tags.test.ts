import { HOSTILE_TAG_SETS, hostileValue, leaks, secretInText, textAround } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createTagReader, cut, MAX_TAG_CHARS, MAX_TAGS, tagText } from '../src/tags.js'

const runs = (numRuns: number) => ({ seed: 20_261_201, numRuns })

/** Whole characters only (no lone surrogates): what a cut must keep whole. */
const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength })
/** Lone surrogates, protocol characters and long runs: anything a caller may put in a tag. */
const anyText = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'binary-ascii', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    text(maxLength),
  )

const isWellFormed = (value: string) => Buffer.from(value, 'utf8').toString('utf8') === value

/** What every tag set the reader hands to hot-shots must be. */
function expectWireTags(tags: Record<string, string>): void {
  const entries = Object.entries(tags)
  expect(entries.length).toBeLessThanOrEqual(MAX_TAGS)
  for (const [key, value] of entries) {
    expect(typeof value).toBe('string')
    expect(key.length + 1 + value.length).toBeLessThanOrEqual(MAX_TAG_CHARS)
  }
}

describe('cut', () => {
  it('keeps a prefix of at most maxChars units and never splits a character', () => {
    fc.assert(
      fc.property(text(400), fc.integer({ min: 1, max: 400 }), (value, maxChars) => {
        const kept = cut(value, maxChars)
        expect(value.startsWith(kept)).toBe(true)
        expect(kept.length).toBeLessThanOrEqual(maxChars)
        expect(kept.length).toBeGreaterThanOrEqual(Math.min(value.length, maxChars - 1))
        expect(isWellFormed(kept)).toBe(true)
      }),
      runs(500),
    )
  })
})

describe('tagText', () => {
  it('spells primitives as String() does and refuses objects and functions', () => {
    expect([
      tagText('a'),
      tagText(1.5),
      tagText(true),
      tagText(null),
      tagText(undefined),
      tagText(10n),
    ]).toEqual(['a', '1.5', 'true', 'null', 'undefined', '10'])
    expect(tagText(Symbol('s'))).toBe('Symbol(s)')
    expect(tagText({})).toBeUndefined()
    expect(tagText(['a'])).toBeUndefined()
    expect(tagText(() => 'x')).toBeUndefined()
  })
})

describe('createTagReader', () => {
  it('passes a plain set of short clean strings on as it is, and counts its characters', () => {
    const reader = createTagReader()
    const tags = { endpoint: '/api/products', method: 'GET' }
    expect(reader.read(tags)).toBe(tags)
    expect(reader.lastChars).toBe('endpoint/api/products'.length + 2 + 'methodGET'.length + 2)
    expect(reader.truncated).toBe(0)
  })

  it('refuses what is not a tag set', () => {
    const reader = createTagReader()
    const many = Object.fromEntries(Array.from({ length: MAX_TAGS + 1 }, (_, i) => [`k${i}`, 'v']))
    for (const tags of [
      ['a:b'],
      Buffer.from('a'),
      new Map([['a', 'b']]),
      new (class Tags {})(),
      many,
      { o: {} },
    ]) {
      expect(reader.read(tags)).toBeUndefined()
    }
  })

  it('copies numbers, booleans and a null prototype, keeping a __proto__ key as a tag', () => {
    const reader = createTagReader()
    const tags = Object.assign(Object.create(null), JSON.parse('{"__proto__":"x","n":1,"b":false}'))
    const read = reader.read(tags)
    expect(read && { ...read }).toEqual(JSON.parse('{"__proto__":"x","n":"1","b":"false"}'))
  })

  it('any tag set of strings, numbers and booleans: every tag fits 200 characters, whole characters kept', () => {
    fc.assert(
      fc.property(
        fc.dictionary(anyText(150), fc.oneof(anyText(400), fc.double(), fc.boolean()), { maxKeys: MAX_TAGS }),
        (tags) => {
          const reader = createTagReader()
          const read = reader.read(tags)
          expect(read).toBeDefined()
          if (!read) return
          expectWireTags(read)
          expect(Object.keys(read)).toHaveLength(Object.keys(tags).length)
          const chars = Object.entries(read).reduce((sum, [k, v]) => sum + k.length + v.length + 2, 0)
          expect(reader.lastChars).toBe(chars)
          const over = Object.entries(tags).filter(
            ([k, v]) => k.length + 1 + String(v).length > MAX_TAG_CHARS,
          )
          expect(reader.truncated).toBeLessThanOrEqual(Object.keys(tags).length)
          if (over.length === 0) expect(reader.truncated).toBe(0)
        },
      ),
      runs(300),
    )
  })

  it('a cut never leaves half a character where the input had whole ones', () => {
    fc.assert(
      fc.property(fc.dictionary(text(150), text(400), { maxKeys: 8 }), (tags) => {
        const read = createTagReader().read(tags) ?? {}
        for (const [key, value] of Object.entries(read))
          expect(isWellFormed(key) && isWellFormed(value)).toBe(true)
      }),
      runs(300),
    )
  })

  it('a secret in a tag value, short or past the cut, never comes out', () => {
    fc.assert(
      fc.property(
        textAround(secretInText()),
        fc.constantFrom('', 'x'.repeat(150)),
        ({ text, secret }, pad) => {
          const reader = createTagReader()
          const read = reader.read({ detail: `${pad} ${text}`, route: '/a' })
          expect(read).toBeDefined()
          expectWireTags(read ?? {})
          expect(leaks(read?.detail ?? '', secret), `${text} → ${read?.detail}`).toBe(false)
        },
      ),
      runs(300),
    )
  })

  it('a value seen clean stays clean, and a secret is never remembered as clean', () => {
    const reader = createTagReader()
    const secret = 'sk_live_51Habcdefghijklmnop'
    for (let i = 0; i < 3; i++) expect(reader.read({ key: secret })?.key).not.toContain('51Habcdefghijklmnop')
    for (let i = 0; i < 5000; i++) reader.read({ route: `/r/${i}` })
    expect(reader.read({ key: secret })?.key).not.toContain('51Habcdefghijklmnop')
  })

  it('hostile tag sets: undefined, a bounded set, or a throw (a Proxy, a getter), within a bounded time', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...HOSTILE_TAG_SETS), hostileValue()), (hostile) => {
        const tags = hostile.make()
        if (typeof tags !== 'object' || tags === null) return
        const reader = createTagReader()
        const started = performance.now()
        let read: Record<string, string> | undefined
        try {
          read = reader.read(tags)
        } catch {
          read = undefined
        }
        expect(performance.now() - started, hostile.name).toBeLessThan(1000)
        if (read) expectWireTags(read)
      }),
      runs(150),
    )
  })
})
