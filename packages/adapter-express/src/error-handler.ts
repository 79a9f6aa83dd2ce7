import {
  type ApiErrorDeps,
  type ErrorReporter,
  errorStatus,
  getContext,
  handleApiError,
  type Logger,
  OptionError,
} from '@vivr/core'
import type { ErrorRequestHandler } from 'express'
import { routeOf } from './route.js'

export interface ErrorHandlerOptions {
  reporter: ErrorReporter
  logger: Logger
  /** 'production' keeps error messages out of responses. @default process.env.NODE_ENV */
  environment?: string
  /** The report level for an error. @default 'error' when the message mentions Database, else 'info' */
  levelFor?: ApiErrorDeps['levelFor']
}

/** The last middleware: reports and logs the error, answers `{ error, requestId }` with the error's status. */
export function errorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  if (typeof options?.reporter?.captureException !== 'function') {
    throw new OptionError('reporter', options?.reporter, 'an ErrorReporter')
  }
  if (typeof options.logger?.error !== 'function') throw new OptionError('logger', options.logger, 'a Logger')
  return (error, req, res, next) => {
    if (res.headersSent) return next(error)
    const { requestId, userId } = getContext() ?? {}
    const body = handleApiError(error, { route: routeOf(req), requestId, userId }, options)
    res.status(errorStatus(error)).json(body)
  }
}
