import {
  hostileValue,
  leaks,
  plantedValue,
  QUADRATIC_TEXT_UNITS,
  secretInText,
  textAround,
} from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSanitizer, mayHoldSecret, scrubSecrets } from '../src/index.js'

// Seeded and bounded: the same cases every run, a few seconds in all.
const runs = (numRuns: number) => ({ seed: 1207, numRuns })
const NO_LIMIT = Number.MAX_SAFE_INTEGER

describe('scrubSecrets: every secret kind, in any casing and position', () => {
  it('never lets a planted secret through, raw or escaped', () => {
    fc.assert(
      fc.property(textAround(secretInText()), (planted) => {
        const out = scrubSecrets(planted.text, NO_LIMIT)
        expect(leaks(out, planted.secret), `${planted.kind}: ${planted.text} → ${out}`).toBe(false)
      }),
      runs(3000),
    )
  })

  it('also inside JSON and JSON inside JSON (escaped quotes and newlines)', () => {
    fc.assert(
      fc.property(secretInText(), fc.integer({ min: 1, max: 2 }), (planted, times) => {
        let text = planted.text
        for (let i = 0; i < times; i++) text = JSON.stringify({ message: text })
        const out = scrubSecrets(text, NO_LIMIT)
        expect(leaks(out, planted.secret), `${planted.kind}: ${text} → ${out}`).toBe(false)
      }),
      runs(1500),
    )
  })

  it('mayHoldSecret has no false negatives: text it passes is text no rule changes', () => {
    const texts = fc.oneof(
      fc.string({ maxLength: 200 }),
      textAround(secretInText()).map((p) => p.text),
    )
    fc.assert(
      fc.property(texts, (text) => {
        if (!mayHoldSecret(text)) expect(scrubSecrets(text, NO_LIMIT)).toBe(text)
      }),
      runs(3000),
    )
  })

  it('masks the findings of the hardening review', () => {
    const cases: Array<[string, string]> = [
      ['DB_PASSWORD=hunter2xyz', 'hunter2xyz'],
      ['{"newPassword":"s3cret value"}', 's3cret value'],
      ['aws_secret_access_key = wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMIK7MDENG'],
      ['github_token: ghp_0123456789abcdefABCDEF0123456789', '0123456789abcdef'],
      ['session_token=Q2xpZW50U2Vzc2lvbg', 'Q2xpZW50U2Vzc2lvbg'],
      ['auth header: bearer abc123def456', 'abc123def456'],
      ['BEARER abc123def456', 'abc123def456'],
      ['basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA'],
      ['Cookie: sid=abc123; theme=dark', 'abc123'],
      ['Set-Cookie: sid=abc123; Path=/', 'abc123'],
      ['Authorization: abc123def456', 'abc123def456'],
      ['postgres://app:p#ss/w?rd@db/app', 'p#ss/w?rd'],
      ['postgres://app:p@ss@db/app', 'p@ss'],
      ['redis://:my secret@cache:6379', 'my secret'],
      ['{"body":"{\\"password\\":\\"hunter2xyz\\"}"}', 'hunter2xyz'],
      ['token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz', 'c2lnbmF0dXJlMTIz'],
      ['key AKIAIOSFODNN7EXAMPLE used', 'IOSFODNN7EXAMPLE'],
      ['/cb?next=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12', 'wJalrXUtnFEMIK7MDENG'],
      ['s3://bucket/wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12', 'wJalrXUtnFEMIK7MDENG'],
      ['card 4242-4242-4242-4242', '4242-4242-4242'],
      ['card 4242 4242 4242 4242', '4242 4242 4242'],
      ['pwd=hunter2xyz', 'hunter2xyz'],
    ]
    for (const [text, secret] of cases) expect(scrubSecrets(text, NO_LIMIT), text).not.toContain(secret)
  })

  it('keeps ordinary text readable', () => {
    for (const text of [
      'GET /api/products/42 took 12ms',
      'http://localhost:3000/x failed for bob@example.com',
      'connect postgres://db:5432/app as bob@example.com',
      'Token expired for user 42',
      'basic check failed',
      'commit 3f786850e387550fdab836ed7e6dc881de23001b',
      'at 1732650000000 took 1234567890123 ns',
      'the author said so',
    ]) {
      expect(scrubSecrets(text, NO_LIMIT)).toBe(text)
    }
  })
})

