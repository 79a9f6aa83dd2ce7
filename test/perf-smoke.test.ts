// Perf smoke: the benchmarks' ratios (never absolute numbers) against floors set at about half of each goal, so
// a 2× regression fails CI while the noise of a shared 2-core machine running other suites does not. The full
// figures come from `npm run bench`; this reuses its measuring code with fewer, shorter rounds.
import { createSocket } from 'node:dgram'
import { scrubSecrets } from '@vivr/core'
import { createLogger, fileDestination } from '@vivr/core/node'
import { QUADRATIC_TEXT_UNITS } from '@vivr/testkit/hostile'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { load, startServer } from '../bench/adapters.bench.js'
import { importCpuMs } from '../bench/cold-start.bench.js'
import { bestOfRounds, CONTEXT, linesPerSecond } from '../bench/lib.js'
import { worst } from '../bench/scrub.bench.js'
import { datagramsPer10k, ourSink } from '../bench/sinks-metrics.bench.js'

/** The measured ratio in the test log, so a CI run shows how far from its floor each one is. */
const report = (what: string, value: number) => console.log(`perf smoke: ${what}: ${value.toFixed(2)}`)

describe('perf smoke (ratios against generous floors)', () => {
  it('logger with redaction: at least 0.45× raw pino lines/s (goal 0.9×)', () => {
    const raw = pino({ base: null }, pino.destination({ dest: '/dev/null', sync: true }))
    const ours = createLogger({ destinations: [fileDestination('/dev/null')] })
    const [rawRate = 0, oursRate = 0] = bestOfRounds(
      [
        (lines) => linesPerSecond(() => raw.info(CONTEXT, 'order placed'), lines),
        (lines) => linesPerSecond(() => ours.info('order placed', CONTEXT), lines),
      ],
      100_000,
      4,
    )
    report('logger vs raw pino, lines/s', oursRate / rawRate)
    expect(oursRate / rawRate).toBeGreaterThan(0.45)
  })

  it('scrubbing grows linearly: the worst shape at 256 KiB within 200 ms and under 40× its 16 KiB time', () => {
    const scrub = (text: string) => scrubSecrets(text, Number.MAX_SAFE_INTEGER)
    const small = worst(scrub, 16, 3)
    const large = worst(scrub, 256, 2)
    expect(QUADRATIC_TEXT_UNITS.length).toBeGreaterThan(0)
    // Goal 20 ms; quadratic growth would be 256× from 16 to 256 KiB, linear 16×.
    expect(large.ms).toBeLessThan(200)
    expect(large.ms / Math.max(small.ms, 0.05)).toBeLessThan(40)
  })

  it('DogStatsD packs at least 30 values per datagram, half of them timings (goal ≥ 30, measured ~370)', async () => {
    const { datagrams } = await datagramsPer10k((port) => ourSink(port), 'mixed')
    expect(datagrams).toBeGreaterThan(0)
    report('DogStatsD values per datagram', 10_000 / datagrams)
    expect(10_000 / datagrams).toBeGreaterThanOrEqual(30)
  })

  it('cold start: core + adapter-express + sink-datadog import at most 0.5× of @sentry/node (goal 0.2×)', () => {
    const stack = ['@vivr/core', '@vivr/core/node', '@vivr/adapter-express', '@vivr/sink-datadog']
    const ours: number[] = []
    const anchor: number[] = []
    for (let round = 0; round < 3; round++) {
      anchor.push(importCpuMs(['@sentry/node']))
      ours.push(importCpuMs(stack, ['express']))
    }
    report('cold import over Express vs @sentry/node, CPU ms', Math.min(...ours) / Math.min(...anchor))
    expect(Math.min(...ours) / Math.min(...anchor)).toBeLessThan(0.5)
  }, 60_000)

  it('Express with observe() + Datadog + access log: at least 0.4× bare requests per server CPU-second (goal 0.9×)', async () => {
    const statsd = createSocket('udp4')
    statsd.on('message', () => {})
    await new Promise<void>((resolve) => statsd.bind(0, '127.0.0.1', resolve))
    const bare = await startServer('bare', statsd.address().port)
    const kit = await startServer('kit', statsd.address().port)
    try {
      await load(bare, 1)
      await load(kit, 1)
      const perCpu = { bare: 0, kit: 0 }
      for (let round = 0; round < 3; round++) {
        for (const [side, server] of [
          ['bare', bare],
          ['kit', kit],
        ] as const) {
          const result = await load(server, 1.5)
          expect(result.errors).toBe(0)
          perCpu[side] = Math.max(perCpu[side], result.requests / result.cpu)
        }
      }
      report('Express kit vs bare, requests per CPU-s', perCpu.kit / perCpu.bare)
      expect(perCpu.kit / perCpu.bare).toBeGreaterThan(0.4)
    } finally {
      bare.child.kill('SIGKILL')
      kit.child.kill('SIGKILL')
      statsd.close()
    }
  }, 60_000)
})
