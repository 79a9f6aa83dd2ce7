import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { launchChromium } from '@vivr/testkit/browser'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type CheckResult,
  type CheckStatus,
  createHealth,
  type HealthReport,
  renderStatusPage,
  sparkline,
} from '../src/index.js'

const html = (url = 'http://localhost/api/health') =>
  new Request(url, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } })

describe('HTML status page', () => {
  it('is served for Accept: text/html with the same status code, self-contained and auto-refreshing', async () => {
    const health = createHealth({
      checks: [
        { name: 'database', run: () => {} },
        {
          name: 'cache',
          critical: false,
          run: () => {
            throw new Error('connect ECONNREFUSED redis://:pw@127.0.0.1:6379 <script>alert(1)</script>')
          },
        },
      ],
    })
    const response = await health.handler(html())
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const page = await response.text()
    expect(page).toContain('<meta http-equiv="refresh" content="10">')
    expect(page).toMatch(/data-check="cache" data-status="error"/)
    expect(page).not.toContain('<script>')
    expect(page).not.toContain(':pw@')
    expect(page).not.toMatch(/(src|href)="https?:/)
    expect(
      (await health.handler(new Request('http://localhost/api/health'))).headers.get('content-type'),
    ).toBe('application/json')
  })

  it('respects details: only the overall status when denied', async () => {
    const health = createHealth({ checks: [{ name: 'database', run: () => {} }], details: 'never' })
    const page = await (await health.handler(html())).text()
    expect(page).toContain('data-status="healthy"')
    expect(page).not.toContain('database')
  })

  it('keeps a bounded latency history per check and draws it as a sparkline', async () => {
    let n = 0
    const health = createHealth({
      checks: [{ name: 'database', run: () => (++n % 2 ? undefined : { status: 'degraded' }) }],
      historySize: 5,
    })
    for (let i = 0; i < 12; i++) await health.run()
    const history = health.history().database ?? []
    expect(history).toHaveLength(5)
    expect(history.map((p) => p.status)).toEqual(['degraded', 'ok', 'degraded', 'ok', 'degraded'])
    const svg = sparkline(history)
    expect(svg.match(/<circle/g)).toHaveLength(5)
    expect(svg).toContain('#9a6700')
    expect(sparkline([])).toBe('')
    expect(() => createHealth({ checks: [], historySize: 0 })).toThrow(/historySize/)
  })

  it('renders without history or checks', () => {
    const page = renderStatusPage(
      {
        status: 'healthy',
        timestamp: new Date(0).toISOString(),
        uptime: 1,
        environment: 'test',
        version: '1',
        checks: {},
      },
      {},
      true,
    )
    expect(page).toContain('<tbody></tbody>')
  })
})

describe('status page headers', () => {
  const failingHealth = (details?: 'always') =>
    createHealth({
      checks: [
        {
          name: 'cache',
          run: () => {
            throw new Error('down')
          },
        },
      ],
      ...(details ? { details } : {}),
    })

  it('the HTML carries a strict CSP whose style hash matches the page, and nosniff', async () => {
    const response = await failingHealth().handler(html())
    expect(response.status).toBe(503)
    const csp = response.headers.get('content-security-policy') ?? ''
    const directives = new Map(
      csp.split(';').map((part) => {
        const [name = '', ...values] = part.trim().split(/\s+/)
        return [name, values] as const
      }),
    )
    expect(directives.get('default-src')).toEqual(["'none'"])
    expect(directives.get('frame-ancestors')).toEqual(["'none'"])
    expect(directives.has('script-src')).toBe(false)
    expect(csp).not.toContain('unsafe')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    const page = await response.text()
    expect(page).not.toMatch(/<script|\son\w+=|style="/i)
    const styles = [...page.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? '')
    expect(styles).toHaveLength(1)
    const hash = `'sha256-${createHash('sha256')
      .update(styles[0] ?? '')
      .digest('base64')}'`
    expect(directives.get('style-src')).toEqual([hash])
  })

  it('every JSON answer carries nosniff, the runner failure included', async () => {
    const health = failingHealth('always')
    for (const accept of ['application/json', 'application/health+json']) {
      const response = await health.handler(new Request('http://localhost/health', { headers: { accept } }))
      expect(response.headers.get('x-content-type-options'), accept).toBe('nosniff')
    }
    const broken = createHealth({
      checks: [],
      policy: () => {
        throw new Error('x')
      },
    })
    const failure = await broken.handler(new Request('http://localhost/health'))
    expect(failure.status).toBe(503)
    expect(failure.headers.get('x-content-type-options')).toBe('nosniff')
  })
})

describe('status page escaping (property)', () => {
  const STATUSES: CheckStatus[] = ['ok', 'degraded', 'error']
  const markupCharacters = (page: string) => {
    const counts: Record<string, number> = { '<': 0, '>': 0, '"': 0, "'": 0 }
    for (const c of page) if (c in counts) counts[c]!++
    return counts
  }
  const reportOf = (
    checks: Array<[string, CheckStatus, string | undefined]>,
    text: { version: string; environment: string; message: string | undefined },
  ): HealthReport => ({
    status: 'degraded',
    timestamp: new Date(0).toISOString(),
    uptime: 1,
    environment: text.environment,
    version: text.version,
    checks: Object.fromEntries(
      checks.map(([name, status, message]): [string, CheckResult] => [
        name,
        message === undefined ? { status, latency: 3 } : { status, latency: 3, message },
      ]),
    ),
    ...(text.message === undefined ? {} : { message: text.message }),
  })

  it('arbitrary names, messages, versions and titles add no markup to the page', () => {
    const hostileText = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        '<script>alert(1)</script>',
        '"><img src=x onerror=alert(1)>',
        "' onmouseover='x",
        '</style><b>',
      ),
    )
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(hostileText, fc.constantFrom(...STATUSES), fc.option(hostileText, { nil: undefined })),
          {
            selector: ([name]) => name,
            maxLength: 6,
          },
        ),
        hostileText,
        hostileText,
        fc.option(
          hostileText.filter((t) => t !== ''),
          { nil: undefined },
        ),
        hostileText,
        (checks, version, environment, message, title) => {
          const page = renderStatusPage(reportOf(checks, { version, environment, message }), {}, true, {
            title,
          })
          const plain = renderStatusPage(
            reportOf(
              checks.map(([, status, m], i) => [`check${i}`, status, m === undefined ? undefined : 'm']),
              { version: 'v', environment: 'e', message: message === undefined ? undefined : 'm' },
            ),
            {},
            true,
            { title: 't' },
          )
          expect(markupCharacters(page)).toEqual(markupCharacters(plain))
        },
      ),
      { seed: 424_242, numRuns: 300 },
    )
  })

  it('arbitrary check names and thrown messages served by the engine add no markup either', async () => {
    const name = fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constant('<script>"x"</script>'))
    await fc.assert(
      fc.asyncProperty(
        fc
          .uniqueArray(fc.tuple(name, fc.string({ maxLength: 60 })), {
            selector: ([n]) => n,
            minLength: 1,
            maxLength: 4,
          })
          .filter((list) => list.every(([n]) => n.trim() !== '')),
        async (list) => {
          const serve = async (entries: Array<[string, string]>) => {
            const health = createHealth({
              checks: entries.map(([checkName, message]) => ({
                name: checkName,
                critical: false,
                run: () => {
                  throw new Error(message)
                },
              })),
              includeMetrics: false,
              version: '1',
              environment: 'test',
            })
            return (await health.handler(html())).text()
          }
          const page = await serve(list)
          const plain = await serve(list.map((_, i) => [`check${i}`, 'm']))
          expect(markupCharacters(page)).toEqual(markupCharacters(plain))
        },
      ),
      { seed: 1_337, numRuns: 100 },
    )
  })

  it('a report with values of the wrong type still renders', () => {
    const report = {
      status: '<b>odd</b>',
      timestamp: 42,
      uptime: 'long',
      environment: { toString: () => '<i>' },
      version: Symbol('v'),
      message: 7,
      checks: { '<x>': { status: '"><script>', latency: '<3>', message: { a: '<b>' } } },
    } as unknown as HealthReport
    const page = renderStatusPage(report, {}, true)
    expect(page).not.toMatch(/<(b|i|x|script|3)>/)
    expect(page).toContain('&#60;b&#62;odd&#60;/b&#62;')
  })
})

