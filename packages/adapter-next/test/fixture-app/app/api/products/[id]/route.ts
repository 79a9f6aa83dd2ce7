import { withObservability } from '@vivr/adapter-next'
import { getContext } from '@vivr/core/node'

export const GET = withObservability(
  async (_request: Request, { params }: { params: Promise<{ id: string }> }) =>
    Response.json({ id: (await params).id, requestId: getContext()?.requestId }),
  { route: '/api/products/[id]' },
)
