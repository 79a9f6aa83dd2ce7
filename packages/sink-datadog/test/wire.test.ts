import { parseDogStatsDLine } from '@vivr/testkit'
import { HOSTILE_METRIC_NAMES, hostileValue, leaks, secretInText, textAround } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  checkFieldSafe,
  createDatagramBudget,
  cutToBytes,
  escapeCheckMessage,
  formatValue,
  MAX_NUMBER_CHARS,
  metricNameSafe,
  packValues,
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

/** Any finite double, the extremes and the awkward ones weighted in. */
const anyValue = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.constantFrom(0, -0, 1e-7, 1.5e-7, 1e21, 123e20, -1e-6, Number.MAX_VALUE, -Number.MIN_VALUE, 0.1 + 0.2),
)

describe('formatValue', () => {
  it('reads back as the same double, never longer than MAX_NUMBER_CHARS, nothing that ends a field', () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const text = formatValue(value)
        expect(Number(text)).toBe(value === 0 ? 0 : value)
        expect(text.length).toBeLessThanOrEqual(MAX_NUMBER_CHARS)
        expect(text).toMatch(/^-?(?:\d+(?:\.\d+)?)(?:e[+-]\d+)?$/)
        // Plain decimal wherever JavaScript's shortest spelling has an exponent but the digits fit.
        if (text.includes('e')) expect(String(value)).toBe(text)
      }),
      runs(2000),
    )
  })

  it('is String() where that has no exponent, plain decimal where it fits, an exponent only at the extremes', () => {
    expect([12.5, 0, -0, -3, 0.1 + 0.2, 1e20].map(formatValue)).toEqual(
      [12.5, 0, -0, -3, 0.1 + 0.2, 1e20].map(String),
    )
    expect(formatValue(1e-7)).toBe('0.0000001')
    expect(formatValue(-1.5e-7)).toBe('-0.00000015')
    expect(formatValue(1e21)).toBe('1000000000000000000000')
    expect(formatValue(1.2345e22)).toBe('12345000000000000000000')
    // 0.00000012345678901234566: 25 characters in plain decimal.
    expect(formatValue(1.2345678901234566e-7)).toBe('1.2345678901234566e-7')
    expect(formatValue(Number.MAX_VALUE)).toBe('1.7976931348623157e+308')
    expect(formatValue(-Number.MIN_VALUE)).toBe('-5e-324')
  })
})

describe('packValues', () => {
  it('every value once, in order, in as few lines as fit the room, each line within it', () => {
    fc.assert(
      fc.property(
        fc.array(anyValue, { maxLength: 400 }),
        fc.integer({ min: 1, max: 1500 }),
        (values, room) => {
          const head = 'vivr.x'
          const { lines, counts, dropped } = packValues(head, '|ms', values, room)
          const kept = values.filter((v) => `:${formatValue(v)}`.length <= room)
          expect(dropped).toBe(values.length - kept.length)
          expect(counts).toHaveLength(lines.length)
          const parsed = lines.map((line) => parseDogStatsDLine(line))
          for (const [i, line] of lines.entries()) {
            expect(line.length - head.length - 3).toBeLessThanOrEqual(room)
            expect(parsed[i]).toMatchObject({ kind: 'metric', name: 'vivr.x', type: 'ms' })
            expect(counts[i]).toBe(parsed[i]?.kind === 'metric' ? parsed[i].values.length : -1)
            // Greedy: the next line's first value would not have fit this one.
            const next = parsed[i + 1]
            if (next?.kind === 'metric')
              expect(line.length - head.length - 3 + `:${formatValue(next.value)}`.length).toBeGreaterThan(
                room,
              )
          }
          const delivered = parsed.flatMap((m) => (m?.kind === 'metric' ? m.values : []))
          expect(delivered).toEqual(kept.map((v) => (v === 0 ? 0 : v)))
        },
      ),
      runs(400),
    )
  })

  it('metricNameSafe: no colon, pipe or line break survives, one byte for one byte', () => {
    fc.assert(
      fc.property(anyText(200), (name) => {
        const safe = metricNameSafe(name)
        expect(safe).not.toMatch(/[:|\r\n]/)
        expect(bytes(safe)).toBe(bytes(name))
      }),
      runs(300),
    )
  })
})
