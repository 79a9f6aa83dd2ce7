import { createSocket } from 'node:dgram'
import { parseDogStatsDLine, type StatsdListener, startStatsdListener } from '@vivr/testkit'
import { StatsD } from 'hot-shots'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

let listener: StatsdListener
let client: StatsD
beforeEach(async () => {
  listener = await startStatsdListener()
  client = new StatsD({ host: '127.0.0.1', port: listener.port, includeDataDogTags: false, datadog: false })
})
afterEach(async () => {
  await new Promise<void>((resolve) => client.close(() => resolve()))
  await listener.close()
})

describe("the testkit's DogStatsD listener, fed by real hot-shots", () => {
  it('parses metrics with sample rates, timestamps and tags', async () => {
    client.distribution('checkout.basket_size', 3, { tags: ['env:test', 'route:/checkout'] })
    client.gauge('queue.depth', 12, { timestamp: 1_800_000_000 })
    client.increment('sampled', 1, 0.999_999, ['a:b'])
    await listener.waitFor(() => listener.metrics.length === 3 || listener.lines.length === 3)
    expect(listener.metrics.map(({ raw: _raw, ...m }) => m)).toEqual(
      expect.arrayContaining([
        {
          kind: 'metric',
          name: 'checkout.basket_size',
          value: 3,
          values: [3],
          type: 'd',
          tags: ['env:test', 'route:/checkout'],
        },
        {
          kind: 'metric',
          name: 'queue.depth',
          value: 12,
          values: [12],
          type: 'g',
          tags: [],
          timestamp: 1_800_000_000,
        },
      ]),
    )
  })

  it('parses service checks with timestamp, hostname, tags and a message', async () => {
    client.check(
      'health.database',
      client.CHECKS.CRITICAL,
      {
        date_happened: new Date(1_800_000_000_000),
        hostname: 'web-1',
        message: 'connection refused',
      },
      ['check:database'],
    )
    await listener.waitForLines(1)
    expect(listener.serviceChecks).toEqual([
      {
        kind: 'serviceCheck',
        name: 'health.database',
        status: 2,
        timestamp: 1_800_000_000,
        hostname: 'web-1',
        tags: ['check:database'],
        message: 'connection refused',
        raw: '_sc|health.database|2|d:1800000000|h:web-1|#check:database|m:connection refused',
      },
    ])
  })

  it('parses events, with multi-line text and non-ASCII titles', async () => {
    client.event(
      'Deploy ✓ Zürich',
      'v1.4.0\nrolled out',
      {
        alert_type: 'success',
        priority: 'low',
        aggregation_key: 'deploys',
        source_type_name: 'ci',
        hostname: 'web-1',
      },
      ['team:web'],
    )
    await listener.waitForLines(1)
    expect(listener.events).toEqual([
      expect.objectContaining({
        kind: 'event',
        title: 'Deploy ✓ Zürich',
        text: 'v1.4.0\nrolled out',
        alertType: 'success',
        priority: 'low',
        aggregationKey: 'deploys',
        sourceType: 'ci',
        hostname: 'web-1',
        tags: ['team:web'],
      }),
    ])
  })

  it('reads event lengths in UTF-8 bytes as the spec gives them, and packed values', () => {
    expect(parseDogStatsDLine('_e{11,2}:Zürich ✓|hi|#a:b')).toMatchObject({
      title: 'Zürich ✓',
      text: 'hi',
      tags: ['a:b'],
    })
    expect(parseDogStatsDLine('latency:1:2.5:3|h|@0.5|#route:/x')).toMatchObject({
      name: 'latency',
      value: 1,
      values: [1, 2.5, 3],
      type: 'h',
      sampleRate: 0.5,
      tags: ['route:/x'],
    })
  })

  it('keeps lines it cannot parse apart and says how many lines arrived when a wait times out', async () => {
    const raw = createSocket('udp4')
    await new Promise<void>((resolve) =>
      raw.send('not dogstatsd\nok:1|c', listener.port, '127.0.0.1', () => resolve()),
    )
    raw.close()
    await listener.waitForLines(2)
    expect(listener.unparsed).toEqual(['not dogstatsd'])
    expect(listener.metrics.map((m) => m.name)).toEqual(['ok'])
    await expect(listener.waitForLines(3, { timeoutMs: 100 })).rejects.toThrow('wanted 3 lines, got 2')
  })
})
