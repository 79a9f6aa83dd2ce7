import type { CheckResult, OverallStatus } from './check.js'

/** The health JSON (docs/health.md#the-report). */
export interface HealthReport {
  status: OverallStatus
  /** ISO-8601 */
  timestamp: string
  /** Seconds the process has been up. */
  uptime: number
  environment: string
  version: string
  checks: Record<string, CheckResult>
  metrics?: HealthMetrics
  /** Set when the report was not produced by the checks, e.g. `shutting down`. */
  message?: string
}

export interface HealthMetrics {
  /** Heap used, MB. */
  memoryUsage: number
  /** User CPU time, ms. */
  cpuUsage: number
  requestsPerSecond: number
}

/** `process` exists under Node (and Next.js' Node runtime); the health part must also load where it does not. */
interface ProcessLike {
  env?: Record<string, string | undefined>
  uptime?: () => number
  memoryUsage?: () => { heapUsed: number }
  cpuUsage?: () => { user: number }
}

function runtimeProcess(): ProcessLike | undefined {
  const candidate: unknown = Reflect.get(globalThis, 'process')
  return typeof candidate === 'object' && candidate !== null ? (candidate as ProcessLike) : undefined
}

const round2 = (n: number) => Math.round(n * 100) / 100

export function processUptimeSeconds(): number {
  return round2(runtimeProcess()?.uptime?.() ?? 0)
}

const SAMPLE_EVERY_MS = 1000

/**
 * Process metrics for reports. Reading memory usage costs ~10 µs (it reads /proc), so one sample serves every
 * report within a second: a probe storm pays for it once.
 */
export function createProcessSampler(now: () => number): (requestsPerSecond: number) => HealthMetrics {
  let sampledAt = Number.NEGATIVE_INFINITY
  let memoryUsage = 0
  let cpuUsage = 0
  return (requestsPerSecond) => {
    const at = now()
    if (at - sampledAt >= SAMPLE_EVERY_MS || at < sampledAt) {
      const proc = runtimeProcess()
      memoryUsage = round2((proc?.memoryUsage?.().heapUsed ?? 0) / 1024 / 1024)
      cpuUsage = round2((proc?.cpuUsage?.().user ?? 0) / 1000)
      sampledAt = at
    }
    return { memoryUsage, cpuUsage, requestsPerSecond }
  }
}
