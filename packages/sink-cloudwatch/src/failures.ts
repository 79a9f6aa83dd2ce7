import { memberOf } from './validate.js'

/** What to do about a failed CloudWatch Logs call. */
export type Failure = 'missing' | 'retryable' | 'permanent'

const RETRYABLE_TYPES = new Set([
  'ThrottlingException',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'OperationAbortedException',
  'ProvisionedThroughputExceededException',
])

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
])

export function errorName(error: unknown): string {
  const name = memberOf(error, 'name')
  return typeof name === 'string' ? name : 'Error'
}

/**
 * Never throws, whatever was thrown.
 * ResourceNotFound → create what is missing; throttling, 5xx and network failures → retry with backoff;
 * everything else (access denied, invalid parameter, missing region or credentials) → permanent.
 */
export function classifyFailure(error: unknown): Failure {
  const name = errorName(error)
  if (name === 'ResourceNotFoundException') return 'missing'
  if (RETRYABLE_TYPES.has(name)) return 'retryable'
  const status = memberOf(memberOf(error, '$metadata'), 'httpStatusCode')
  if (typeof status === 'number') return status >= 500 || status === 429 ? 'retryable' : 'permanent'
  const code = memberOf(error, 'code')
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'retryable'
  const message = memberOf(error, 'message')
  if (typeof message === 'string' && /socket hang up|ECONNRESET|ECONNREFUSED|EPIPE/.test(message)) {
    return 'retryable'
  }
  return 'permanent'
}
