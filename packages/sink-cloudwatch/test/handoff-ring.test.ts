// The hand-off ring alone, writer and reader in one thread: whatever lines and whatever interleaving of writes and
// reads, lines come out whole, in order, as UTF-8 would carry them; a refusal leaves no trace; the counts add up.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createHandoffBuffers, ringReader, ringWriter, STATE } from '../src/handoff-ring.js'

/** What a line becomes through UTF-8 (a lone surrogate becomes U+FFFD). */
const throughUtf8 = (line: string) => Buffer.from(line).toString()
const recordBytes = (line: string) => 4 + ((Buffer.byteLength(line) + 3) & ~3)

const line = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.integer({ min: 0, max: 900 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 0, max: 300 }).map((n) => '日'.repeat(n)),
)
const op = fc.oneof(
  { weight: 3, arbitrary: line.map((l) => ({ write: l })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 8 }).map((n) => ({ read: n })) },
)

describe('the hand-off ring', () => {
  it('hands over every accepted line whole and in order, refuses only what does not fit, and counts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 4096 }), fc.array(op, { maxLength: 300 }), (size, ops) => {
        const buffers = createHandoffBuffers(size)
        const writer = ringWriter(buffers)
        const reader = ringReader(buffers)
        const state = new Int32Array(buffers.state)
        const ringSize = buffers.data.byteLength
        /** The free bytes from the write position to the ring's end, and from its start up to the reader. */
        const freeStretches = () => {
          const write = Atomics.load(state, STATE.write)
          const free = ringSize - writer.pendingBytes
          const toEnd = ringSize - (write % ringSize)
          return [Math.min(free, toEnd), free - toEnd]
        }
        const queued: string[] = []
        const out: string[] = []
        const expected: string[] = []
        for (const step of ops) {
          if ('write' in step) {
            const empty = queued.length === 0
            const stretches = freeStretches()
            const accepted = writer.write(step.write)
            if (accepted) queued.push(throughUtf8(step.write))
            // An empty ring takes any record of up to half its size.
            if (empty && recordBytes(step.write) <= buffers.data.byteLength / 2) expect(accepted).toBe(true)
            // A refusal means neither free stretch (to the ring's end, or from its start) holds the record.
            if (!accepted) expect(recordBytes(step.write)).toBeGreaterThan(Math.max(...stretches))
          } else {
            const taken = reader.read((l) => out.push(l), step.read)
            expected.push(...queued.splice(0, taken))
            expect(taken).toBe(Math.min(step.read, taken + queued.length))
          }
          expect(writer.pendingLines).toBe(queued.length)
          expect(writer.pendingBytes).toBeLessThanOrEqual(buffers.data.byteLength)
          expect(reader.hasLines).toBe(queued.length > 0)
        }
        reader.read((l) => out.push(l))
        expected.push(...queued.splice(0))
        expect(out).toEqual(expected)
        expect(writer.pendingLines).toBe(0)
        expect(writer.pendingBytes).toBe(0)
      }),
      { seed: 17, numRuns: 300 },
    )
  })

  it('takes lines in order through many wraps of a small ring', () => {
    const buffers = createHandoffBuffers(256)
    const writer = ringWriter(buffers)
    const reader = ringReader(buffers)
    const out: string[] = []
    for (let i = 0; i < 10_000; i++) {
      const text = `line ${i} ${'é'.repeat(i % 37)}`
      if (!writer.write(text)) {
        reader.read((l) => out.push(l))
        expect(writer.write(text)).toBe(true)
      }
    }
    reader.read((l) => out.push(l))
    expect(out).toEqual(Array.from({ length: 10_000 }, (_, i) => `line ${i} ${'é'.repeat(i % 37)}`))
    expect(Atomics.load(new Int32Array(buffers.state), STATE.taken)).toBe(10_000)
  })

  it('lets one reader at a time read, and a take-over keeps the ring for good', () => {
    const buffers = createHandoffBuffers(1024)
    const worker = ringReader(buffers)
    const host = ringReader(buffers)
    expect(worker.tryLock()).toBe(true)
    expect(host.takeOver(20)).toBe(false) // a read in progress is not cut short
    worker.unlock()
    expect(host.takeOver(20)).toBe(true)
    expect(worker.tryLock()).toBe(false)
  })

  it('wakes a waiting reader on a write, and a wait on a non-empty ring returns at once', async () => {
    const buffers = createHandoffBuffers(1024)
    const writer = ringWriter(buffers)
    const reader = ringReader(buffers)
    const started = performance.now()
    const waiting = reader.waitForLines(5000)
    writer.write('wake up')
    await waiting
    expect(performance.now() - started).toBeLessThan(1000)
    await reader.waitForLines(5000) // a line is waiting: no wait at all
    expect(performance.now() - started).toBeLessThan(1000)
    expect(reader.read(() => {})).toBe(1)
  })
})
