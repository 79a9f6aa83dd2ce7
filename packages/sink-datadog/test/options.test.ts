import { OptionError } from '@vivr/core'
import { type DatadogMetricsOptions, datadogMetrics } from '@vivr/sink-datadog'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
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
    ['maxBufferSize', 100, /Invalid option maxBufferSize: expected an integer from 512 to 65507, got 100/],
    ['maxBufferSize', 70_000, /Invalid option maxBufferSize/],
    ['flushIntervalMs', 0, /Invalid option flushIntervalMs/],
    ['flushIntervalMs', 1.5, /Invalid option flushIntervalMs/],
    ['errorHandler', 'log', /Invalid option errorHandler: expected a function/],
    ['client', {}, /Invalid option client: expected a hot-shots StatsD client/],
    ['logger', console.log, /Invalid option logger/],
    ['globalTags', ['env:prod'], /Invalid option globalTags/],
    ['globalTags', { team: 7 }, /Invalid option globalTags.team: expected a string, got 7/],
    ['aggregation', 'yes', /Invalid option aggregation/],
    ['errorLogIntervalMs', -1, /Invalid option errorLogIntervalMs/],
  ]
  it.each(invalid)('rejects %s = %j at construction, naming the option', (option, value, message) => {
    const options = { host: '127.0.0.1', [option]: value } as DatadogMetricsOptions
    expect(() => datadogMetrics(options)).toThrow(OptionError)
    expect(() => datadogMetrics(options)).toThrow(message)
  })

  it('caps maxBufferSize at 8 KiB on a Unix socket', () => {
    expect(() => datadogMetrics({ socketPath: '/tmp/none.socket', maxBufferSize: 9000 })).toThrow(
      /maxBufferSize: expected an integer from 512 to 8192/,
    )
  })

  it('names the variable when DD_AGENT_PORT is not a port', () => {
    pinDatadogEnv({ DD_AGENT_PORT: 'eighty' })
    expect(() => datadogMetrics()).toThrow(/port \(from DD_AGENT_PORT \/ DD_DOGSTATSD_PORT\).*"eighty"/)
  })
})
