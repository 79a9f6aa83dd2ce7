import {
  type ApiErrorDeps,
  type ErrorReporter,
  errorStatus,
  handleApiError,
  type Logger,
  noopReporter,
  OptionError,
} from '@vivr/core'
import { getContext } from '@vivr/core/node'
import type { ErrorRequestHandler } from 'express'
import { routeOf } from './route.js'

export interface ErrorHandlerOptions {
  /** Where errors are reported, e.g. sink-sentry's `sentryReporter(Sentry)`. @default noopReporter (logged only) */
  reporter?: ErrorReporter
  logger: Logger
  /** 'production' keeps error messages out of responses. @default process.env.NODE_ENV */
  environment?: string
  /** The report level for an error. @default 'error' when the message mentions Database, else 'info' */
  levelFor?: ApiErrorDeps['levelFor']
}

/**
 * The last middleware: reports and logs the error, answers `{ error, requestId }` with the error's status. An
 * error after the headers were sent is reported and logged too, then handed to Express, which closes the
 * connection (observe() counts it as a 500).
 */
export function errorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  const reporter = options?.reporter ?? noopReporter
  if (typeof reporter?.captureException !== 'function') {
    throw new OptionError('reporter', options?.reporter, 'an ErrorReporter')
  }
  if (typeof options?.logger?.error !== 'function')
    throw new OptionError('logger', options?.logger, 'a Logger')
  const deps: ApiErrorDeps = { ...options, reporter }
  return (error, req, res, next) => {
    const { requestId, userId } = getContext() ?? {}
    const body = handleApiError(error, { route: routeOf(req), requestId, userId }, deps)
    if (res.headersSent) return next(error)
    res.status(errorStatus(error)).json(body)
  }
}
