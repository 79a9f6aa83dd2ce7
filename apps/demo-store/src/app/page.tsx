import Link from 'next/link'
import { getServices } from '@/server/runtime'
import { ProductCard } from './product-card'

export default async function ProductList({
  searchParams,
}: {
  searchParams: Promise<{ category?: string }>
}) {
  const { category } = await searchParams
  const products = await getServices().catalog.list()
  const categories = [...new Set(products.map((p) => p.category))]
  const shown = category ? products.filter((p) => p.category === category) : products
  return (
    <>
      <h1>{category ?? 'All products'}</h1>
      <div className="filters">
        <Link className="chip" href="/" aria-current={category ? undefined : 'page'}>
          All
        </Link>
        {categories.map((c) => (
          <Link
            key={c}
            className="chip"
            href={`/?category=${encodeURIComponent(c)}`}
            aria-current={c === category ? 'page' : undefined}
          >
            {c}
          </Link>
        ))}
      </div>
      <div className="grid">
        {shown.map((product) => (
          <ProductCard key={product.id} product={product} />
        ))}
      </div>
    </>
  )
}
