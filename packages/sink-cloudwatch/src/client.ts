import type {
  CloudWatchLogsClient,
  CloudWatchLogsClientConfig,
  CreateLogGroupCommandInput,
  CreateLogStreamCommandInput,
  PutLogEventsCommandInput,
  PutLogEventsCommandOutput,
  PutRetentionPolicyCommandInput,
} from '@aws-sdk/client-cloudwatch-logs'
import { OptionError } from '@vivr/core'
import { readEnv } from '@vivr/core/internal'
import { memberOf, optionalString } from './validate.js'

export interface ClientOptions {
  /** @default process.env.AWS_REGION (unless empty), else the SDK's own lookup (e.g. the profile's region) */
  region?: string
  /** A client you built; it is used as is and never destroyed by this package. */
  client?: CloudWatchLogsClient
  /** Extra configuration for the client this package builds (endpoint, credentials…); ignored with `client`. */
  clientConfig?: CloudWatchLogsClientConfig
}

/** Checks `region`, `client` and `clientConfig` at construction: each error names the option. */
export function checkClientOptions(options: ClientOptions): void {
  optionalString('region', options.region)
  if (options.client !== undefined && typeof memberOf(options.client, 'send') !== 'function') {
    throw new OptionError('client', options.client, 'a CloudWatchLogsClient')
  }
  const config: unknown = options.clientConfig
  if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) {
    throw new OptionError('clientConfig', config, 'a CloudWatchLogsClientConfig object')
  }
}

type Sdk = typeof import('@aws-sdk/client-cloudwatch-logs')
let sdk: Promise<Sdk> | undefined

/**
 * The AWS SDK, imported on first use: importing this package costs nothing of it (the SDK is most of a cold
 * start's import time; `npm run bench -- cold`), and a process that never ships a line never loads it.
 */
export function loadSdk(): Promise<Sdk> {
  sdk ??= import('@aws-sdk/client-cloudwatch-logs')
  return sdk
}

/** The client configuration this package builds from the options (an empty AWS_REGION counts as unset). */
function clientConfig(
  options: ClientOptions,
  defaults: Partial<CloudWatchLogsClientConfig>,
): CloudWatchLogsClientConfig {
  const region = options.region ?? options.clientConfig?.region ?? (readEnv('AWS_REGION') || undefined)
  return { ...defaults, ...options.clientConfig, ...(region === undefined ? {} : { region }) }
}

/** The injected client, or one built from the options (`owned: true`: the caller must destroy it). */
export async function resolveClient(
  options: ClientOptions,
  defaults: Partial<CloudWatchLogsClientConfig> = {},
): Promise<{ client: CloudWatchLogsClient; owned: boolean }> {
  if (options.client) return { client: options.client, owned: false }
  const { CloudWatchLogsClient } = await loadSdk()
  return { client: new CloudWatchLogsClient(clientConfig(options, defaults)), owned: true }
}

/**
 * The four CloudWatch Logs calls the log destination makes, each cut short by `abortSignal`. The delivery code
 * speaks to this, not to the SDK, so it can be tested with a plain object.
 */
export interface LogsApi {
  putLogEvents(input: PutLogEventsCommandInput, abortSignal: AbortSignal): Promise<PutLogEventsCommandOutput>
  createLogStream(input: CreateLogStreamCommandInput, abortSignal: AbortSignal): Promise<unknown>
  createLogGroup(input: CreateLogGroupCommandInput, abortSignal: AbortSignal): Promise<unknown>
  putRetentionPolicy(input: PutRetentionPolicyCommandInput, abortSignal: AbortSignal): Promise<unknown>
}

/**
 * {@link LogsApi} over the injected client or one built on the first call, once the SDK has loaded. `destroy`
 * releases a client this built (its sockets); a call after it fails.
 */
export function lazyLogsApi(
  options: ClientOptions,
  defaults: Partial<CloudWatchLogsClientConfig> = {},
): { api: LogsApi; destroy(): void } {
  let client: Promise<{ client: CloudWatchLogsClient; owned: boolean }> | undefined
  let destroyed = false
  const ready = async () => {
    if (destroyed) throw new Error('the CloudWatch Logs client was closed')
    client ??= resolveClient(options, defaults)
    return { sdk: await loadSdk(), client: (await client).client }
  }
  return {
    api: {
      async putLogEvents(input, abortSignal) {
        const { sdk, client } = await ready()
        return client.send(new sdk.PutLogEventsCommand(input), { abortSignal })
      },
      async createLogStream(input, abortSignal) {
        const { sdk, client } = await ready()
        return client.send(new sdk.CreateLogStreamCommand(input), { abortSignal })
      },
      async createLogGroup(input, abortSignal) {
        const { sdk, client } = await ready()
        return client.send(new sdk.CreateLogGroupCommand(input), { abortSignal })
      },
      async putRetentionPolicy(input, abortSignal) {
        const { sdk, client } = await ready()
        return client.send(new sdk.PutRetentionPolicyCommand(input), { abortSignal })
      },
    },
    destroy() {
      destroyed = true
      client?.then(
        (built) => {
          if (built.owned) built.client.destroy()
        },
        () => {},
      )
    },
  }
}