describe('scrubSecrets: linear in its input', () => {
  // The shapes that made the old rules quadratic (64 KB took seconds), and the new rules' own worst cases.
  const shapes = QUADRATIC_TEXT_UNITS

  it('scrubs 256 KiB of any adversarial shape in well under a second', () => {
    for (const unit of shapes) {
      const text = unit.repeat(Math.ceil((256 * 1024) / unit.length))
      const started = performance.now()
      scrubSecrets(text, NO_LIMIT)
      // The bench measures the real figure (~20 ms); this only catches a return to quadratic time.
      expect(performance.now() - started, unit).toBeLessThan(1000)
    }
  })

  it('cuts before the rules run: a 10 MB message of any shape costs what its first kilobytes cost', () => {
    // Shapes the rules must scan (each holds what the pre-scan looks for): without the cut before the rules, the
    // worst of them takes over a second at 10 MB however linear the rules are.
    for (const unit of shapes) {
      const text = unit.repeat(Math.ceil((10 * 1024 * 1024) / unit.length))
      const started = performance.now()
      const out = scrubSecrets(text, 512)
      expect(performance.now() - started, unit).toBeLessThan(200)
      expect(out.length, unit).toBeLessThanOrEqual(512)
    }
  })
})

describe('createSanitizer: planted secrets and hostile values', () => {
  const sanitize = createSanitizer()

  it('never lets a secret through, at any depth, in any container', () => {
    fc.assert(
      fc.property(plantedValue(), (planted) => {
        const out = JSON.stringify(sanitize(planted.value)) ?? ''
        expect(leaks(out, planted.secret), `${planted.kind} → ${out}`).toBe(false)
      }),
      runs(1500),
    )
  })

  it('returns JSON-safe data for the worst values, without throwing or stalling', () => {
    fc.assert(
      fc.property(hostileValue(), (hostile) => {
        const value = hostile.make()
        const started = performance.now()
        const out = sanitize(value)
        expect(() => JSON.stringify(out)).not.toThrow()
        expect(performance.now() - started, hostile.name).toBeLessThan(500)
      }),
      runs(150),
    )
  })
})

describe('createSanitizer: reuseClean and rename', () => {
  it('hands clean plain data back as it is, and copies anything it must change', () => {
    const sanitize = createSanitizer({ reuseClean: true, rename: { level: 'ctx_level' } })
    const clean = { user: 'u-1', n: 2, nested: { ok: true, list: ['a'] } }
    expect(sanitize(clean)).toBe(clean)
    for (const dirty of [
      { token: 'abc12345' },
      { note: 'Bearer abc12345' },
      { level: 'forged' },
      { when: new Date(0) },
      { pairs: ['authorization', 'x'] },
    ]) {
      const before = JSON.stringify(dirty)
      const out = sanitize(dirty)
      expect(out).not.toBe(dirty)
      expect(JSON.stringify(dirty)).toBe(before)
    }
    expect(sanitize({ level: 'x', a: 1 })).toEqual({ a: 1, ctx_level: 'x' })
  })

  it('with reuseClean, any planted secret still never gets through', () => {
    const sanitize = createSanitizer({ reuseClean: true })
    fc.assert(
      fc.property(plantedValue(), (planted) => {
        expect(leaks(JSON.stringify(sanitize(planted.value)) ?? '', planted.secret)).toBe(false)
      }),
      runs(500),
    )
  })
})

describe('scrubSecrets: a quoted value cut before its closing quote', () => {
  it('is masked to the end of its line', () => {
    expect(scrubSecrets('{"password":"hunter2-cut-off', NO_LIMIT)).not.toContain('hunter2')
    expect(scrubSecrets('password: "hunter2 cut\nnext line', NO_LIMIT)).toBe('password: "***"\nnext line')
  })
})
