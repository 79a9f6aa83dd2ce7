import { createSocket } from 'node:dgram'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { parseDogStatsDLine, type StatsdListener, startStatsdListener } from '../src/statsd-listener.js'

describe('parseDogStatsDLine: packed values (DogStatsD protocol 1.1)', () => {
  it('reads every value of a line, type, sample rate and tags shared by all', () => {
    expect(parseDogStatsDLine('api.latency:12:7.5:-3:0.0000001:1e-7|ms|@0.5|#env:prod,route:/a')).toEqual({
      kind: 'metric',
      name: 'api.latency',
      value: 12,
      values: [12, 7.5, -3, 1e-7, 1e-7],
      type: 'ms',
      sampleRate: 0.5,
      tags: ['env:prod', 'route:/a'],
      raw: 'api.latency:12:7.5:-3:0.0000001:1e-7|ms|@0.5|#env:prod,route:/a',
    })
    expect(parseDogStatsDLine('basket:+1:.5:2.|d')).toMatchObject({ values: [1, 0.5, 2], type: 'd' })
    // A set member is one value whatever it spells (sets take no packing).
    expect(parseDogStatsDLine('users.uniques:1234|s')).toMatchObject({ values: [1234], type: 's' })
  })

  it('refuses a value the agent would refuse: empty, hexadecimal, padded, out of range', () => {
    for (const line of [
      'a:|ms',
      'a:1::2|h',
      'a:1:|h',
      'a::1|ms',
      'a:0x10|ms',
      'a: 1|ms',
      'a:1 |ms',
      'a:Infinity|ms',
      'a:1e999|h',
      'a:NaN|g',
      'a:1,5|ms',
    ]) {
      expect(parseDogStatsDLine(line), line).toBeUndefined()
    }
  })

  it('any list of finite doubles, spelled as JavaScript spells them, reads back exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1 }),
        (values) => {
          const parsed = parseDogStatsDLine(`m:${values.map(String).join(':')}|h|#a:b`)
          expect(parsed).toMatchObject({ kind: 'metric', type: 'h', tags: ['a:b'] })
          expect(parsed?.kind === 'metric' && parsed.values).toEqual(values.map((v) => (v === 0 ? 0 : v)))
        },
      ),
      { seed: 20_261_215, numRuns: 300 },
    )
  })
})

describe('startStatsdListener counts values', () => {
  let listener: StatsdListener | undefined
  afterEach(() => listener?.close())

  it('valueCount and waitForValues count each value of a packed line', async () => {
    listener = await startStatsdListener()
    const socket = createSocket('udp4')
    await new Promise<void>((resolve) =>
      socket.send('a:1:2:3|h\nb:4|c\n_sc|check|0', listener!.port, '127.0.0.1', () => resolve()),
    )
    socket.close()
    await listener.waitForValues(4)
    expect(listener.valueCount).toBe(4)
    expect(listener.lines).toHaveLength(3)
    await expect(listener.waitForValues(5, { timeoutMs: 50 })).rejects.toThrow('wanted 5 values, got 4')
    listener.clear()
    expect(listener.valueCount).toBe(0)
  })
})
