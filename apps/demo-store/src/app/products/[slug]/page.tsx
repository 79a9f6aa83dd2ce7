import type { Metadata } from 'next'
import { notFound } from 'next/navigation'
import { formatPrice } from '@/server/catalog'
import { getServices } from '@/server/runtime'
import { Swatch } from '../../product-card'

type Props = { params: Promise<{ slug: string }> }

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const product = await getServices().catalog.bySlug((await params).slug)
  return { title: product?.name ?? 'Not found' }
}

export default async function ProductPage({ params }: Props) {
  const product = await getServices().catalog.bySlug((await params).slug)
  if (!product) notFound()
  return (
    <article className="product">
      <Swatch hue={product.hue} label={product.name} />
      <div>
        <p className="muted">{product.category}</p>
        <h1>{product.name}</h1>
        <p>{product.description}</p>
        <p className="price">{formatPrice(product.priceCents, product.currency)}</p>
        <form method="post" action="/api/cart" className="inline">
          <input type="hidden" name="productId" value={product.id} />
          <input type="hidden" name="action" value="add" />
          <label className="muted" htmlFor="quantity">
            Qty
          </label>
          <input id="quantity" type="number" name="quantity" min={1} max={99} defaultValue={1} />
          <button type="submit">Add to cart</button>
        </form>
      </div>
    </article>
  )
}
