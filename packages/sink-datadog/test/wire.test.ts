import { parseDogStatsDLine } from '@vivr/testkit'
import { HOSTILE_METRIC_NAMES, hostileValue, leaks, secretInText, textAround } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  checkFieldSafe,
  createDatagramBudget,
  cutToBytes,
  escapeCheckMessage,
  MAX_NUMBER_CHARS,
} from '../src/wire.js'

const runs = (numRuns: number) => ({ seed: 20_261_202, numRuns })
const bytes = (text: string) => Buffer.byteLength(text)

/** Anything a caller may put in a name, a tag or a message: protocol characters, lone surrogates, 4-byte emoji. */
const anyText = (maxLength: number, minLength = 0) =>
  fc.oneof(
    fc.string({ unit: 'binary', minLength, maxLength }),
    fc.string({
      unit: fc.constantFrom('a', '|', ':', ',', '#', '\n', '\r', '✓', '📦', '\ud800', ' '),
      minLength,
      maxLength,
    }),
  )

const tagSet = fc.dictionary(anyText(40), anyText(120), { maxKeys: 6 })

/** Tags as hot-shots writes them: protocol characters become `_` (one byte for one byte). */
const joinTags = (...sets: Record<string, string>[]) =>
  sets
    .flatMap((set) =>
      Object.entries(set).map(
        ([key, value]) => `${key.replace(/[:|@,#\n\r]/g, '_')}:${value.replace(/[|@,#\n\r]/g, '_')}`,
      ),
    )
    .join(',')

/** The line as hot-shots writes it (global tags first; a call tag with a global key would replace, never add). */
function metricLine(prefix: string, name: string, value: number, global: Record<string, string>, tags = {}) {
  const all = joinTags(global, tags)
  return `${prefix}${name}:${value}|ms${all ? `|#${all}` : ''}`
}

function checkLine(
  prefix: string,
  fields: { name: string; hostname: string | undefined; message: string | undefined },
  global: Record<string, string>,
  tags: Record<string, string> = {},
) {
  const all = joinTags(global, tags)
  return [
    '_sc',
    `${prefix}${fields.name}`,
    '2',
    ...(fields.hostname ? [`h:${fields.hostname}`] : []),
    ...(all ? [`#${all}`] : []),
    ...(fields.message ? [`m:${fields.message}`] : []),
  ].join('|')
}

describe('cutToBytes', () => {
  it('keeps the longest prefix of whole characters that fits', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.integer({ min: -1, max: 900 }),
        (text, max) => {
          const kept = cutToBytes(text, max)
          expect(text.startsWith(kept)).toBe(true)
          expect(bytes(kept)).toBeLessThanOrEqual(Math.max(0, max))
          if (kept !== text) {
            const next = String.fromCodePoint(text.codePointAt(kept.length) ?? 0)
            expect(bytes(kept) + bytes(next)).toBeGreaterThan(max)
          }
        },
      ),
      runs(500),
    )
  })
})

describe('service check fields', () => {
  it('escapeCheckMessage and checkFieldSafe leave no line break and no field separator', () => {
    fc.assert(
      fc.property(anyText(200), (text) => {
        expect(escapeCheckMessage(text)).not.toMatch(/[|\r\n]/)
        expect(checkFieldSafe(text)).not.toMatch(/[|\r\n]/)
        expect(checkFieldSafe(text)).toHaveLength(text.length)
      }),
      runs(500),
    )
    expect(escapeCheckMessage('a\r\nb\nc\rd | e')).toBe('a\\nb\\nc\\nd / e')
  })
})

