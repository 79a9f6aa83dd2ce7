import { multiMetrics } from '@vivr/core'
import { createLogger, fileDestination, withContext } from '@vivr/core/node'
import { memoryMetrics } from '@vivr/testkit'
import pino from 'pino'
import { type Bench, bestOfRounds, CONTEXT, type Figure, linesPerSecond } from './lib.js'

const LINES = 200_000

function nsPerCall(call: () => void, calls = 5_000_000): number {
  for (let i = 0; i < 100_000; i++) call()
  const started = performance.now()
  for (let i = 0; i < calls; i++) call()
  return ((performance.now() - started) * 1e6) / calls
}

const devNull = () => pino.destination({ dest: '/dev/null', sync: true })

const logger: Bench = {
  name: 'telemetry: logger',
  async run() {
    const raw = pino({ base: null }, devNull())
    const rawRedacting = pino(
      {
        base: null,
        redact: ['*.password', '*.token', '*.authorization', '*.cookie', '*.secret', '*.apiKey'],
      },
      devNull(),
    )
    const ours = createLogger({ destinations: [fileDestination('/dev/null')] })
    // The guide's logger: console.log(JSON.stringify(...)), with stdout sent to /dev/null for the measurement.
    const nullStdout = devNull()
    const guide = (message: string, context: object) =>
      nullStdout.write(
        `${JSON.stringify({ level: 'INFO', timestamp: new Date().toISOString(), message, ...context })}\n`,
      )

    const plain = (log: () => void) => (lines: number) => linesPerSecond(log, lines)
    const [rawRate = 0, oursRate = 0, redactRate = 0, guideRate = 0, oursInContext = 0] = bestOfRounds(
      [
        plain(() => raw.info(CONTEXT, 'order placed')),
        plain(() => ours.info('order placed', CONTEXT)),
        plain(() => rawRedacting.info(CONTEXT, 'order placed')),
        plain(() => guide('order placed', CONTEXT)),
        (lines) =>
          withContext({ requestId: 'req-1', userId: 'u-1' }, () =>
            linesPerSecond(() => ours.info('order placed', CONTEXT), lines),
          ),
      ],
      LINES,
    )
    const rawBelow = nsPerCall(() => raw.debug(CONTEXT, 'hidden'))
    const oursBelow = nsPerCall(() => ours.debug('hidden', CONTEXT))
    const row = (figure: string, value: number, anchor: number, anchorName: string): Figure => ({
      figure,
      unit: 'lines/s',
      ours: Math.round(value),
      anchor: Math.round(anchor),
      anchorName,
      higherIsBetter: true,
    })
    return [
      row(
        'logger info, 5-field context, redaction on → /dev/null',
        oursRate,
        rawRate,
        'raw pino (no redaction)',
      ),
      row('pino wildcard redact (for comparison)', redactRate, rawRate, 'raw pino (no redaction)'),
      row(
        "the guide's console.log(JSON.stringify) (for comparison)",
        guideRate,
        rawRate,
        'raw pino (no redaction)',
      ),
      row(
        'logger info inside withContext (request context)',
        oursInContext,
        oursRate,
        'ours without context',
      ),
      {
        figure: 'logger call below the level',
        unit: 'ns/call',
        ours: oursBelow,
        anchor: rawBelow,
        anchorName: 'raw pino',
        higherIsBetter: false,
      },
    ]
  },
}

const metricsFanOut: Bench = {
  name: 'telemetry: metrics fan-out',
  async run() {
    const a = memoryMetrics()
    const b = memoryMetrics()
    const fanOut = multiMetrics(a, b)
    const tags = { route: '/api/orders', method: 'GET' }
    const calls = 2_000_000
    const rate = (call: () => void) => {
      const started = performance.now()
      for (let i = 0; i < calls; i++) {
        call()
        if (a.calls.length > 100_000) {
          a.clear()
          b.clear()
        }
      }
      return calls / ((performance.now() - started) / 1000)
    }
    const direct = rate(() => {
      a.increment('http.requests', 1, tags)
      b.increment('http.requests', 1, tags)
    })
    const ours = rate(() => fanOut.increment('http.requests', 1, tags))
    return [
      {
        figure: 'metrics fan-out to 2 memory sinks',
        unit: 'calls/s',
        ours: Math.round(ours),
        anchor: Math.round(direct),
        anchorName: 'calling both sinks directly',
        higherIsBetter: true,
      },
    ]
  },
}

export const benches: Bench[] = [logger, metricsFanOut]
