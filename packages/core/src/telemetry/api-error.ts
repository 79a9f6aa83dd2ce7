import { messageOf, scrubSecrets } from '../scrub.js'
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
  /** The report level for an error. @default the guide's rule: 'error' when the message mentions Database, else 'info' */
  levelFor?: (error: Error) => ErrorLevel
}

export interface ApiErrorBody {
  error: string
  requestId: string | undefined
}

const guideLevel = (error: Error): ErrorLevel => (error.message.includes('Database') ? 'error' : 'info')

/**
 * The guide's API error handler, framework-neutral: reports the error (tags `{ type: 'api_error', route }`,
 * extra `{ userId }`), logs it, and returns the body to send. In production the body never carries the message.
 */
export function handleApiError(error: unknown, context: ApiErrorContext, deps: ApiErrorDeps): ApiErrorBody {
  const err = error instanceof Error ? error : new Error(messageOf(error))
  const environment = deps.environment ?? process.env.NODE_ENV
  let eventId: string | undefined
  try {
    eventId = deps.reporter.captureException(err, {
      tags: { type: 'api_error', route: context.route },
      extra: { userId: context.userId, requestId: context.requestId },
      level: (deps.levelFor ?? guideLevel)(err),
    })
  } catch {
    // A broken reporter must not turn one error into two.
  }
  deps.logger.error('API error', err, {
    route: context.route,
    userId: context.userId,
    requestId: context.requestId,
    eventId,
  })
  return {
    error: environment === 'production' ? 'Internal Server Error' : scrubSecrets(err.message),
    requestId: eventId ?? context.requestId,
  }
}
