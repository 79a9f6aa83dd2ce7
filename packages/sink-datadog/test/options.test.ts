import { OptionError } from '@vivr/core'
import { type DatadogMetricsOptions, datadogMetrics } from '@vivr/sink-datadog'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { resolveOptions } from '../src/options.js'
import { pinDatadogEnv } from './env.js'

beforeEach(() => pinDatadogEnv())
afterEach(() => vi.unstubAllEnvs())

describe('datadogMetrics options', () => {
  const invalid: Array<[string, unknown, RegExp]> = [
    ['port', 0, /Invalid option port: expected an integer from 1 to 65535, got 0/],
    ['port', '8125', /Invalid option port/],
    ['host', '', /Invalid option host: expected a non-empty string/],
    ['socketPath', 42, /Invalid option socketPath/],
    ['prefix', 7, /Invalid option prefix/],
    [
      'maxDatagramBytes',
      100,
      /Invalid option maxDatagramBytes: expected an integer from 512 to 65507, got 100/,
    ],
    ['maxDatagramBytes', 70_000, /Invalid option maxDatagramBytes/],
    ['flushIntervalMs', 0, /Invalid option flushIntervalMs/],
    ['flushIntervalMs', 1.5, /Invalid option flushIntervalMs/],
    ['errorHandler', 'log', /Invalid option errorHandler: expected a function/],
    ['client', {}, /Invalid option client: expected a hot-shots StatsD client/],
    ['logger', console.log, /Invalid option logger/],
    ['globalTags', ['env:prod'], /Invalid option globalTags/],
    ['globalTags', { team: 7 }, /Invalid option globalTags.team: expected a string, got 7/],
    ['aggregation', 'yes', /Invalid option aggregation/],
    ['multiValue', 1, /Invalid option multiValue: expected a boolean, got 1/],
    ['warnIntervalMs', -1, /Invalid option warnIntervalMs/],
    ['warnIntervalMs', 2 ** 31, /Invalid option warnIntervalMs/],
    ['lifecycle', {}, /Invalid option lifecycle: expected an object with onShutdown/],
  ]
  it.each(invalid)('rejects %s = %j at construction, naming the option', (option, value, message) => {
    const options = { host: '127.0.0.1', [option]: value } as DatadogMetricsOptions
    expect(() => datadogMetrics(options)).toThrow(OptionError)
    expect(() => datadogMetrics(options)).toThrow(message)
  })

  it('caps maxDatagramBytes at 8 KiB on a Unix socket', () => {
    expect(() => datadogMetrics({ socketPath: '/tmp/none.socket', maxDatagramBytes: 9000 })).toThrow(
      /maxDatagramBytes: expected an integer from 512 to 8192/,
    )
  })

  const renamed: Array<[string, unknown, string]> = [
    ['maxBufferSize', 1432, 'maxDatagramBytes'],
    ['errorLogIntervalMs', 60_000, 'warnIntervalMs'],
  ]
  it.each(renamed)('rejects the old name %s = %j, naming %s', (old, value, now) => {
    const options = { host: '127.0.0.1', [old]: value } as DatadogMetricsOptions
    expect(() => datadogMetrics(options)).toThrow(OptionError)
    expect(() => datadogMetrics(options)).toThrow(
      `Invalid option ${old}: expected ${now} instead (${old} was renamed)`,
    )
  })

  it('registers close() with a lifecycle, bounded', async () => {
    const hooks: Array<{ name: string; hook: () => unknown; timeoutMs: number | undefined }> = []
    const sink = datadogMetrics({
      host: '127.0.0.1',
      lifecycle: {
        onShutdown: (name, hook, options) => hooks.push({ name, hook, timeoutMs: options?.timeoutMs }),
      },
    })
    expect(hooks).toEqual([{ name: 'datadog metrics', hook: expect.any(Function), timeoutMs: 3000 }])
    await hooks[0]?.hook()
    sink.increment('after.shutdown')
    expect(sink.stats().droppedAfterClose).toBe(1)
  })

  it('names the variable when DD_AGENT_PORT is not a port', () => {
    pinDatadogEnv({ DD_AGENT_PORT: 'eighty' })
    expect(() => datadogMetrics()).toThrow(/port \(from DD_AGENT_PORT \/ DD_DOGSTATSD_PORT\).*"eighty"/)
  })
})

describe('resolveOptions', () => {
  it('fills in the defaults', () => {
    const resolved = resolveOptions({})
    expect(resolved).toMatchObject({
      transport: { protocol: 'udp', host: 'localhost', port: 8125 },
      prefix: 'vivr.',
      globalTags: { env: 'test', service: 'vivr-api', version: '1.2.3' },
      maxDatagramBytes: 1432,
      flushIntervalMs: 1000,
      aggregation: true,
      multiValue: true,
      warnIntervalMs: 60_000,
      client: undefined,
      lifecycle: undefined,
    })
  })

  it('a Unix socket from the environment when neither host nor port is given, with 8 KiB datagrams', () => {
    pinDatadogEnv({ DD_DOGSTATSD_SOCKET: '/var/run/datadog/dsd.socket', DD_AGENT_HOST: 'agent' })
    expect(resolveOptions({})).toMatchObject({
      transport: { protocol: 'uds', path: '/var/run/datadog/dsd.socket' },
      maxDatagramBytes: 8192,
    })
    expect(resolveOptions({ port: 9125 }).transport).toEqual({ protocol: 'udp', host: 'agent', port: 9125 })
  })

  it('ends a prefix with one dot (hot-shots adds none), and keeps an empty one empty', () => {
    expect(resolveOptions({ prefix: 'shop' }).prefix).toBe('shop.')
    expect(resolveOptions({ prefix: 'shop.' }).prefix).toBe('shop.')
    expect(resolveOptions({ prefix: '' }).prefix).toBe('')
  })

  it('reads an empty variable as unset', () => {
    pinDatadogEnv({ DD_AGENT_HOST: '', DD_ENV: '', NODE_ENV: 'production', DD_DOGSTATSD_PORT: '9125' })
    expect(resolveOptions({})).toMatchObject({
      transport: { protocol: 'udp', host: 'localhost', port: 9125 },
      globalTags: { env: 'production' },
    })
  })
})
