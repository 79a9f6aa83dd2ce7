import { CreateLogGroupCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs'
import { type ClientOptions, resolveClient } from './client.js'
import { errorName } from './failures.js'
import { LOG_GROUP_NAME, requiredString, retentionInDays } from './validate.js'

export interface EnsureLogGroupOptions extends ClientOptions {
  /** The guide's `/vivr/production/app`. */
  logGroupName: string
  /** @default 30 (the guide's retention) */
  retentionInDays?: number
}

/**
 * The guide's `aws logs create-log-group` + `put-retention-policy` as code, safe to run on every deploy:
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
  const { client, owned } = resolveClient(options)
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
