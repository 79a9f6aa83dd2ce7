import Link from 'next/link'
import type { Product } from '@/server/catalog'
import { formatPrice } from '@/server/catalog'

export function Swatch({ hue, label }: { hue: number; label: string }) {
  return (
    <div
      className="swatch"
      role="img"
      aria-label={label}
      style={{
        background: `linear-gradient(135deg, hsl(${hue} 70% 72%), hsl(${(hue + 40) % 360} 60% 45%))`,
      }}
    />
  )
}

export function ProductCard({ product }: { product: Product }) {
  return (
    <Link href={`/products/${product.slug}`} className="card" data-testid="product-card">
      <Swatch hue={product.hue} label={product.name} />
      <div className="body">
        <div className="name">{product.name}</div>
        <div className="muted">{product.category}</div>
        <div className="price">{formatPrice(product.priceCents, product.currency)}</div>
      </div>
    </Link>
  )
}
