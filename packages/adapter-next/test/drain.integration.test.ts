// The drain under a real `next build` output, started both ways teams ship it — `next start` and the standalone
// `node server.js` — with NEXT_MANUAL_SIG_HANDLE=true, a real SIGTERM and real requests in flight: readiness fails at
// once, liveness holds, a streamed server component and a slow route handler finish, an idle keep-alive
// connection is closed, the metrics buffered for a minute are flushed, exit 0. One build serves both.
import { connect, type Socket } from 'node:net'
import { type StatsdListener, startStatsdListener } from '@vivr/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildFixture, type RunningApp, startFixture } from './fixture.js'

const DRAIN_DELAY_MS = 1000
const IN_FLIGHT_MS = 2500

/** A keep-alive connection that served one request and now sits idle; resolves when the server closes it. */
async function idleKeepAlive(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = connect(port, '127.0.0.1')
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())))
  let received = ''
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk
      if (/\r\n\r\n[\s\S]*\}/.test(received)) resolve()
    })
    socket.write('GET /api/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n')
  })
  expect(received).toMatch(/^HTTP\/1\.1 200/)
  expect(received).toMatch(/keep-alive/i)
  return { socket, closed }
}

describe.each([
  { how: 'next start', standalone: false },
  { how: 'standalone node server.js', standalone: true },
])('Next.js drains on SIGTERM under $how', { timeout: 60_000 }, ({ how, standalone }) => {
  let statsd: StatsdListener
  let app: RunningApp

  beforeAll(async () => {
    buildFixture()
    statsd = await startStatsdListener()
    app = await startFixture(
      {
        NEXT_MANUAL_SIG_HANDLE: '1',
        DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
        DD_AGENT_HOST: '127.0.0.1',
        DD_AGENT_PORT: String(statsd.port),
        // Nothing leaves on its own within the test: what arrives was flushed by the shutdown.
        DD_FLUSH_INTERVAL_MS: '600000',
      },
      { standalone },
    )
  }, 420_000)

  afterAll(async () => {
    if (app && app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL')
    await app?.exited
    await statsd?.close()
  })

  it('fails readiness at once, keeps liveness, finishes in-flight requests, closes idle connections, flushes, exits 0', async () => {
    const idle = await idleKeepAlive(app.port)
    // A streamed server component: the shell has arrived, the rest is still rendering when the signal comes.
    const stream = await fetch(`${app.base}/stream?ms=${IN_FLIGHT_MS}`)
    expect(stream.status).toBe(200)
    const reader = stream.body!.getReader()
    const decoder = new TextDecoder()
    let page = decoder.decode((await reader.read()).value)
    expect(page).not.toContain('streamed after')
    const slow = fetch(`${app.base}/api/slow?ms=${IN_FLIGHT_MS}`)
    await new Promise((resolve) => setTimeout(resolve, 200))

    const signalled = Date.now()
    app.child.kill('SIGTERM')
    await expect
      .poll(async () => (await fetch(`${app.base}/api/health/ready`)).status, { timeout: 500, interval: 25 })
      .toBe(503)
    expect(Date.now() - signalled).toBeLessThan(DRAIN_DELAY_MS)
    expect((await fetch(`${app.base}/api/health/live`)).status).toBe(200)

    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      page += decoder.decode(chunk.value, { stream: true })
    }
    expect(page).toContain(`streamed after <!-- -->${IN_FLIGHT_MS}<!-- --> ms`)
    const answered = await slow
    expect([answered.status, await answered.json()]).toEqual([200, { waitedMs: IN_FLIGHT_MS }])

    // The idle connection closed once the drain delay was over, not at the signal and not at the exit.
    const closedAt = await idle.closed
    expect(closedAt - signalled).toBeGreaterThanOrEqual(DRAIN_DELAY_MS - 50)
    const { code, signal } = await app.exited
    const drainedMs = Date.now() - signalled
    expect({ code, signal }, app.output()).toEqual({ code: 0, signal: null })
    expect(drainedMs).toBeLessThan(DRAIN_DELAY_MS + IN_FLIGHT_MS + 3000)
    console.log(`${how}: SIGTERM to exit 0 in ${drainedMs} ms (drain delay ${DRAIN_DELAY_MS} ms)`)

    const messages = app.logs.map((line) => line.message)
    expect(messages).toContain('shutting down')
    expect(messages.at(-1)).toBe('shutdown complete')
    expect(
      app.logs.find((line) => line.route === '/api/slow' && line.message === 'request completed'),
    ).toBeTruthy()
    // Buffered for ten minutes, delivered by the shutdown: the slow route's request counted.
    await statsd.waitFor(() =>
      statsd.metrics.some(
        (m) =>
          m.name === 'vivr.http.requests' &&
          m.tags.includes('route:/api/slow') &&
          m.tags.includes('status_code:200'),
      ),
    )
  })
})
