import { NextResponse } from 'next/server'

// A proxy that lets every page request through: Next.js then runs each in two passes (proxy, then render), and
// request counting must still count it once.
export function proxy(): NextResponse {
  return NextResponse.next()
}

export const config = { matcher: ['/((?!api|_next/static|_next/image|favicon.ico).*)'] }