describe('HTML status page in Chromium', () => {
  let server: Server
  let base = ''
  let up = true

  beforeAll(async () => {
    const health = createHealth({
      checks: [
        { name: 'database', run: () => {} },
        {
          name: 'cache',
          critical: false,
          run: () => {
            if (!up) throw new Error('connect ECONNREFUSED 127.0.0.1:6379')
          },
        },
      ],
    })
    server = createServer(async (req, res) => {
      const response = await health.handler(
        new Request(`http://localhost${req.url}`, { headers: { accept: req.headers.accept ?? '*/*' } }),
      )
      res.writeHead(response.status, Object.fromEntries(response.headers))
      res.end(await response.text())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    base = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}` : ''
  })

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('renders, and shows a failing check in its failure colour after the dependency stops', async () => {
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      await page.goto(`${base}/api/health`)
      await page.reload()
      expect(await page.locator('#overall').textContent()).toBe('healthy')
      const cacheBadge = page.locator('tr[data-check="cache"] .badge')
      expect(await cacheBadge.textContent()).toBe('ok')

      up = false
      await page.reload()
      expect(await cacheBadge.textContent()).toBe('error')
      expect(await cacheBadge.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(207, 34, 46)')
      expect(await page.locator('#overall').textContent()).toBe('degraded')
      const dots = page.locator('tr[data-check="cache"] svg circle')
      expect(await dots.count()).toBeGreaterThanOrEqual(3)
      expect(await dots.first().getAttribute('fill')).toBe('#1a7f37')
      expect(await dots.last().getAttribute('fill')).toBe('#cf222e')
      const dir = join(process.cwd(), 'test-artifacts')
      mkdirSync(dir, { recursive: true })
      await page.screenshot({ path: join(dir, 'status-page.png'), fullPage: true })
    } finally {
      await browser.close()
    }
  })
})
