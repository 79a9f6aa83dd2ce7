import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { errorOutcome, scrubSecrets } from '../src/index.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function heapMb(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed / 1024 / 1024
}

describe('scrubSecrets: a cut message holds only what it kept', () => {
  it('100 messages cut from 1 MB inputs hold kilobytes, not the inputs', () => {
    const before = heapMb()
    const kept: string[] = []
    for (let i = 0; i < 100; i++) {
      // Without a secret (the common case, where no rule rewrites the text) and with one.
      const input = `${i} ${i % 2 === 0 ? 'postgres://app:pw@db' : 'connection refused'} ${'m'.repeat(1024 * 1024)}`
      kept.push(scrubSecrets(input), errorOutcome(new Error(input)).message ?? '')
    }
    // Before: a result cut from text no rule rewrote was a view of its 1 MB input (50 MB here).
    expect(heapMb() - before).toBeLessThan(16)
    expect(kept[0]).toMatch(/^0 postgres:\/\/\*\*\*@db m+…$/)
    expect(kept[2]).toMatch(/^1 connection refused m+…$/)
    expect(kept[2]).toHaveLength(512)
  })
})
