/**
 * Runs `start` unless a previous run is still pending, in which case callers join that one. A query the database
 * never answers therefore holds one pool connection, not one per probe.
 */
export function singleFlight<T>(start: () => PromiseLike<T>): () => Promise<T> {
  let pending: Promise<T> | undefined
  return () => {
    if (!pending) {
      const current = Promise.resolve().then(start)
      pending = current
      const clear = () => {
        if (pending === current) pending = undefined
      }
      current.then(clear, clear)
    }
    return pending
  }
}
