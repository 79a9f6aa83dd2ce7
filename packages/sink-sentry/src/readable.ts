import { createSanitizer, messageOf } from '@vivr/core'

/** Causes the SDK follows (its LinkedErrors integration reads 5 by default). */
const MAX_CAUSES = 5

const plainData = createSanitizer({ maxDepth: 6, maxValues: 1000 })

/**
 * What the Sentry SDK is handed in place of a thrown value it cannot read. The SDK reads an error's `name`,
 * `message`, `stack` and `cause` chain, and an object's fields, while it captures; when one of them throws or has
 * the wrong type (an Error whose `stack` is a number, a `message` getter that throws, a Symbol, a Proxy), the SDK
 * throws in the middle of `captureException` and never settles that capture, so every later `flush()` waits its
 * whole timeout and answers false (@sentry/node 8–11). So: a readable Error, and primitives, go as they are; an
 * unreadable Error becomes a stand-in Error with the same name, message, stack and (readable) causes; any other
 * object becomes plain JSON data (core's sanitizer); a Symbol its description. Never throws.
 */
export function readableBySdk(thrown: unknown, depth = 0): unknown {
  try {
    if (typeof thrown === 'symbol') return thrown.toString()
    if (thrown === null || (typeof thrown !== 'object' && typeof thrown !== 'function')) return thrown
    if (thrown instanceof Error) return isReadableError(thrown, depth) ? thrown : standIn(thrown, depth)
    return plainData(thrown)
  } catch {
    // `instanceof` on a Proxy whose getPrototypeOf trap throws.
    return standIn(thrown, depth)
  }
}

function isReadableError(error: Error, depth: number): boolean {
  try {
    const { name, message, stack } = error
    if (typeof name !== 'string' || typeof message !== 'string') return false
    if (stack !== undefined && typeof stack !== 'string') return false
    if (depth >= MAX_CAUSES || !('cause' in error)) return true
    const cause: unknown = error.cause
    if (cause instanceof Error) return isReadableError(cause, depth + 1)
    return (
      cause === null ||
      (typeof cause !== 'object' && typeof cause !== 'function' && typeof cause !== 'symbol')
    )
  } catch {
    return false
  }
}

function standIn(thrown: unknown, depth: number): Error {
  const error = new Error(messageOf(thrown))
  const name = read(thrown, 'name')
  if (typeof name === 'string') error.name = name
  const stack = read(thrown, 'stack')
  // Without the thrower's stack, only the first line: the stand-in's own frames would point at the kit.
  error.stack = typeof stack === 'string' ? stack : `${error.name}: ${error.message}`
  const cause = read(thrown, 'cause')
  if (cause !== undefined && depth < MAX_CAUSES) error.cause = readableBySdk(cause, depth + 1)
  return error
}

function read(value: unknown, key: string): unknown {
  try {
    return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined
  } catch {
    return undefined
  }
}
