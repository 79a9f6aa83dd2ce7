import { createRouteMatcher } from '@vivr/core'
import { getServices } from '@/server/runtime'

export const dynamic = 'force-dynamic'

const pageOf = createRouteMatcher(['/', '/products/[slug]', '/cart', '/checkout', '/orders/[id]'])

/** The browser's page-load beacon → the page.load_time timing (docs/vocabulary.md#the-table), tagged by page template. */
export async function POST(request: Request): Promise<Response> {
  const body: unknown = await request.json().catch(() => undefined)
  if (typeof body === 'object' && body !== null) {
    const loadMs = Reflect.get(body, 'loadMs')
    const path = Reflect.get(body, 'path')
    if (typeof loadMs === 'number' && loadMs >= 0 && loadMs < 120_000 && typeof path === 'string') {
      getServices().technical.pageLoadTime(loadMs, { page: pageOf(path.split('?')[0] ?? '/') ?? 'other' })
      return new Response(null, { status: 204 })
    }
  }
  return Response.json({ error: 'expected { loadMs, path }' }, { status: 400 })
}
