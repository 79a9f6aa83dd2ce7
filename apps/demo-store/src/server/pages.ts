import { cookies } from 'next/headers'
import { CART_COOKIE, isCartId } from './cart-cookie.js'
import type { Product } from './catalog.js'
import { getServices } from './runtime.js'

export interface CartView {
  lines: Array<{ product: Product; quantity: number; lineCents: number }>
  totalCents: number
  count: number
  /** The cart store could not be read (Redis away). */
  unavailable: boolean
}

export async function currentCartId(): Promise<string | undefined> {
  const value = (await cookies()).get(CART_COOKIE)?.value
  return isCartId(value) ? value : undefined
}

/** The visitor's cart with current prices; an unreachable cart store reads as an empty, unavailable cart. */
export async function loadCart(): Promise<CartView> {
  const { carts, catalog, logger } = getServices()
  const cartId = await currentCartId()
  const empty: CartView = { lines: [], totalCents: 0, count: 0, unavailable: false }
  if (!cartId) return empty
  let lines: Awaited<ReturnType<typeof carts.get>>
  try {
    lines = await carts.get(cartId)
  } catch (error) {
    logger.warn('Cart unavailable', { error: error instanceof Error ? error.message : String(error) })
    return { ...empty, unavailable: true }
  }
  const products = await catalog.byIds(lines.map((l) => l.productId))
  const view = lines.flatMap((line) => {
    const product = products.get(line.productId)
    return product
      ? [{ product, quantity: line.quantity, lineCents: product.priceCents * line.quantity }]
      : []
  })
  return {
    lines: view,
    totalCents: view.reduce((sum, l) => sum + l.lineCents, 0),
    count: view.reduce((sum, l) => sum + l.quantity, 0),
    unavailable: false,
  }
}

/** Items in the visitor's cart for the header: never fails a page (0 when the cart store is away). */
export async function cartCount(): Promise<number> {
  const cartId = await currentCartId()
  if (!cartId) return 0
  try {
    const lines = await getServices().carts.get(cartId)
    return lines.reduce((sum, l) => sum + l.quantity, 0)
  } catch {
    return 0
  }
}
