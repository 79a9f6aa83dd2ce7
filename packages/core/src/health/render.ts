import type { CheckStatus, OverallStatus } from './check.js'
import type { HealthReport } from './report.js'

export const HEALTH_JSON = 'application/health+json'

const NO_CACHE = 'no-cache, no-store, must-revalidate'
const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': NO_CACHE }
const HEALTH_JSON_HEADERS = { 'Content-Type': HEALTH_JSON, 'Cache-Control': NO_CACHE }

export function httpStatusFor(status: OverallStatus): number {
  return status === 'unhealthy' ? 503 : 200
}

/** Which representation the request asked for; JSON unless it prefers application/health+json. */
export function wantsHealthJson(request: Request): boolean {
  return (request.headers.get('accept') ?? '').toLowerCase().includes(HEALTH_JSON)
}

const IETF_OVERALL: Record<OverallStatus, 'pass' | 'warn' | 'fail'> = {
  healthy: 'pass',
  degraded: 'warn',
  unhealthy: 'fail',
}
const IETF_CHECK: Record<CheckStatus, 'pass' | 'warn' | 'fail'> = {
  ok: 'pass',
  degraded: 'warn',
  error: 'fail',
}

/** draft-inadarei-api-health-check-06 body for a report. */
export function toHealthJson(report: HealthReport, withDetails: boolean): Record<string, unknown> {
  if (!withDetails) return { status: IETF_OVERALL[report.status] }
  const checks: Record<string, unknown[]> = {}
  for (const [name, result] of Object.entries(report.checks)) {
    const entry: Record<string, unknown> = {
      componentId: name,
      observedValue: result.latency,
      observedUnit: 'ms',
      status: IETF_CHECK[result.status],
      time: report.timestamp,
    }
    if (result.message !== undefined) entry.output = result.message
    checks[`${name}:responseTime`] = [entry]
  }
  const body: Record<string, unknown> = {
    status: IETF_OVERALL[report.status],
    version: report.version,
    releaseId: report.version,
    checks,
  }
  if (report.message !== undefined) body.output = report.message
  return body
}

export function renderReport(
  report: HealthReport,
  request: Request | undefined,
  withDetails: boolean,
): Response {
  const status = httpStatusFor(report.status)
  if (request && wantsHealthJson(request)) {
    return jsonResponse(toHealthJson(report, withDetails), status, HEALTH_JSON_HEADERS)
  }
  return jsonResponse(withDetails ? report : { status: report.status }, status, JSON_HEADERS)
}

export function renderRunnerFailure(error: string, timestamp: string): Response {
  return jsonResponse({ status: 'unhealthy', error, timestamp }, 503, JSON_HEADERS)
}

// `new Response(JSON.stringify(...))` is about a third cheaper than `Response.json` in undici.
function jsonResponse(body: unknown, status: number, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers })
}
