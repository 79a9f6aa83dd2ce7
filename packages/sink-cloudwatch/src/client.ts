import {
  CloudWatchLogsClient,
  type CloudWatchLogsClientConfig,
  CreateLogGroupCommand,
  type CreateLogGroupCommandInput,
  CreateLogStreamCommand,
  type CreateLogStreamCommandInput,
  PutLogEventsCommand,
  type PutLogEventsCommandInput,
  type PutLogEventsCommandOutput,
  PutRetentionPolicyCommand,
  type PutRetentionPolicyCommandInput,
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

/** The injected client, or one built from the options (`owned: true`: the caller must destroy it). */
export function resolveClient(
  options: ClientOptions,
  defaults: Partial<CloudWatchLogsClientConfig> = {},
): { client: CloudWatchLogsClient; owned: boolean } {
  if (options.client) return { client: options.client, owned: false }
  // An empty AWS_REGION counts as unset (the SDK's own lookup runs), as everywhere in the kit.
  const region = options.region ?? options.clientConfig?.region ?? (readEnv('AWS_REGION') || undefined)
  return {
    client: new CloudWatchLogsClient({
      ...defaults,
      ...options.clientConfig,
      ...(region === undefined ? {} : { region }),
    }),
    owned: true,
  }
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

/** {@link LogsApi} over an SDK client. */
export function logsApi(client: CloudWatchLogsClient): LogsApi {
  return {
    putLogEvents: (input, abortSignal) => client.send(new PutLogEventsCommand(input), { abortSignal }),
    createLogStream: (input, abortSignal) => client.send(new CreateLogStreamCommand(input), { abortSignal }),
    createLogGroup: (input, abortSignal) => client.send(new CreateLogGroupCommand(input), { abortSignal }),
    putRetentionPolicy: (input, abortSignal) =>
      client.send(new PutRetentionPolicyCommand(input), { abortSignal }),
  }
}
