import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { launchChromium } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHealth, renderStatusPage, sparkline } from '../src/index.js'

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
