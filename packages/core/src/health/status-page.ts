import type { CheckStatus, OverallStatus } from './check.js'
import type { HealthReport } from './report.js'

/** One past run of a check, as kept in the runner's bounded history. */
export interface HistoryPoint {
  /** Epoch milliseconds. */
  at: number
  status: CheckStatus
  /** Milliseconds. */
  latency: number
}

export interface StatusPageOptions {
  /** Seconds between automatic reloads. @default 10 */
  refreshSeconds?: number
  title?: string
}

const COLOURS: Record<CheckStatus | OverallStatus, string> = {
  ok: '#1a7f37',
  healthy: '#1a7f37',
  degraded: '#9a6700',
  error: '#cf222e',
  unhealthy: '#cf222e',
}

/** Text for HTML content or a quoted attribute. Anything that is not a string is shown as text, never thrown on. */
function escapeHtml(value: unknown): string {
  return textOf(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value
  try {
    return String(value)
  } catch {
    return ''
  }
}

/** A status as a CSS class suffix: one of the known statuses, else `unknown` (never caller text). */
function statusClass(status: unknown): string {
  return typeof status === 'string' && Object.hasOwn(COLOURS, status) ? status : 'unknown'
}

/**
 * The page's one style sheet. Colours are classes, not `style` attributes, so the Content-Security-Policy can
 * allow exactly this sheet by its hash and nothing else: no `'unsafe-inline'`, no scripts.
 */
const STYLE = `
body{font:15px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem;display:flex;gap:.6rem;align-items:center}
.badge{color:#fff;border-radius:1rem;padding:.1rem .6rem;font-size:.85rem;font-weight:600;background:#57606a}
.s-ok,.s-healthy{background:${COLOURS.ok}}.s-degraded{background:${COLOURS.degraded}}.s-error,.s-unhealthy{background:${COLOURS.error}}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:middle}
.num{font-variant-numeric:tabular-nums}.msg{color:#57606a;word-break:break-word}.meta{color:#57606a;font-size:.85rem}
`

/**
 * The status page's Content-Security-Policy: nothing may load or run, the one style sheet is allowed by its
 * SHA-256 (a test recomputes it from the page), and no one may frame the page.
 */
export const STATUS_PAGE_CSP =
  "default-src 'none'; style-src 'sha256-76EkeZbwmY9o1m9SzMOH8pL6cTbcfMO5OrfBfo+/7+I='; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const WIDTH = 160
const HEIGHT = 32

/** Beside a damped status, what the last run itself saw (`failAfter` / `recoverAfter`). */
function rawBadge(raw: CheckStatus | undefined): string {
  if (raw === undefined) return ''
  return ` <span class="raw" title="last run, before damping">last run: <span class="badge s-${statusClass(raw)}">${escapeHtml(raw)}</span></span>`
}

/** Latency over the last runs as an inline SVG polyline, each run a dot in its status colour. */
export function sparkline(points: readonly HistoryPoint[]): string {
  if (points.length === 0) return ''
  const max = Math.max(1, ...points.map((p) => p.latency))
  const step = points.length > 1 ? WIDTH / (points.length - 1) : 0
  const xy = points.map((p, i) => [i * step, HEIGHT - 3 - (p.latency / max) * (HEIGHT - 6)] as const)
  const line = xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')
  const dots = xy
    .map(
      ([x, y], i) =>
        `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2.5" fill="${COLOURS[points[i]!.status]}"/>`,
    )
    .join('')
  const label = `latency of the last ${points.length} runs, max ${max} ms`
  return `<svg class="spark" role="img" aria-label="${label}" width="${WIDTH}" height="${HEIGHT}" viewBox="-3 0 ${WIDTH + 6} ${HEIGHT}"><polyline points="${line}" fill="none" stroke="#8c959f" stroke-width="1.5"/>${dots}</svg>`
}

/**
 * The human view of health: one self-contained HTML page (no external assets), reloading itself. With details
 * denied it shows only the overall status.
 */
export function renderStatusPage(
  report: HealthReport,
  history: Readonly<Record<string, readonly HistoryPoint[]>>,
  withDetails: boolean,
  options: StatusPageOptions = {},
): string {
  const refresh = options.refreshSeconds ?? 10
  const title = escapeHtml(options.title ?? 'Service status')
  const overall = escapeHtml(report.status)
  const rows = withDetails
    ? Object.entries(report.checks)
        .map(
          ([
            name,
            result,
          ]) => `<tr data-check="${escapeHtml(name)}" data-status="${escapeHtml(result.status)}">
<th scope="row">${escapeHtml(name)}</th>
<td><span class="badge s-${statusClass(result.status)}">${escapeHtml(result.status)}</span>${rawBadge(result.raw?.status)}</td>
<td class="num">${escapeHtml(result.latency)} ms</td>
<td>${sparkline(history[name] ?? [])}</td>
<td class="msg">${escapeHtml(result.message ?? '')}</td></tr>`,
        )
        .join('\n')
    : ''
  const table = withDetails
    ? `<table><thead><tr><th>check</th><th>status</th><th>latency</th><th>recent runs</th><th>message</th></tr></thead>
<tbody>${rows}</tbody></table>
<p class="meta">version ${escapeHtml(report.version)} · ${escapeHtml(report.environment)} · up ${typeof report.uptime === 'number' ? Math.round(report.uptime) : '?'} s · ${escapeHtml(report.timestamp)}</p>`
    : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${escapeHtml(refresh)}"><title>${title}: ${overall}</title>
<style>${STYLE}</style></head>
<body><h1>${title} <span id="overall" class="badge s-${statusClass(report.status)}" data-status="${overall}">${overall}</span></h1>
${report.message ? `<p>${escapeHtml(report.message)}</p>` : ''}
${table}
</body></html>`
}
