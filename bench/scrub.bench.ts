import { scrubSecrets } from '@vivr/core'
import { QUADRATIC_TEXT_UNITS } from '@vivr/testkit/hostile'
import type { Bench, Figure } from './lib.js'

/*
 * Anchor: the free-text rules of @vivr/core 0.1 (before the hardening work), copied here as they were. They ran
 * after nothing cut the text, and several of them rescanned the rest of the text from every word boundary.
 */
const V01_RULES: ReadonlyArray<readonly [RegExp, (match: string, ...groups: string[]) => string]> = [
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi, (_, scheme) => `${scheme}***@`],
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/g, (_, kind) => `${kind} ***`],
  [/\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]+/g, (_, kind, mode) => `${kind}_${mode}_***`],
  [/\bwhsec_[A-Za-z0-9]+/g, () => 'whsec_***'],
  [
    /\b((?:pass(?:word|wd)?|pwd|secret|token|access[_-]?token|refresh[_-]?token|api[_-]?key|client[_-]?secret)"?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,"'}]+)/gi,
    (_, key = '') => `${key}***`,
  ],
]
function scrubV01(text: string): string {
  let out = text
  for (const [pattern, replacement] of V01_RULES) out = out.replace(pattern, replacement)
  return out.replace(/\b[2-6](?:[ -]?\d){12,18}\b/g, (m) => m)
}

const PROSE =
  'Checkout failed for order 81723 after 3 retries: the payment provider answered 502 at 10:42:07 and the ' +
  'request id was 5f0c2b9e. Customer asked to be emailed at jane@example.com; cart held 4 items. '
// The shapes that made the 0.1 rules quadratic, and the worst cases of the current rules.
const ADVERSARIAL = QUADRATIC_TEXT_UNITS
const SIZES_KIB = [16, 64, 256]
const NO_LIMIT = Number.MAX_SAFE_INTEGER

export const fill = (unit: string, kib: number) =>
  unit.repeat(Math.ceil((kib * 1024) / unit.length)).slice(0, kib * 1024)

function bestMs(fn: () => void, rounds: number): number {
  let best = Number.POSITIVE_INFINITY
  for (let i = 0; i < rounds; i++) {
    const started = performance.now()
    fn()
    best = Math.min(best, performance.now() - started)
  }
  return Math.round(best * 100) / 100
}

/** The worst shape at a size: the slowest of ADVERSARIAL for `scrub`, and which it was. */
export function worst(
  scrub: (text: string) => string,
  kib: number,
  rounds: number,
): { ms: number; shape: string } {
  let result = { ms: 0, shape: '' }
  for (const unit of ADVERSARIAL) {
    const text = fill(unit, kib)
    const ms = bestMs(() => scrub(text), rounds)
    if (ms > result.ms) result = { ms, shape: unit }
  }
  return result
}

const scrub: Bench = {
  name: 'scrub: free text',
  async run() {
    const ours = (text: string) => scrubSecrets(text, NO_LIMIT)
    const figures: Figure[] = []
    for (const kib of SIZES_KIB) {
      const text = fill(PROSE, kib)
      figures.push({
        figure: `scrubSecrets, prose, ${kib} KiB`,
        unit: 'ms',
        ours: bestMs(() => ours(text), 5),
        anchor: bestMs(() => scrubV01(text), 5),
        anchorName: '@vivr/core 0.1 rules',
        higherIsBetter: false,
      })
    }
    for (const kib of SIZES_KIB) {
      const mine = worst(ours, kib, 3)
      // The 0.1 rules take ~25 s on 256 KiB of the worst shape: measured up to 64 KiB only.
      const anchor = kib <= 64 ? worst(scrubV01, kib, 1) : undefined
      figures.push({
        figure: `scrubSecrets, worst adversarial shape, ${kib} KiB (ours: '${mine.shape}')`,
        unit: 'ms',
        ours: mine.ms,
        anchor: anchor ? anchor.ms : 'not run (~25 s)',
        anchorName: anchor ? `@vivr/core 0.1 rules ('${anchor.shape}')` : '@vivr/core 0.1 rules',
        higherIsBetter: false,
      })
    }
    return figures
  },
}

export const benches: Bench[] = [scrub]
