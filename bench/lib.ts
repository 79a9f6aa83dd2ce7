import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

export interface Figure {
  /** What is measured, e.g. "probe storm: dependency calls". */
  figure: string
  unit: string
  ours: number | string
  anchor: number | string
  /** Name of the anchor, e.g. "guide-style handler". */
  anchorName: string
  /** Whether a larger number is better (throughput) or smaller (latency, calls). */
  higherIsBetter: boolean
}

/** The context of the logger benches' lines: five fields, as an app logs an order. */
export const CONTEXT = {
  userId: 'u-123',
  orderId: 'o-456',
  sessionId: 's-789',
  endpoint: '/api/orders',
  duration: 42,
}

export type Bench = { name: string; run: () => Promise<Figure[]> }

export function ratio(f: Figure): string {
  if (typeof f.ours !== 'number' || typeof f.anchor !== 'number' || f.anchor === 0 || f.ours === 0) return '—'
  const r = f.higherIsBetter ? f.ours / f.anchor : f.anchor / f.ours
  return `${r.toFixed(2)}×`
}

const fmt = (v: number | string) =>
  typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v

export function printTable(figures: Figure[]): void {
  const rows = figures.map((f) => [
    f.figure,
    `${fmt(f.ours)} ${f.unit}`,
    `${fmt(f.anchor)} ${f.unit}`,
    f.anchorName,
    ratio(f),
  ])
  const header = ['figure', 'ours', 'anchor', 'anchor is', 'ours vs anchor']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' │ ')
  console.log(line(header))
  console.log(widths.map((w) => '─'.repeat(w)).join('─┼─'))
  for (const row of rows) console.log(line(row))
  console.log('(ours vs anchor: > 1× means ours is better — faster, fewer calls or lower latency)')
}

export function writeResults(path: string, figures: Figure[]): void {
  writeFileSync(
    path,
    `${JSON.stringify({ at: new Date().toISOString(), node: process.version, figures }, null, 2)}\n`,
  )
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

/** Runs `fn` repeatedly for about `durationMs` and returns operations per second. */
export async function opsPerSecond(fn: () => unknown, durationMs = 1000, batch = 100): Promise<number> {
  for (let i = 0; i < batch * 10; i++) await fn()
  const started = performance.now()
  let ops = 0
  while (performance.now() - started < durationMs) {
    for (let i = 0; i < batch; i++) await fn()
    ops += batch
  }
  return ops / ((performance.now() - started) / 1000)
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Lines a synchronous `log` call writes per second, after a warm-up. */
export function linesPerSecond(log: () => void, lines: number): number {
  for (let i = 0; i < 20_000; i++) log()
  const started = performance.now()
  for (let i = 0; i < lines; i++) log()
  return lines / ((performance.now() - started) / 1000)
}

/**
 * Interleaves the contenders over several rounds of `totalLines / rounds` lines and keeps each one's best, so load
 * on the machine hits all alike.
 */
export function bestOfRounds(
  contenders: Array<(lines: number) => number>,
  totalLines: number,
  rounds = 5,
): number[] {
  const best = contenders.map(() => 0)
  for (let round = 0; round < rounds; round++) {
    contenders.forEach((measure, i) => {
      best[i] = Math.max(best[i]!, measure(totalLines / rounds))
    })
  }
  return best
}

/** CPU seconds (user + system) a process has used, from /proc; NaN where there is no /proc. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Whether a server can have CPU 0 to itself and the load generator CPU 1 (two cores and `taskset`). */
export const pinnable: boolean = availableParallelism() >= 2 && hasTaskset()

/** `command` set to run on CPU 0 when {@link pinnable}, else as it is. */
export function onServerCpu(command: string[]): string[] {
  return pinnable ? ['taskset', '-c', '0', ...command] : command
}

/** Moves this process, the load generator, to CPU 1 when {@link pinnable}. */
export function loadFromOtherCpu(): void {
  if (pinnable) execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' })
}
