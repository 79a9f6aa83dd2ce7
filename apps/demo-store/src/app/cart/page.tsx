import type { Metadata } from 'next'
import Link from 'next/link'
import { formatPrice } from '@/server/catalog'
import { loadCart } from '@/server/pages'

export const metadata: Metadata = { title: 'Cart' }

const NOTICES: Record<string, string> = {
  unavailable:
    'The cart is unavailable right now (its store is not answering). Browsing still works; please try again in a moment.',
  invalid: 'That item could not be added.',
}

export default async function CartPage({ searchParams }: { searchParams: Promise<{ notice?: string }> }) {
  const { notice } = await searchParams
  const cart = await loadCart()
  const message = cart.unavailable ? NOTICES.unavailable : notice ? NOTICES[notice] : undefined
  return (
    <>
      <h1>Cart</h1>
      {message && (
        <p className="notice warn" role="status">
          {message}
        </p>
      )}
      {cart.lines.length === 0 ? (
        <p className="panel">
          Your cart is empty. <Link href="/">Browse the shop</Link>.
        </p>
      ) : (
        <>
          <table className="lines" data-testid="cart-lines">
            <thead>
              <tr>
                <th>Product</th>
                <th>Quantity</th>
                <th className="num">Price</th>
                <th className="num">Total</th>
              </tr>
            </thead>
            <tbody>
              {cart.lines.map(({ product, quantity, lineCents }) => (
                <tr key={product.id}>
                  <td>
                    <Link href={`/products/${product.slug}`}>{product.name}</Link>
                  </td>
                  <td>
                    <form method="post" action="/api/cart" className="inline">
                      <input type="hidden" name="productId" value={product.id} />
                      <input type="hidden" name="action" value="set" />
                      <input
                        type="number"
                        name="quantity"
                        min={0}
                        max={99}
                        defaultValue={quantity}
                        aria-label={`Quantity of ${product.name}`}
                      />
                      <button type="submit" className="secondary">
                        Update
                      </button>
                    </form>
                  </td>
                  <td className="num">{formatPrice(product.priceCents, product.currency)}</td>
                  <td className="num">{formatPrice(lineCents, product.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="summary">
            <span>
              Total{' '}
              <strong className="price" data-testid="cart-total">
                {formatPrice(cart.totalCents)}
              </strong>
            </span>
            <Link className="button" href="/checkout">
              Checkout
            </Link>
          </div>
        </>
      )}
    </>
  )
}
