import { type ClientOptions, checkClientOptions, type LogsApi, loadSdk, resolveClient } from './client.js'
import { errorName } from './failures.js'
import { LOG_GROUP_NAME, requiredString, retentionInDays } from './validate.js'

export interface EnsureLogGroupOptions extends ClientOptions {
  /** E.g. `/vivr/production/app`. */
  logGroupName: string
  /** @default 30 */
  retentionInDays?: number
}

/**
 * `aws logs create-log-group` + `put-retention-policy` as code, safe to run on every deploy:
 * an existing group is kept (its retention is set again). Errors other than "already exists" are thrown.
 */
export async function ensureLogGroup(options: EnsureLogGroupOptions): Promise<{ created: boolean }> {
  const logGroupName = requiredString(
    'logGroupName',
    options?.logGroupName,
    LOG_GROUP_NAME,
    'a log group name',
  )
  const retention = retentionInDays('retentionInDays', options.retentionInDays) ?? 30
  checkClientOptions(options)
  const { CreateLogGroupCommand, PutRetentionPolicyCommand } = await loadSdk()
  const { client, owned } = await resolveClient(options)
  try {
    let created = true
    try {
      await client.send(new CreateLogGroupCommand({ logGroupName }))
    } catch (error) {
      if (errorName(error) !== 'ResourceAlreadyExistsException') throw error
      created = false
    }
    await client.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: retention }))
    return { created }
  } finally {
    if (owned) client.destroy()
  }
}

/** Runs one call with the caller's bounds (a request timeout, a shutdown signal). */
export type BoundedCall = <T>(call: (abortSignal: AbortSignal) => Promise<T>) => Promise<T>

export interface CreateLogStreamOptions {
  api: LogsApi
  bounded: BoundedCall
  logGroupName: string
  logStreamName: string
  /** Set on a group this creates. */
  retentionInDays: number | undefined
  /** PutRetentionPolicy failed: the stream is still created (the group keeps its logs forever). */
  onRetentionError(error: unknown): void
}

async function ignoringExists(bounded: BoundedCall, call: (abortSignal: AbortSignal) => Promise<unknown>) {
  try {
    await bounded(call)
  } catch (error) {
    if (errorName(error) !== 'ResourceAlreadyExistsException') throw error
  }
}

/**
 * What the log destination does on `ResourceNotFoundException`: creates the stream, and when that says the group
 * is missing too, the group (with its retention) and then the stream. "Already exists" counts as done (another
 * instance got there first); any other error is thrown.
 */
export async function createLogStream(options: CreateLogStreamOptions): Promise<void> {
  const { api, bounded, logGroupName, logStreamName, retentionInDays } = options
  const createStream = () =>
    ignoringExists(bounded, (abortSignal) =>
      api.createLogStream({ logGroupName, logStreamName }, abortSignal),
    )
  try {
    await createStream()
  } catch (error) {
    if (errorName(error) !== 'ResourceNotFoundException') throw error
    await ignoringExists(bounded, (abortSignal) => api.createLogGroup({ logGroupName }, abortSignal))
    if (retentionInDays !== undefined) {
      try {
        await bounded((abortSignal) => api.putRetentionPolicy({ logGroupName, retentionInDays }, abortSignal))
      } catch (retentionError) {
        options.onRetentionError(retentionError)
      }
    }
    await createStream()
  }
}
