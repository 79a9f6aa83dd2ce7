/**
 * Starts `work` unless the signal has already fired, then settles like it — or rejects with the signal's reason
 * as soon as the signal fires. For clients that cannot cancel a call (the call then finishes on its own).
 */
export function untilAborted<T>(work: () => PromiseLike<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    Promise.resolve()
      .then(work)
      .then(
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
