import { countRequests } from '@vivr/adapter-next'

const count = countRequests({ routes: ['/', '/products/[slug]', '/cart', '/checkout', '/orders/[id]'] })

/** Page requests counted as the guide's `http.requests` `{ endpoint, method }`; /api routes count themselves. */
export function proxy(request: Request): void {
  count(request)
}

export const config = { matcher: ['/((?!api/|_next/|favicon.ico).*)'] }
