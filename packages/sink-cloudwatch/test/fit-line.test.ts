import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fitLine } from '../src/fit-line.js'
import { truncateUtf8 } from '../src/index.js'

const runs = (numRuns: number) => ({ seed: 2026, numRuns })
const bytes = (text: string) => Buffer.byteLength(text)
const MARKER = / …\[truncated \d+ bytes\]$/

/** Strings with escapes, control characters, astral characters and lone surrogates, short or long. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('a', 'é', '日', '🚀', '"', '\\', '\n', '\u0001', '\ud800', '\udc00') }),
  fc
    .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), fc.integer({ min: 10, max: 2000 }))
    .map(([unit, times]) => unit.repeat(times)),
)
const hostileKey = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constant('__proto__'))
const { value: jsonValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    hostileString,
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 8 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 8 }),
  ),
}))
const logObject = fc
  .tuple(
    fc.constantFrom('INFO', 'WARN', 'ERROR'),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    hostileString,
    fc.dictionary(hostileKey, jsonValue, { maxKeys: 12 }),
  )
  .map(([level, timestamp, message, rest]) => {
    const object: Record<string, unknown> = { level, timestamp, message }
    for (const [key, value] of Object.entries(rest)) {
      if (!(key in object)) Object.defineProperty(object, key, { value, enumerable: true, writable: true })
    }
    return object
  })

describe('fitLine', () => {
  it('keeps a JSON object line one valid object within the limit, level/timestamp/message kept', () => {
    fc.assert(
      fc.property(
        logObject,
        fc.integer({ min: 1200, max: 8000 }),
        fc.boolean(),
        (object, maxBytes, pretty) => {
          const line = pretty ? JSON.stringify(object, null, 2) : JSON.stringify(object)
          const out = fitLine(line, maxBytes)
          expect(bytes(out)).toBeLessThanOrEqual(maxBytes)
          if (bytes(line) <= maxBytes) {
            expect(out).toBe(line)
            return
          }
          const parsed = JSON.parse(out)
          expect(parsed.level).toBe(object.level)
          expect(parsed.timestamp).toBe(object.timestamp)
          const message = String(parsed.message)
          expect(message === object.message || MARKER.test(message)).toBe(true)
          expect(String(object.message).startsWith(message.replace(MARKER, ''))).toBe(true)
          expect(parsed._truncated.originalBytes).toBe(bytes(line))
          expect(parsed._truncated.removedBytes).toBe(bytes(line) - bytes(out))
          // Every field left is one of the original's; missing ones are named (up to ten) in droppedFields.
          const missing = Object.keys(object).filter((key) => !Object.hasOwn(parsed, key))
          for (const key of Object.keys(parsed)) expect(key === '_truncated' || key in object).toBe(true)
          if (missing.length > 0 && missing.length <= 10) {
            expect(parsed._truncated.droppedFields).toEqual(
              expect.arrayContaining(missing.map((key) => key.slice(0, 64))),
            )
          }
        },
      ),
      runs(300),
    )
  })

  it('cuts the longest values first and keeps short fields whole', () => {
    const line = JSON.stringify({
      level: 'INFO',
      timestamp: '2026-11-26T20:40:00.000Z',
      message: 'short',
      a: 'a'.repeat(10_000),
      b: 'b'.repeat(3000),
      c: 'c'.repeat(200),
      nested: { d: 'd'.repeat(10_000), n: 1 },
    })
    const parsed = JSON.parse(fitLine(line, 10_000))
    expect(parsed).toMatchObject({ message: 'short', c: 'c'.repeat(200), nested: { n: 1 } })
    for (const key of ['a', 'b'] as const) expect(parsed[key]).toMatch(MARKER)
    expect(parsed.nested.d).toMatch(MARKER)
    // Water-filling: the cut values end up the same size, within a marker's difference.
    expect(Math.abs(parsed.a.length - parsed.nested.d.length)).toBeLessThan(8)
  })

  it('drops the bulkiest fields when cutting strings is not enough, and names them', () => {
    const line = JSON.stringify({
      level: 'INFO',
      timestamp: '2026-11-26T20:40:00.000Z',
      message: 'many numbers',
      numbers: Array.from({ length: 5000 }, (_, i) => i),
      keep: 'me',
    })
    const parsed = JSON.parse(fitLine(line, 4096))
    expect(parsed).toMatchObject({
      message: 'many numbers',
      keep: 'me',
      _truncated: { droppedFields: ['numbers'] },
    })
  })

  it('keeps level and timestamp even when the message itself is a huge object', () => {
    const line = JSON.stringify({
      level: 'ERROR',
      timestamp: '2026-11-26T20:40:00.000Z',
      message: { nested: Array.from({ length: 5000 }, (_, i) => i) },
      other: 'x'.repeat(5000),
    })
    const parsed = JSON.parse(fitLine(line, 4096))
    expect(parsed).toMatchObject({ level: 'ERROR', timestamp: '2026-11-26T20:40:00.000Z' })
    expect(parsed._truncated.droppedFields).toEqual(expect.arrayContaining(['message', 'other']))
  })

  it('replaces a line’s own _truncated field and survives nesting deeper than the stack', () => {
    const deep = `{"level":"INFO","_truncated":1,"message":"deep","d":${'['.repeat(500_000)}${']'.repeat(500_000)}}`
    const parsed = JSON.parse(fitLine(deep, 4096))
    expect(parsed).toEqual({
      level: 'INFO',
      message: 'deep',
      _truncated: { originalBytes: bytes(deep), removedBytes: expect.any(Number), droppedFields: ['d'] },
    })
  })

  it('byte-cuts what is not exactly one JSON object', () => {
    const object = JSON.stringify({ level: 'INFO', message: 'x'.repeat(5000) })
    for (const line of [
      object.slice(0, -1),
      `${object} trailing`,
      `[${object}]`,
      object.replace('"INFO"', 'INFO'),
      object.replace('"level"', "'level'"),
      `{"a":01,"m":"${'x'.repeat(5000)}"}`,
      `{"a":"\u0001${'x'.repeat(5000)}"}`,
      `{"a":"\\x${'x'.repeat(5000)}"}`,
      `plain text ${'x'.repeat(5000)}`,
    ]) {
      expect(fitLine(line, 2048)).toBe(truncateUtf8(line, 2048))
    }
  })

  it('returns a line that fits unchanged, JSON or not', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (line) => {
        expect(fitLine(line, 2048)).toBe(line)
      }),
      runs(100),
    )
  })
})
