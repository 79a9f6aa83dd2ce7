import { Suspense } from 'react'

// A streamed server component: the shell goes out at once, the slow part `ms` later on the same response.
async function Late({ ms }: { ms: number }) {
  await new Promise((resolve) => setTimeout(resolve, ms))
  return <p id="late">streamed after {ms} ms</p>
}

export default async function Stream({ searchParams }: { searchParams: Promise<{ ms?: string }> }) {
  const ms = Number((await searchParams).ms ?? 1000)
  return (
    <main>
      <h1>Streaming</h1>
      <Suspense fallback={<p id="fallback">loading</p>}>
        <Late ms={ms} />
      </Suspense>
    </main>
  )
}
