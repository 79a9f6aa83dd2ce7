import type { LogDestination } from '@vivr/core'
import { describe, expect, it } from 'vitest'

export interface LogDestinationHarness {
  destination: LogDestination
  /** Every line the backend holds so far, in the order it stores them. */
  received(): Promise<string[]> | string[]
  /** Releases the backend (server, file…). */
  dispose?(): Promise<void> | void
}

const line = (tag: string, i: number) =>
  JSON.stringify({ level: 'INFO', timestamp: new Date().toISOString(), message: `${tag} line ${i}`, i })

/** The behaviour every log destination (a logger `destinations` entry) must show against its real backend. */
export function describeLogDestinationContract(
  name: string,
  create: () => Promise<LogDestinationHarness> | LogDestinationHarness,
) {
  async function withHarness(body: (h: LogDestinationHarness) => Promise<void>) {
    const harness = await create()
    try {
      await body(harness)
    } finally {
      await harness.destination.close?.()
      await harness.dispose?.()
    }
  }

  const ours = (lines: string[], tag: string) => lines.filter((l) => l.includes(`"${tag} line `))

  describe(`${name} satisfies the LogDestination contract`, () => {
    it('delivers every line, in order, by flush()', async () => {
      await withHarness(async (h) => {
        const sent = Array.from({ length: 500 }, (_, i) => line('ordered', i))
        for (const l of sent) h.destination.write(l)
        await h.destination.flush?.()
        expect(ours(await h.received(), 'ordered')).toEqual(sent)
      })
    })

    it('never throws on odd input and keeps delivering', async () => {
      await withHarness(async (h) => {
        const odd = [
          '',
          'not json at all',
          '{"message":"ünïcødé ✓ 日本語 🚀"}',
          `{"message":"lone surrogate \ud800 here"}`,
          `{"message":"${'x'.repeat(300_000)}"}`,
          '{"message":"with\\nescaped\\nnewlines"}',
        ]
        const around = [line('odd', 0), line('odd', 1)]
        h.destination.write(around[0]!)
        for (const o of odd) expect(() => h.destination.write(o)).not.toThrow()
        h.destination.write(around[1]!)
        await expect(h.destination.flush?.()).resolves.toBeUndefined()
        expect(ours(await h.received(), 'odd')).toEqual(around)
      })
    })

    it('close() delivers what was written, is idempotent, and later writes do not throw', async () => {
      await withHarness(async (h) => {
        const sent = Array.from({ length: 50 }, (_, i) => line('closing', i))
        for (const l of sent) h.destination.write(l)
        await expect(h.destination.close?.()).resolves.toBeUndefined()
        await expect(h.destination.close?.()).resolves.toBeUndefined()
        expect(() => h.destination.write(line('after-close', 0))).not.toThrow()
        expect(ours(await h.received(), 'closing')).toEqual(sent)
      })
    })
  })
}
