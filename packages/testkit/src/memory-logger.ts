import type { Logger } from '@vivr/core'
import { createLogger, type LoggerOptions } from '@vivr/core/node'

/** One recorded line: the JSON object the real logger wrote, parsed. */
export interface LogLine {
  level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'
  timestamp: string
  message: string
  error?: { name: string; message: string; stack?: string; code?: string | number; cause?: unknown }
  [field: string]: unknown
}

export interface MemoryLogger extends Logger {
  readonly lines: readonly LogLine[]
  /** Lines at one level and/or whose message contains a text or matches a pattern. */
  find(filter: { level?: LogLine['level']; message?: string | RegExp }): LogLine[]
  clear(): void
}

/**
 * The real logger (createLogger: same serialization, redaction and request context) writing into memory,
 * every line parsed. Records from `debug` unless a level is given.
 */
export function memoryLogger(options: Omit<LoggerOptions, 'destinations'> = {}): MemoryLogger {
  const lines: LogLine[] = []
  const logger = createLogger({
    level: 'debug',
    ...options,
    destinations: [{ write: (line) => lines.push(JSON.parse(line) as LogLine) }],
  })
  const matches = (line: LogLine, message: string | RegExp | undefined) =>
    message === undefined ||
    (typeof message === 'string' ? line.message.includes(message) : message.test(line.message))
  return Object.assign(logger, {
    lines,
    find: ({ level, message }: { level?: LogLine['level']; message?: string | RegExp }) =>
      lines.filter((line) => (!level || line.level === level) && matches(line, message)),
    clear: () => {
      lines.length = 0
    },
  })
}
