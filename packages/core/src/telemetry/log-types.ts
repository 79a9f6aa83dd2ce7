export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** The context fields every line may carry, typed; any other JSON-safe field is allowed too (docs/layers.md#how-data-flows). */
export interface LogContext {
  userId?: string
  orderId?: string
  sessionId?: string
  endpoint?: string
  /** Milliseconds. */
  duration?: number
  requestId?: string
  [field: string]: unknown
}

/** Anything that takes serialized log lines: stdout, a file, sink-cloudwatch's batching destination. */
export interface LogDestination {
  /** One JSON line, without the trailing newline. Must not throw or block. */
  write(line: string): void
  flush?(): Promise<void>
  close?(): Promise<void>
}

export interface Logger {
  debug(message: string, context?: LogContext): void
  info(message: string, context?: LogContext): void
  warn(message: string, context?: LogContext): void
  /** `error` is serialized as `{ name, message, stack, cause?, code? }`; non-Error values safely. */
  error(message: string, error?: unknown, context?: LogContext): void
  child(bindings: LogContext): Logger
  isLevelEnabled(level: LogLevel): boolean
  /** Resolves when every destination has flushed. */
  flush(): Promise<void>
}

export const noopLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => noopLogger,
  isLevelEnabled: () => false,
  flush: async () => {},
}
