import { writeSync } from 'node:fs'

/** How long one line may wait for a full stderr pipe before it is given up. */
const FULL_PIPE_WAIT_MS = 1000

/**
 * One line to stderr, written before this returns — also while the process exits, when `process.stderr.write` on a
 * pipe only queues what does not fit and the queue is lost. A full pipe is retried (EAGAIN) for up to 1 s per line.
 */
export function stderrLineSync(line: string): void {
  let bytes = Buffer.from(`${line}\n`)
  const deadline = Date.now() + FULL_PIPE_WAIT_MS
  let sleeper: Int32Array | undefined
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(2, bytes))
    } catch (error) {
      const full = error instanceof Error && 'code' in error && error.code === 'EAGAIN'
      if (!full || Date.now() > deadline) return // stderr closed or stuck: nowhere left to write
      sleeper ??= new Int32Array(new SharedArrayBuffer(4))
      Atomics.wait(sleeper, 0, 0, 1)
    }
  }
}
