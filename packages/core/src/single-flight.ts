/**
 * Shares one run among concurrent callers: while a run is in flight, every call gets its promise; once it
 * settles (either way), the next call starts a new one. The run starts synchronously; a throw becomes a rejection.
 */
export function singleFlight<T>(run: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined
  return () => {
    if (inFlight) return inFlight
    let started: Promise<T>
    try {
      started = Promise.resolve(run())
    } catch (error) {
      started = Promise.reject(error)
    }
    const current: Promise<T> = started.finally(() => {
      if (inFlight === current) inFlight = undefined
    })
    inFlight = current
    return current
  }
}
