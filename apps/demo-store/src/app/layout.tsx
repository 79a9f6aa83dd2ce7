import type { Metadata } from 'next'
import Link from 'next/link'
import type { ReactNode } from 'react'
import { cartCount } from '@/server/pages'
import { getServices } from '@/server/runtime'
import { Monitoring } from './monitoring'
import './globals.css'

// Every page reads the database or the cart at request time; nothing is prerendered at build time.
export const dynamic = 'force-dynamic'

export const metadata: Metadata = {
  title: { default: 'VIVR demo store', template: '%s · VIVR demo store' },
  description: 'A small store instrumented with the @vivr observability kit.',
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const { config } = getServices()
  const count = await cartCount()
  return (
    <html lang="en">
      <body>
        <header className="site">
          <nav>
            <Link href="/" className="brand">
              VIVR
            </Link>
            <Link href="/">Shop</Link>
            <span className="spacer" />
            <a href="/api/health">Status</a>
            <Link href="/cart" data-testid="cart-link">
              {count > 0 ? `Cart (${count})` : 'Cart'}
            </Link>
          </nav>
        </header>
        <main>{children}</main>
        <footer className="site">
          <span>
            {config.service} {config.version} · {config.environment}
          </span>
          <a href="/api/health">status page</a>
          <a href="/api/metrics">Prometheus metrics</a>
          <a href={`${config.apiUrl}/api/health`}>API health</a>
        </footer>
        <Monitoring config={config.browser} />
      </body>
    </html>
  )
}
