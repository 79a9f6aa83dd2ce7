import type { LogContext, Logger, LogLevel } from '@vivr/core'

/** One recorded line, shaped like the JSON the real logger writes. */
export interface LogLine {
  level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'
  timestamp: string
  message: string
  error?: { name?: string; message?: string; stack?: string }
  [field: string]: unknown
}

export interface MemoryLogger extends Logger {
  readonly lines: readonly LogLine[]
  /** Lines at one level, or whose message contains a text. */
  find(filter: { level?: LogLine['level']; message?: string | RegExp }): LogLine[]
  clear(): void
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

function serializeError(error: unknown): LogLine['error'] {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack }
  return { message: String(error) }
}

/** A Logger that records lines in memory (all levels from `level`, default debug), for assertions. */
export function memoryLogger(options: { level?: LogLevel } = {}): MemoryLogger {
  const lines: LogLine[] = []
  const threshold = ORDER[options.level ?? 'debug']

  function make(bindings: LogContext): MemoryLogger {
    const write = (level: LogLevel, message: string, context?: LogContext, error?: unknown) => {
      if (ORDER[level] < threshold) return
      const line: LogLine = {
        level: level.toUpperCase() as LogLine['level'],
        timestamp: new Date().toISOString(),
        message,
        ...bindings,
        ...context,
      }
      if (error !== undefined) line.error = serializeError(error)
      lines.push(line)
    }
    return {
      lines,
      debug: (message, context) => write('debug', message, context),
      info: (message, context) => write('info', message, context),
      warn: (message, context) => write('warn', message, context),
      error: (message, error, context) => write('error', message, context, error),
      child: (more) => make({ ...bindings, ...more }),
      isLevelEnabled: (level) => ORDER[level] >= threshold,
      flush: async () => {},
      find: ({ level, message }) =>
        lines.filter(
          (l) =>
            (!level || l.level === level) &&
            (message === undefined ||
              (typeof message === 'string' ? l.message.includes(message) : message.test(l.message))),
        ),
      clear: () => {
        lines.length = 0
      },
    }
  }
  return make({})
}
