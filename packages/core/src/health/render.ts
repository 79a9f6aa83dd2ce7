import type { CheckStatus, OverallStatus } from './check.js'
import type { HealthReport } from './report.js'
import { type HistoryPoint, renderStatusPage, STATUS_PAGE_CSP } from './status-page.js'

export const HEALTH_JSON = 'application/health+json'

const NO_CACHE = 'no-cache, no-store, must-revalidate'
const NOSNIFF = 'nosniff'
const JSON_HEADERS = {
  'Content-Type': 'application/json',
  'Cache-Control': NO_CACHE,
  'X-Content-Type-Options': NOSNIFF,
}
const HEALTH_JSON_HEADERS = {
  'Content-Type': HEALTH_JSON,
  'Cache-Control': NO_CACHE,
  'X-Content-Type-Options': NOSNIFF,
}
const HTML_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': NO_CACHE,
  'Content-Security-Policy': STATUS_PAGE_CSP,
  'X-Content-Type-Options': NOSNIFF,
}

/**
 * What a response carries: `status` only the overall status; `checks` each check's status, latency and message;
 * `full` each check's `details` object too.
 */
export type DetailLevel = 'status' | 'checks' | 'full'

export function httpStatusFor(status: OverallStatus): number {
  return status === 'unhealthy' ? 503 : 200
}

export type Representation = 'json' | 'health+json' | 'html'

/** What the request asked for: health+json or HTML when named in Accept, else the seed JSON (docs/health.md#renderings). */
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

/** The seed JSON at a detail level: check `details` objects only at `full` (docs/health.md#details-policy). */
function toJsonBody(report: HealthReport, level: DetailLevel): unknown {
  if (level === 'status') return { status: report.status }
  if (level === 'full') return report
  const checks: Record<string, unknown> = {}
  for (const [name, { details: _details, ...rest }] of Object.entries(report.checks)) checks[name] = rest
  return { ...report, checks }
}

/**
 * The response for a report in the representation the request asked for. Reports the engine builds are plain
 * JSON data (check details are sanitized when produced); a throw here can only come from a hand-built report,
 * and the handler turns it into its runner-failure answer.
 */
export function renderReport(
  report: HealthReport,
  request: Request | undefined,
  level: DetailLevel,
  history: () => Readonly<Record<string, readonly HistoryPoint[]>>,
): Response {
  const status = httpStatusFor(report.status)
  const withChecks = level !== 'status'
  switch (negotiate(request)) {
    case 'health+json':
      return jsonResponse(toHealthJson(report, withChecks), status, HEALTH_JSON_HEADERS)
    case 'html':
      return new Response(renderStatusPage(report, history(), withChecks), { status, headers: HTML_HEADERS })
    default:
      return jsonResponse(toJsonBody(report, level), status, JSON_HEADERS)
  }
}

export function renderRunnerFailure(error: string, timestamp: string): Response {
  return jsonResponse({ status: 'unhealthy', error, timestamp }, 503, JSON_HEADERS)
}

// `new Response(JSON.stringify(...))` is about a third cheaper than `Response.json` in undici.
function jsonResponse(body: unknown, status: number, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers })
}
