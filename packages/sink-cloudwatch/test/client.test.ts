import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { OptionError } from '@vivr/core'
import { startCloudWatchLogsServer } from '@vivr/testkit'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { checkClientOptions, lazyLogsApi, resolveClient } from '../src/client.js'
import { loopbackConfig } from './helpers.js'

afterEach(() => vi.unstubAllEnvs())

describe('resolveClient', () => {
  it('uses an injected client as is and never owns it', async () => {
    const client = new CloudWatchLogsClient({ region: 'eu-west-1' })
    expect(await resolveClient({ client, region: 'us-east-1' })).toEqual({ client, owned: false })
  })

  it('takes the region from the option, then clientConfig, then AWS_REGION', async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-3')
    const regionOf = async (options: Parameters<typeof resolveClient>[0]) => {
      const { client, owned } = await resolveClient(options)
      expect(owned).toBe(true)
      const region = await client.config.region()
      client.destroy()
      return region
    }
    expect(await regionOf({ region: 'us-west-2', clientConfig: { region: 'ap-south-1' } })).toBe('us-west-2')
    expect(await regionOf({ clientConfig: { region: 'ap-south-1' } })).toBe('ap-south-1')
    expect(await regionOf({})).toBe('eu-west-3')
  })

  it('applies the defaults under clientConfig', async () => {
    const { client } = await resolveClient(
      { region: 'us-east-1', clientConfig: { maxAttempts: 5 } },
      { maxAttempts: 1 },
    )
    expect(await client.config.maxAttempts()).toBe(5)
    client.destroy()
  })
})

describe('checkClientOptions', () => {
  it.each([
    ['region', { region: '' }],
    ['region', { region: 7 }],
    ['client', { client: {} }],
    ['client', { client: 'aws' }],
    ['clientConfig', { clientConfig: null }],
    ['clientConfig', { clientConfig: ['us-east-1'] }],
  ])('names %s for %o', (option, options) => {
    expect(() => checkClientOptions(options as never)).toThrow(OptionError)
    expect(() => checkClientOptions(options as never)).toThrow(`Invalid option ${option}:`)
  })

  it('takes a real client and a config object', () => {
    expect(() =>
      checkClientOptions({ client: new CloudWatchLogsClient({}), clientConfig: { region: 'us-east-1' } }),
    ).not.toThrow()
  })
})

describe('lazyLogsApi', () => {
  it('builds its client on the first call, sends the four calls to the endpoint, and fails once destroyed', async () => {
    const server = await startCloudWatchLogsServer()
    const { api, destroy } = lazyLogsApi({ clientConfig: loopbackConfig(server) })
    try {
      const signal = new AbortController().signal
      await api.createLogGroup({ logGroupName: 'g' }, signal)
      await api.putRetentionPolicy({ logGroupName: 'g', retentionInDays: 7 }, signal)
      await api.createLogStream({ logGroupName: 'g', logStreamName: 's' }, signal)
      await api.putLogEvents(
        { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: Date.now(), message: 'm' }] },
        signal,
      )
      expect(server.calls.map((c) => [c.operation, c.status])).toEqual([
        ['CreateLogGroup', 200],
        ['PutRetentionPolicy', 200],
        ['CreateLogStream', 200],
        ['PutLogEvents', 200],
      ])
      expect(server.events('g', 's').map((e) => e.message)).toEqual(['m'])
      destroy()
      await expect(api.createLogGroup({ logGroupName: 'h' }, signal)).rejects.toThrow(/closed/)
      expect(server.calls).toHaveLength(4)
    } finally {
      destroy()
      await server.close()
    }
  })

  it('uses an injected client and leaves it open', async () => {
    const server = await startCloudWatchLogsServer()
    const client = new CloudWatchLogsClient(loopbackConfig(server))
    const { api, destroy } = lazyLogsApi({ client })
    try {
      await api.createLogGroup({ logGroupName: 'g' }, new AbortController().signal)
      destroy()
      await client.send(
        new (await import('@aws-sdk/client-cloudwatch-logs')).CreateLogGroupCommand({ logGroupName: 'h' }),
      )
      expect(server.calls.map((c) => c.logGroupName)).toEqual(['g', 'h'])
    } finally {
      client.destroy()
      await server.close()
    }
  })

  it('is not loaded by importing the package: the SDK comes in with the first call (cold start)', () => {
    // How many of the SDK's modules a fresh process has loaded after importing `specifier`.
    const sdkModulesAfter = (specifier: string) => {
      const probe = `import(${JSON.stringify(specifier)}).then(() => {
        const sdk = Object.keys(require.cache).filter((file) => file.includes('@aws-sdk'))
        process.stdout.write(String(sdk.length))
      })`
      const out = execFileSync(
        process.execPath,
        ['--conditions=@vivr/source', '--import', 'tsx', '-e', probe],
        {
          cwd: join(import.meta.dirname, '..'),
          encoding: 'utf8',
        },
      )
      return Number(out)
    }
    // The probe sees the SDK when it is loaded…
    expect(sdkModulesAfter('@aws-sdk/client-cloudwatch-logs')).toBeGreaterThan(0)
    // …and the package's entries load none of it.
    expect(sdkModulesAfter('@vivr/sink-cloudwatch')).toBe(0)
    expect(sdkModulesAfter('@vivr/sink-cloudwatch/transport')).toBe(0)
  })
})
