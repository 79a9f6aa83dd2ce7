import type { Metadata } from 'next'
import Link from 'next/link'
import { formatPrice } from '@/server/catalog'
import { loadCart } from '@/server/pages'
import { TEST_PAYMENT_METHODS } from '@/server/payments'
import { getServices } from '@/server/runtime'

export const metadata: Metadata = { title: 'Checkout' }

export default async function CheckoutPage({ searchParams }: { searchParams: Promise<{ error?: string }> }) {
  const { error } = await searchParams
  const { payments } = getServices()
  const cart = await loadCart()
  const disabled = payments.disabledReason
  return (
    <>
      <h1>Checkout</h1>
      {disabled && (
        <p className="notice warn" role="status" data-testid="checkout-disabled">
          {disabled}
        </p>
      )}
      {error && (
        <p className="notice error" role="alert" data-testid="checkout-error">
          {error}
        </p>
      )}
      {cart.lines.length === 0 ? (
        <p className="panel">
          Your cart is empty. <Link href="/">Browse the shop</Link>.
        </p>
      ) : (
        <div className="columns">
          <form method="post" action="/api/checkout" className="panel stack">
            <label>
              Email
              <input type="email" name="email" required autoComplete="email" />
            </label>
            <label>
              Name
              <input type="text" name="name" required autoComplete="name" />
            </label>
            <label>
              Card (Stripe test payment method)
              <select name="paymentMethod" defaultValue="pm_card_visa">
                {Object.entries(TEST_PAYMENT_METHODS).map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" disabled={disabled !== undefined}>
              Pay {formatPrice(cart.totalCents)}
            </button>
          </form>
          <div className="panel">
            <h2>Order summary</h2>
            <ul>
              {cart.lines.map(({ product, quantity, lineCents }) => (
                <li key={product.id}>
                  {quantity} × {product.name} — {formatPrice(lineCents, product.currency)}
                </li>
              ))}
            </ul>
            <p>
              Total <strong className="price">{formatPrice(cart.totalCents)}</strong>
            </p>
          </div>
        </div>
      )}
    </>
  )
}
