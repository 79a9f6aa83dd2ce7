import { readEnv } from '../env.js'
import { messageOf } from '../message.js'
import { scrubSecrets } from '../scrub.js'
import type { ErrorLevel, ErrorReporter } from './errors.js'
import type { Logger } from './log-types.js'

export interface ApiErrorContext {
  route: string
  userId?: string
  requestId?: string
}

export interface ApiErrorDeps {
  reporter: ErrorReporter
  logger: Logger
  /** 'production' hides the message from the response. @default process.env.NODE_ENV */
  environment?: string
  /** The report level for an error. @default 'error' when the message mentions Database, else 'info' (docs/errors.md#the-level-rule) */
  levelFor?: (error: Error) => ErrorLevel
}

export interface ApiErrorBody {
  error: string
  /** The request's id (the one in `x-request-id` and every log line); the reporter's event id when there is none. */
  requestId: string | undefined
}

const guideLevel = (error: Error): ErrorLevel => (messageOf(error).includes('Database') ? 'error' : 'info')

/** The thrown value as an Error to report: itself when it is one (a Proxy that lies about it is not). */
function asError(error: unknown, message: string): Error {
  try {
    if (error instanceof Error) return error
  } catch {
    // A Proxy whose getPrototypeOf trap throws.
  }
  return new Error(message)
}

/**
 * The API error handler (docs/errors.md#report-and-log), framework-neutral: reports the error (tags `{ type: 'api_error', route }`,
 * extra `{ userId }`), logs it (with the reporter's `eventId`), and returns the body to send: one request, one id, so
 * the body's `requestId` is the request's own. In production the body never carries the message.
 */
export function handleApiError(error: unknown, context: ApiErrorContext, deps: ApiErrorDeps): ApiErrorBody {
  const message = messageOf(error)
  const err = asError(error, message)
  const environment = deps.environment ?? readEnv('NODE_ENV')
  let eventId: string | undefined
  try {
    let level: ErrorLevel = 'error'
    try {
      level = (deps.levelFor ?? guideLevel)(err)
    } catch {
      // A levelFor that throws reports at 'error': better noisy than lost.
    }
    const id: unknown = deps.reporter.captureException(err, {
      tags: { type: 'api_error', route: context.route },
      extra: { userId: context.userId, requestId: context.requestId },
      level,
    })
    if (typeof id === 'string') eventId = id
  } catch {
    // A broken reporter must not turn one error into two.
  }
  try {
    deps.logger.error('API error', err, {
      route: context.route,
      userId: context.userId,
      requestId: context.requestId,
      eventId,
    })
  } catch {
    // Nor a logger that throws.
  }
  return {
    error: environment === 'production' ? 'Internal Server Error' : scrubSecrets(message),
    requestId: context.requestId ?? eventId,
  }
}
