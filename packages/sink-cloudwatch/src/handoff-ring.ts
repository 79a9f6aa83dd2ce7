/// <reference lib="es2024.sharedmemory" />

/**
 * The hand-off between the thread that writes log lines and the worker thread that ships them: one writer, one
 * reader, lines as UTF-8 records in a SharedArrayBuffer ring (the way pino's thread-stream passes bytes, with two
 * differences: the writer never blocks and never buffers beside the ring — a line that finds no room is refused —
 * and a record is one whole line, so whoever reads it gets lines, not chunks).
 *
 * A record is a 4-byte length followed by the line's bytes, padded to a multiple of 4, always contiguous: a
 * record that would cross the ring's end is preceded by a pad marker and starts again at 0. Positions run over
 * twice the ring's size, so `write === read` means empty and `write - read === size` full.
 */

/** Indexes into the shared state (an Int32Array). */
export const STATE = {
  /** Writer position, in [0, 2 × size). */
  write: 0,
  /** Reader position, in [0, 2 × size). */
  read: 1,
  /** 1 while the reader waits for a write (the writer then wakes it). */
  sleeping: 2,
  /** Lines taken by the reader so far (wraps at 2³¹, compare with `| 0`). */
  taken: 3,
  /** 0 free, 1 held by a reader; held for good once the ring is taken over (see `takeOver`). */
  lock: 4,
} as const

/** Room for the worker protocol's own indexes after the ring's. */
export const STATE_SLOTS = 16

const PAD = -1
const HEADER_BYTES = 4
const align = (bytes: number) => (bytes + 3) & ~3

export interface HandoffBuffers {
  state: SharedArrayBuffer
  data: SharedArrayBuffer
}

/** `size` bytes of ring (rounded up to a multiple of 4) and the shared state. */
export function createHandoffBuffers(size: number): HandoffBuffers {
  return {
    state: new SharedArrayBuffer(STATE_SLOTS * Int32Array.BYTES_PER_ELEMENT),
    data: new SharedArrayBuffer(align(size)),
  }
}

export interface RingWriter {
  /**
   * Appends one line; false when the ring has no room for it (nothing is written then). An empty ring takes any line
   * of up to half its size (the longer of its two free stretches is at least that).
   */
  write(line: string): boolean
  /** Lines written and not yet taken by the reader. */
  readonly pendingLines: number
  /** Bytes in the ring (records and padding) not yet taken by the reader. */
  readonly pendingBytes: number
}

export function ringWriter(buffers: HandoffBuffers): RingWriter {
  const state = new Int32Array(buffers.state)
  const data = Buffer.from(buffers.data)
  const heads = new Int32Array(buffers.data)
  const size = buffers.data.byteLength
  const twice = size * 2
  let position = Atomics.load(state, STATE.write)
  let written = 0

  const used = (read: number) => (position >= read ? position - read : position + twice - read)

  function advance(bytes: number) {
    position += bytes
    if (position >= twice) position -= twice
  }

  return {
    write(line) {
      const read = Atomics.load(state, STATE.read)
      const free = size - used(read)
      const at = position >= size ? position - size : position
      const toEnd = size - at
      const contiguous = Math.min(free, toEnd)
      let start = at
      // A UTF-16 unit is at most 3 UTF-8 bytes: most lines fit on that bound without being measured first.
      if (HEADER_BYTES + line.length * 3 > contiguous) {
        const need = HEADER_BYTES + align(Buffer.byteLength(line))
        if (need > contiguous) {
          // From the ring's start up to the reader is free when the writer is not behind it.
          if (free - toEnd < need) return false
          heads[at >> 2] = PAD
          advance(toEnd)
          start = 0
        }
      }
      const bytes = data.write(line, start + HEADER_BYTES, 'utf8')
      heads[start >> 2] = bytes
      advance(HEADER_BYTES + align(bytes))
      written++
      Atomics.store(state, STATE.write, position)
      if (Atomics.load(state, STATE.sleeping) === 1) Atomics.notify(state, STATE.write)
      return true
    },
    get pendingLines() {
      return Math.max(0, (written - Atomics.load(state, STATE.taken)) | 0)
    },
    get pendingBytes() {
      return used(Atomics.load(state, STATE.read))
    },
  }
}

export interface RingReader {
  /**
   * Takes up to `maxLines` lines, oldest first, handing each to `onLine`; returns how many it took. Call only
   * while holding the lock (`tryLock`), or once the writer's thread is the only one left.
   */
  read(onLine: (line: string) => void, maxLines?: number): number
  /** Whether lines are waiting. */
  readonly hasLines: boolean
  /**
   * Resolves when a line is written (at once if one is waiting), or after `timeoutMs`. For the worker's loop:
   * it does not keep the thread alive.
   */
  waitForLines(timeoutMs: number): Promise<void>
  /** Takes the lock for one read; false when another reader holds it or took the ring over. */
  tryLock(): boolean
  unlock(): void
  /**
   * For the writer's thread when the worker is gone or too late: takes the lock for good (so the worker reads no
   * more), waiting up to `timeoutMs` for a read in progress to end. False if it could not.
   */
  takeOver(timeoutMs: number): boolean
}

export function ringReader(buffers: HandoffBuffers): RingReader {
  const state = new Int32Array(buffers.state)
  const data = Buffer.from(buffers.data)
  const heads = new Int32Array(buffers.data)
  const size = buffers.data.byteLength
  const twice = size * 2

  return {
    read(onLine, maxLines = Number.POSITIVE_INFINITY) {
      let position = Atomics.load(state, STATE.read)
      const end = Atomics.load(state, STATE.write)
      let lines = 0
      try {
        while (position !== end && lines < maxLines) {
          const at = position >= size ? position - size : position
          const length = heads[at >> 2]!
          if (length === PAD) {
            position += size - at
          } else {
            const line = data.toString('utf8', at + HEADER_BYTES, at + HEADER_BYTES + length)
            position += HEADER_BYTES + align(length)
            lines++
            onLine(line)
          }
          if (position >= twice) position -= twice
        }
      } finally {
        // Room is given back only once the lines are handed over.
        Atomics.store(state, STATE.read, position)
        Atomics.add(state, STATE.taken, lines)
      }
      return lines
    },
    get hasLines() {
      return Atomics.load(state, STATE.read) !== Atomics.load(state, STATE.write)
    },
    async waitForLines(timeoutMs) {
      Atomics.store(state, STATE.sleeping, 1)
      try {
        const read = Atomics.load(state, STATE.read)
        const write = Atomics.load(state, STATE.write)
        if (read !== write) return
        const result = Atomics.waitAsync(state, STATE.write, write, timeoutMs)
        if (result.async) await result.value
      } finally {
        Atomics.store(state, STATE.sleeping, 0)
      }
    },
    tryLock: () => Atomics.compareExchange(state, STATE.lock, 0, 1) === 0,
    unlock() {
      Atomics.store(state, STATE.lock, 0)
      Atomics.notify(state, STATE.lock)
    },
    takeOver(timeoutMs) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        if (Atomics.compareExchange(state, STATE.lock, 0, 1) === 0) return true
        const left = deadline - Date.now()
        if (left <= 0) return false
        Atomics.wait(state, STATE.lock, 1, Math.min(left, 10))
      }
    },
  }
}
