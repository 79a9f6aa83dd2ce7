/**
 * Starts `work` unless the signal has fired, and settles like it, or rejects with the signal's reason as soon as
 * the signal fires (the work is then left to finish on its own).
 */
export function untilAborted<T>(start: () => Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  const work = start()
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

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
