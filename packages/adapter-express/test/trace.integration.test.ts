// One request, one trace, in a real Express process as users run it: the built packages loaded as ES modules
// (Express 5) and as CommonJS (Express 4), with the real OpenTelemetry SDK owning the trace and with no tracer at
// all. The app (test/fixtures/trace-app.cjs) serves requests to itself and prints what it saw.
import { execFile, execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const FIXTURES = join(import.meta.dirname, 'fixtures')
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_SPAN_ID = '00f067aa0ba902b7'
const MALFORMED_TAIL = '<script>alert(1)</script>'
const TRACERESPONSE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/

interface Output {
  results: Array<{
    id: string
    status: number
    requestId: string | null
    traceresponse: string | null
    body: { trace?: { traceId: string; spanId: string } }
  }>
  lines: Array<Record<string, unknown>>
  spans: Array<{ requestId: string; traceId: string; spanId: string; parentSpanId?: string }>
  raw: string
}

async function run(entry: 'trace-esm.mjs' | 'trace-cjs.cjs', tracer: 'otel' | 'none'): Promise<Output> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(FIXTURES, entry)], {
    env: { ...process.env, TRACER: tracer, NODE_ENV: 'production' },
    timeout: 30_000,
  })
  return { ...(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Omit<Output, 'raw'>), raw: stdout }
}

beforeAll(() => {
  // The built packages (turbo: a cache hit when nothing changed), as an app installed from the registry gets them.
  execFileSync(
    'npx',
    ['turbo', 'run', 'build', '--filter=@vivr/adapter-express', '--output-logs=errors-only'],
    {
      cwd: ROOT,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
      stdio: 'pipe',
    },
  )
}, 300_000)

describe.each([
  ['ES modules, Express 5', 'trace-esm.mjs'],
  ['CommonJS, Express 4', 'trace-cjs.cjs'],
] as const)('%s', (_name, entry) => {
  /** What holds with a tracer or without: one trace per request, in the answer and on each of its log lines. */
  function expectOneTracePerRequest(output: Output) {
    const traces = new Set<string>()
    for (const result of output.results) {
      expect(result.requestId).toBe(result.id)
      const [, traceId, spanId] = TRACERESPONSE.exec(result.traceresponse ?? '') ?? []
      expect(traceId, `${result.id}: ${result.traceresponse}`).toBeDefined()
      traces.add(`${traceId}`)
      const lines = output.lines.filter((line) => line.requestId === result.id)
      const expected =
        result.id === 'fail'
          ? ['API error', 'request completed']
          : ['loading order', 'order loaded', 'request completed']
      expect(lines.map((line) => line.message)).toEqual(expected)
      for (const line of lines) expect([line.trace_id, line.span_id]).toEqual([traceId, spanId])
      if (result.id !== 'fail') expect(result.body.trace).toMatchObject({ traceId, spanId })
    }
    // The two requests sent with the same traceparent share its trace; every other one has its own.
    expect(traces.size).toBe(output.results.length - 1)
    const sweep = output.lines.find((line) => line.message === 'cart sweep')
    expect(sweep).toMatchObject({ task: 'cart-sweep', trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) })
    expect(sweep?.requestId).toBeUndefined()
    expect(traces.has(`${sweep?.trace_id}`)).toBe(false)
    // A malformed header is never echoed, in a header, a body or a log line.
    expect(output.raw).not.toContain(MALFORMED_TAIL)
    expect(output.raw).not.toContain('alert(1)')
  }

  const traceOf = (output: Output, id: string) =>
    TRACERESPONSE.exec(output.results.find((r) => r.id === id)?.traceresponse ?? '')

  it('with the OpenTelemetry SDK: every log line of a request carries the trace of the span it exported', async () => {
    const output = await run(entry, 'otel')
    expectOneTracePerRequest(output)
    for (const result of output.results) {
      const span = output.spans.find((s) => s.requestId === result.id)
      expect(result.traceresponse).toBe(`00-${span?.traceId}-${span?.spanId}-01`)
      for (const line of output.lines.filter((l) => l.requestId === result.id)) {
        expect([line.trace_id, line.span_id]).toEqual([span?.traceId, span?.spanId])
      }
    }
    // The SDK continued the incoming traceparent; a malformed one started a trace of its own.
    const valid = output.spans.find((s) => s.requestId === 'valid')
    expect([valid?.traceId, valid?.parentSpanId]).toEqual([TRACE_ID, PARENT_SPAN_ID])
    const malformed = output.spans.find((s) => s.requestId === 'malformed')
    expect([malformed?.traceId, malformed?.parentSpanId]).not.toContain(TRACE_ID)
  })

  it('with no tracer: ids made by the kit, a valid traceparent continued, a malformed one replaced', async () => {
    const output = await run(entry, 'none')
    expectOneTracePerRequest(output)
    expect(output.spans).toEqual([])
    const [, validTrace, validSpan] = traceOf(output, 'valid') ?? []
    expect(validTrace).toBe(TRACE_ID)
    expect(validSpan).not.toBe(PARENT_SPAN_ID)
    expect(output.results.find((r) => r.id === 'valid')?.body.trace).toMatchObject({
      parentSpanId: PARENT_SPAN_ID,
      traceState: 'rojo=00f067aa0ba902b7',
    })
    expect(traceOf(output, 'fail')?.[1]).toBe(TRACE_ID)
    for (const id of ['malformed', 'no-header']) expect(traceOf(output, id)?.[1]).not.toBe(TRACE_ID)
  })
})
