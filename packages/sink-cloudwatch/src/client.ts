import { CloudWatchLogsClient, type CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs'

export interface ClientOptions {
  /** @default process.env.AWS_REGION, else the SDK's own lookup (e.g. the profile's region) */
  region?: string
  /** A client you built; it is used as is and never destroyed by this package. */
  client?: CloudWatchLogsClient
  /** Extra configuration for the client this package builds (endpoint, credentials…); ignored with `client`. */
  clientConfig?: CloudWatchLogsClientConfig
}

/** The injected client, or one built from the options (`owned: true`: the caller must destroy it). */
export function resolveClient(
  options: ClientOptions,
  defaults: Partial<CloudWatchLogsClientConfig> = {},
): { client: CloudWatchLogsClient; owned: boolean } {
  if (options.client) return { client: options.client, owned: false }
  const region = options.region ?? options.clientConfig?.region ?? process.env.AWS_REGION
  return {
    client: new CloudWatchLogsClient({
      ...defaults,
      ...options.clientConfig,
      ...(region === undefined ? {} : { region }),
    }),
    owned: true,
  }
}