describe('createDatagramBudget', () => {
  it('metricFits: a line it lets through fits the datagram, counted in bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', 'vivr.', 'ünïcode✓.'),
        tagSet,
        anyText(300),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        tagSet,
        fc.integer({ min: 512, max: 2048 }),
        (prefix, globalTags, name, value, tags, maxDatagramBytes) => {
          const budget = createDatagramBudget({ prefix, globalTags, maxDatagramBytes })
          const chars =
            name.length +
            MAX_NUMBER_CHARS +
            Object.entries(tags).reduce((n, [k, v]) => n + k.length + v.length + 2, 0)
          const line = metricLine(prefix, name, value, globalTags, tags)
          for (const counted of [chars, Number.POSITIVE_INFINITY]) {
            if (budget.metricFits(name, value, tags, counted))
              expect(bytes(line)).toBeLessThanOrEqual(maxDatagramBytes)
          }
        },
      ),
      runs(500),
    )
  })

  it('metricFits: a line well inside the datagram passes, one over it does not', () => {
    const budget = createDatagramBudget({
      prefix: 'vivr.',
      globalTags: { env: 'test' },
      maxDatagramBytes: 512,
    })
    expect(budget.metricFits('http.requests', 1, { route: '/a' }, Number.POSITIVE_INFINITY)).toBe(true)
    // 170 three-byte characters: 510 bytes of tag value, past 512 with the rest of the line; 170 ASCII ones fit.
    expect(budget.metricFits('x', 1, { city: '✓'.repeat(170) }, Number.POSITIVE_INFINITY)).toBe(false)
    expect(budget.metricFits('x', 1, { city: 'a'.repeat(170) }, Number.POSITIVE_INFINITY)).toBe(true)
  })

  it('checkFields: any name, hostname and message make one line of this check within the datagram', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', 'vivr.'),
        tagSet,
        // The sink refuses an empty name before it gets here.
        anyText(300, 1),
        fc.option(anyText(100), { nil: undefined }),
        // Made on demand: a Proxy whose every trap throws cannot be handed to fast-check.
        fc.oneof(
          anyText(3000).map((text) => ({ make: () => text })),
          hostileValue(),
        ),
        fc.integer({ min: 512, max: 2048 }),
        (prefix, globalTags, name, hostname, message, maxDatagramBytes) => {
          const budget = createDatagramBudget({ prefix, globalTags, maxDatagramBytes })
          const fields = budget.checkFields(name, hostname, undefined, message.make())
          if (fields === 'oversize') {
            // Refused only when the check cannot fit even without its message (counted at most 3 bytes generously).
            const bare = checkLine(prefix, { name, hostname, message: undefined }, globalTags)
            expect(bytes(bare) + 3).toBeGreaterThan(maxDatagramBytes)
            return
          }
          const line = checkLine(prefix, fields, globalTags)
          expect(bytes(line)).toBeLessThanOrEqual(maxDatagramBytes)
          expect(line).not.toMatch(/[\r\n]/)
          expect(fields.name).not.toContain('|')
          expect(fields.hostname ?? '').not.toContain('|')
          expect(fields.message ?? '').not.toContain('|')
          expect(fields.message).not.toBe('')
          // Nothing in a field forges another: the line parses back to this check.
          expect(parseDogStatsDLine(line)).toMatchObject({
            kind: 'serviceCheck',
            name: `${prefix}${fields.name}`,
            status: 2,
            ...(fields.hostname && { hostname: fields.hostname }),
          })
        },
      ),
      runs(400),
    )
  })

  it('checkFields: a secret in the message never comes out, cut or not', () => {
    fc.assert(
      fc.property(
        textAround(secretInText()),
        fc.integer({ min: 512, max: 1500 }),
        ({ text, secret }, max) => {
          const budget = createDatagramBudget({ prefix: 'vivr.', globalTags: {}, maxDatagramBytes: max })
          const fields = budget.checkFields('health.db', undefined, { check: 'db' }, `failed: ${text}`)
          expect(fields).not.toBe('oversize')
          if (fields === 'oversize') return
          expect(fields.message).toMatch(/^failed: /)
          expect(leaks(fields.message ?? '', secret), `${text} → ${fields.message}`).toBe(false)
        },
      ),
      runs(300),
    )
  })

  it('checkFields: a name or hostname longer than a datagram is refused before it is copied', () => {
    const budget = createDatagramBudget({ prefix: 'vivr.', globalTags: {}, maxDatagramBytes: 512 })
    const huge = HOSTILE_METRIC_NAMES.find((n) => n.name === '10 MB')?.make() as string
    const started = performance.now()
    expect(budget.checkFields(huge, undefined, undefined, 'm')).toBe('oversize')
    expect(budget.checkFields('ok', huge, undefined, 'm')).toBe('oversize')
    expect(performance.now() - started).toBeLessThan(50)
    expect(budget.checkFields('ok', undefined, undefined, huge)).toMatchObject({ name: 'ok' })
  })
})
