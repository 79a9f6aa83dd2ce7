import { hostname } from 'node:os'

const DAY_MS = 86_400_000

/** `<hostname>-<pid>`, without the characters CloudWatch forbids in stream names. */
export function defaultInstanceId(): string {
  return `${hostname() || 'host'}-${process.pid}`.replace(/[:*]/g, '-')
}

/**
 * A daily stream (`YYYY-MM-DD`, UTC) plus an instance id, so several instances never share a stream:
 * `2026-11-26/ip-10-0-1-5-4821`. The name for a timestamp rolls over at midnight UTC.
 */
export function dailyStreamNamer(instanceId: string): (timestamp: number) => string {
  let from = Number.POSITIVE_INFINITY
  let until = Number.NEGATIVE_INFINITY
  let name = ''
  return (timestamp) => {
    if (timestamp < from || timestamp >= until) {
      from = timestamp - (((timestamp % DAY_MS) + DAY_MS) % DAY_MS)
      until = from + DAY_MS
      name = `${new Date(from).toISOString().slice(0, 10)}/${instanceId}`
    }
    return name
  }
}
