import type { CaptureContext, ErrorReporter } from '@vivr/core'

export interface CapturedError {
  eventId: string
  error: unknown
  context: CaptureContext
}

export interface MemoryReporter extends ErrorReporter {
  readonly captured: readonly CapturedError[]
  clear(): void
}

/** An ErrorReporter that keeps what it is given and hands out sequential event ids. */
export function memoryReporter(): MemoryReporter {
  const captured: CapturedError[] = []
  let next = 0
  return {
    captured,
    captureException(error, context = {}) {
      const eventId = `event-${++next}`
      captured.push({ eventId, error, context })
      return eventId
    },
    flush: async () => true,
    clear: () => {
      captured.length = 0
    },
  } satisfies MemoryReporter
}
