import { withObservability } from '@vivr/adapter-next'

// A slow route handler: answers `ms` after the request arrived.
export const GET = withObservability(
  async (request: Request) => {
    const ms = Number(new URL(request.url).searchParams.get('ms') ?? 1000)
    await new Promise((resolve) => setTimeout(resolve, ms))
    return Response.json({ waitedMs: ms })
  },
  { route: '/api/slow' },
)
export const dynamic = 'force-dynamic'
export const runtime = 'nodejs'
