import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { OptionError, systemClock } from '@vivr/core'
import { hostileValue, throwingProxy } from '@vivr/testkit/hostile'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  type CloudWatchLogsOptions,
  LOGS_DEFAULTS,
  resolveLogsOptions,
  stderrLine,
} from '../src/logs-options.js'

const base = { logGroupName: '/vivr/production/app' }

describe('resolveLogsOptions', () => {
  it('applies the defaults', () => {
    const settings = resolveLogsOptions(base)
    expect(settings).toMatchObject({
      ...LOGS_DEFAULTS,
      logGroupName: '/vivr/production/app',
      logStreamName: undefined,
      retentionInDays: undefined,
      onDrop: undefined,
      logger: undefined,
      lifecycle: undefined,
    })
    expect(LOGS_DEFAULTS).toEqual({
      flushIntervalMs: 1000,
      maxBufferBytes: 8 * 1024 * 1024,
      createIfMissing: true,
      requestTimeoutMs: 10_000,
      flushTimeoutMs: 5000,
      maxRetryDelayMs: 30_000,
      warnIntervalMs: 60_000,
    })
    expect(settings.fallback).toBe(stderrLine)
    expect(settings.clock).toBe(systemClock)
    expect(settings.instanceId).toMatch(new RegExp(`^[^:*]+-${process.pid}$`))
  })

  it('keeps what it is given', () => {
    const onDrop = () => {}
    const fallback = () => {}
    const lifecycle = { onShutdown: () => {} }
    const clock = { ...systemClock }
    const settings = resolveLogsOptions({
      ...base,
      logStreamName: 'fixed',
      instanceId: 'web-1',
      flushIntervalMs: 50,
      maxBufferBytes: 2 * 1024 * 1024,
      createIfMissing: false,
      retentionInDays: 30,
      onDrop,
      requestTimeoutMs: 1,
      flushTimeoutMs: 2,
      maxRetryDelayMs: 3,
      warnIntervalMs: 0,
      fallback,
      lifecycle,
      clock,
      region: 'eu-west-3',
      client: new CloudWatchLogsClient({ region: 'eu-west-3' }),
    })
    expect(settings).toMatchObject({
      logStreamName: 'fixed',
      instanceId: 'web-1',
      flushIntervalMs: 50,
      maxBufferBytes: 2 * 1024 * 1024,
      createIfMissing: false,
      retentionInDays: 30,
      requestTimeoutMs: 1,
      flushTimeoutMs: 2,
      maxRetryDelayMs: 3,
      warnIntervalMs: 0,
    })
    expect([settings.onDrop, settings.fallback, settings.lifecycle, settings.clock]).toEqual([
      onDrop,
      fallback,
      lifecycle,
      clock,
    ])
  })

  const invalid: Array<[string, unknown]> = [
    ['logGroupName', undefined],
    ['logGroupName', 'spaces are not allowed'],
    ['logGroupName', 'x'.repeat(513)],
    ['logStreamName', ''],
    ['logStreamName', 'a*b'],
    ['instanceId', 'web:1'],
    ['flushIntervalMs', 0],
    ['flushIntervalMs', Number.POSITIVE_INFINITY],
    ['maxBufferBytes', 1024 * 1024 - 1],
    ['maxBufferBytes', 1_500_000.5],
    ['createIfMissing', 1],
    ['retentionInDays', 2],
    ['onDrop', {}],
    ['requestTimeoutMs', 0],
    ['flushTimeoutMs', -1],
    ['maxRetryDelayMs', '30s'],
    ['warnIntervalMs', Number.NaN],
    ['fallback', 'stderr'],
    ['logger', { info: () => {} }],
    ['lifecycle', { onShutdown: true }],
    ['clock', { now: () => 0 }],
    ['region', ''],
    ['client', { region: 'us-east-1' }],
    ['clientConfig', 'us-east-1'],
  ]
  it.each(invalid)('rejects %s = %o at construction, naming it', (option, value) => {
    const options = { ...base, [option]: value } as CloudWatchLogsOptions
    expect(() => resolveLogsOptions(options)).toThrow(OptionError)
    expect(() => resolveLogsOptions(options)).toThrow(`Invalid option ${option}:`)
  })

  it('names the option whose value is a Proxy that throws on every trap', () => {
    for (const option of ['lifecycle', 'logger', 'clock', 'client']) {
      const options = { ...base, [option]: throwingProxy() } as CloudWatchLogsOptions
      expect(() => resolveLogsOptions(options)).toThrow(`Invalid option ${option}:`)
    }
  })

  it('rejects options that are not an object', () => {
    for (const options of [undefined, null, 'logs', 42]) {
      expect(() => resolveLogsOptions(options as never)).toThrow('Invalid option options:')
    }
  })

  const names = [
    'logGroupName',
    'logStreamName',
    'instanceId',
    'flushIntervalMs',
    'maxBufferBytes',
    'createIfMissing',
    'retentionInDays',
    'onDrop',
    'requestTimeoutMs',
    'flushTimeoutMs',
    'maxRetryDelayMs',
    'warnIntervalMs',
    'fallback',
    'logger',
    'lifecycle',
    'clock',
    'region',
    'client',
    'clientConfig',
  ] as const

  it('whatever an option holds, it is taken or refused with an OptionError naming that option', () => {
    fc.assert(
      fc.property(fc.constantFrom(...names), hostileValue(), (option, hostile) => {
        const options = { ...base, [option]: hostile.make() } as CloudWatchLogsOptions
        try {
          resolveLogsOptions(options)
        } catch (error) {
          expect(error, hostile.name).toBeInstanceOf(OptionError)
          expect((error as Error).message.startsWith(`Invalid option ${option}:`), hostile.name).toBe(true)
        }
      }),
      { seed: 7, numRuns: 150 },
    )
  })

  it('takes any duration > 0 and any integer buffer from 1 MiB', () => {
    fc.assert(
      fc.property(
        fc.double({ min: Number.MIN_VALUE, max: 1e12, noNaN: true }),
        fc.integer({ min: 1024 * 1024, max: 2 ** 31 }),
        (ms, bytes) => {
          const settings = resolveLogsOptions({
            ...base,
            flushIntervalMs: ms,
            requestTimeoutMs: ms,
            flushTimeoutMs: ms,
            maxRetryDelayMs: ms,
            warnIntervalMs: ms,
            maxBufferBytes: bytes,
          })
          expect(settings).toMatchObject({ flushIntervalMs: ms, warnIntervalMs: ms, maxBufferBytes: bytes })
        },
      ),
      { seed: 11, numRuns: 200 },
    )
  })
})
