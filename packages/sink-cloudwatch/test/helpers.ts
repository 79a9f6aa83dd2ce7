import {
  CloudWatchLogsClient,
  type CloudWatchLogsClientConfig,
  GetLogEventsCommand,
  type OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs'
import type { CloudWatchLogsServer } from '@vivr/testkit'

/** Client settings for the loopback endpoint: dummy credentials, one attempt (the destination retries itself). */
export function loopbackConfig(server: CloudWatchLogsServer): CloudWatchLogsClientConfig {
  return {
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOOPBACK', secretAccessKey: 'loopback-secret' },
    maxAttempts: 1,
  }
}

export function loopbackClient(server: CloudWatchLogsServer): CloudWatchLogsClient {
  return new CloudWatchLogsClient(loopbackConfig(server))
}

/** Reads a whole stream through the real SDK, page by page, as a user would. */
export async function readStream(
  client: CloudWatchLogsClient,
  logGroupName: string,
  logStreamName: string,
): Promise<OutputLogEvent[]> {
  const events: OutputLogEvent[] = []
  let nextToken: string | undefined
  for (;;) {
    const page = await client.send(
      new GetLogEventsCommand({
        logGroupName,
        logStreamName,
        startFromHead: true,
        ...(nextToken ? { nextToken } : {}),
      }),
    )
    events.push(...(page.events ?? []))
    if (!page.events?.length || page.nextForwardToken === nextToken) return events
    nextToken = page.nextForwardToken
  }
}

export const jsonLine = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    level: 'INFO',
    timestamp: '2026-11-26T20:40:00.000Z',
    message: `order ${i} created`,
    i,
    ...extra,
  })

export async function eventually(assertion: () => void | Promise<void>, timeoutMs = 5000): Promise<void> {
  const started = Date.now()
  for (;;) {
    try {
      await assertion()
      return
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw error
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}
