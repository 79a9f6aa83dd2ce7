import type { CheckStatus, OverallStatus } from './check.js'
import type { HealthReport } from './report.js'
import { type HistoryPoint, renderStatusPage } from './status-page.js'

export const HEALTH_JSON = 'application/health+json'

const NO_CACHE = 'no-cache, no-store, must-revalidate'
const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': NO_CACHE }
const HEALTH_JSON_HEADERS = { 'Content-Type': HEALTH_JSON, 'Cache-Control': NO_CACHE }
const HTML_HEADERS = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': NO_CACHE }

export function httpStatusFor(status: OverallStatus): number {
  return status === 'unhealthy' ? 503 : 200
}

export type Representation = 'json' | 'health+json' | 'html'

/** What the request asked for: health+json or HTML when named in Accept, else the guide's JSON. */
export function negotiate(request: Request | undefined): Representation {
  const accept = request?.headers.get('accept')?.toLowerCase() ?? ''
  if (accept.includes(HEALTH_JSON)) return 'health+json'
  return accept.includes('text/html') ? 'html' : 'json'
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
  history: () => Readonly<Record<string, readonly HistoryPoint[]>>,
): Response {
  const status = httpStatusFor(report.status)
  switch (negotiate(request)) {
    case 'health+json':
      return jsonResponse(toHealthJson(report, withDetails), status, HEALTH_JSON_HEADERS)
    case 'html':
      return new Response(renderStatusPage(report, history(), withDetails), { status, headers: HTML_HEADERS })
    default:
      return jsonResponse(withDetails ? report : { status: report.status }, status, JSON_HEADERS)
  }
}

export function renderRunnerFailure(error: string, timestamp: string): Response {
  return jsonResponse({ status: 'unhealthy', error, timestamp }, 503, JSON_HEADERS)
}

// `new Response(JSON.stringify(...))` is about a third cheaper than `Response.json` in undici.
function jsonResponse(body: unknown, status: number, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers })
}
