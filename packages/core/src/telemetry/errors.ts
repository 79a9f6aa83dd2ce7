import { messageOf } from '../message.js'
export type ErrorLevel = 'fatal' | 'error' | 'warning' | 'log' | 'info' | 'debug'

export interface CaptureContext {
  tags?: Record<string, string>
  extra?: Record<string, unknown>
  level?: ErrorLevel
}

/** Where exceptions go (sink-sentry implements it over the Sentry SDK). */
export interface ErrorReporter {
  /** Returns the event id when the backend assigns one. Never throws. */
  captureException(error: unknown, context?: CaptureContext): string | undefined
  /** Deliver pending events; resolves false when `timeoutMs` passed first. */
  flush?(timeoutMs?: number): Promise<boolean>
}

export const noopReporter: ErrorReporter = {
  captureException: () => undefined,
}

/** Which production errors matter (docs/errors.md#the-level-rule). */
export function isCriticalError(error: unknown): boolean {
  try {
    return error instanceof Error && /database|payment|auth|security/i.test(messageOf(error))
  } catch {
    return false
  }
}
