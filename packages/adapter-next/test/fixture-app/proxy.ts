import { countRequests } from '@vivr/adapter-next'

export const proxy = countRequests({ routes: ['/', '/products/[id]', '/monitoring', '/broken'] })

export const config = { matcher: ['/((?!api|_next/static|_next/image|favicon.ico).*)'] }
