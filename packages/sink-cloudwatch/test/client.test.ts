import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import { OptionError } from '@vivr/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { checkClientOptions, logsApi, resolveClient } from '../src/client.js'

afterEach(() => vi.unstubAllEnvs())

describe('resolveClient', () => {
  it('uses an injected client as is and never owns it', () => {
    const client = new CloudWatchLogsClient({ region: 'eu-west-1' })
    expect(resolveClient({ client, region: 'us-east-1' })).toEqual({ client, owned: false })
  })

  it('takes the region from the option, then clientConfig, then AWS_REGION', async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-3')
    const regionOf = async (options: Parameters<typeof resolveClient>[0]) => {
      const { client, owned } = resolveClient(options)
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
    const { client } = resolveClient(
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

describe('logsApi', () => {
  it('sends each call as its SDK command with the abort signal', async () => {
    const client = new CloudWatchLogsClient({ region: 'us-east-1' })
    const send = vi.spyOn(client, 'send').mockImplementation(() => Promise.resolve({ $metadata: {} }))
    const signal = new AbortController().signal
    const input = { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: 1, message: 'm' }] }
    await logsApi(client).putLogEvents(input, signal)
    const [command, options] = send.mock.calls[0]!
    if (!(command instanceof PutLogEventsCommand)) throw new Error('not a PutLogEventsCommand')
    expect(command.input).toEqual(input)
    expect(options).toEqual({ abortSignal: signal })
    await logsApi(client).createLogStream({ logGroupName: 'g', logStreamName: 's' }, signal)
    await logsApi(client).createLogGroup({ logGroupName: 'g' }, signal)
    await logsApi(client).putRetentionPolicy({ logGroupName: 'g', retentionInDays: 7 }, signal)
    const kinds = [
      PutLogEventsCommand,
      CreateLogStreamCommand,
      CreateLogGroupCommand,
      PutRetentionPolicyCommand,
    ]
    expect(send.mock.calls.map(([c]) => kinds.findIndex((kind) => c instanceof kind))).toEqual([0, 1, 2, 3])
    client.destroy()
  })
})
