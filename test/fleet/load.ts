// Steady keep-alive load through the load balancer: a few workers, each sending one request after the other on
// fetch's pooled (keep-alive) connections, bounded in count and time, loopback only.
export interface LoadResult {
  sent: number
  failed: number
  /** The first failures, as `status url` or `error url: message`. */
  failures: string[]
}

export interface Load {
  readonly sent: number
  stop(): Promise<LoadResult>
}

export function startLoad(
  urls: string[],
  { workers = 4, pauseMs = 5, maxRequests = 200_000, timeoutMs = 10_000 } = {},
): Load {
  let stopped = false
  let sent = 0
  let failed = 0
  const failures: string[] = []
  const fail = (what: string) => {
    failed++
    if (failures.length < 20) failures.push(what)
  }
  const worker = async (index: number) => {
    for (let i = index; !stopped && sent < maxRequests; i += workers) {
      const url = urls[i % urls.length]!
      sent++
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
        const body = await response.text()
        if (response.status !== 200)
          fail(`${response.status} ${url} ${body.replace(/\s+/g, ' ').slice(0, 120)}`)
      } catch (error) {
        fail(
          `error ${url}: ${error instanceof Error ? `${error.message} ${String(error.cause ?? '')}` : error}`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
    }
  }
  const running = Promise.all(Array.from({ length: workers }, (_, index) => worker(index)))
  return {
    get sent() {
      return sent
    },
    async stop() {
      stopped = true
      await running
      return { sent, failed, failures }
    },
  }
}
