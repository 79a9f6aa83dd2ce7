/**
 * The kit's "never throws" rule for code it hands to someone else to call: event listeners, hooks, serializers,
 * callbacks. `neverThrows(fn)` returns `fn` wrapped so that a throw (or a rejected promise) is swallowed and
 * passed to `onError`, itself guarded; the wrapper returns `fn`'s result, or `undefined` when it threw.
 */
export function neverThrows<A extends unknown[], R>(
  fn: (...args: A) => R,
  onError?: (error: unknown) => void,
): (...args: A) => R | undefined {
  return (...args) => {
    try {
      const result = fn(...args)
      if (isPromiseLike(result)) {
        // A rejected promise from a listener would be an unhandled rejection: absorb it too.
        result.then(undefined, (error: unknown) => report(onError, error))
      }
      return result
    } catch (error) {
      report(onError, error)
      return undefined
    }
  }
}

function report(onError: ((error: unknown) => void) | undefined, error: unknown): void {
  if (!onError) return
  try {
    onError(error)
  } catch {
    // The error hook is the last line: nothing to tell.
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  try {
    return (
      (typeof value === 'object' || typeof value === 'function') &&
      value !== null &&
      typeof (value as { then?: unknown }).then === 'function'
    )
  } catch {
    return false
  }
}
