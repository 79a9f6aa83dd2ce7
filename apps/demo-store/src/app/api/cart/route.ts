import { cartCookie, cartIdFromCookies } from '@/server/cart-cookie'
import { redirectTo, route } from '@/server/route'
import { getServices } from '@/server/runtime'

export const dynamic = 'force-dynamic'

/** Form posts from product and cart pages: `add` (quantity more) or `set` (quantity exactly; 0 removes). */
export const POST = route('/api/cart', async (request: Request) => {
  const { carts, logger } = getServices()
  const form = await request.formData()
  const productId = Number(form.get('productId'))
  const quantity = Number(form.get('quantity') ?? 1)
  const action = form.get('action') === 'set' ? 'set' : 'add'
  if (!Number.isInteger(productId) || productId <= 0 || !Number.isFinite(quantity)) {
    return redirectTo('/cart?notice=invalid')
  }
  const existing = cartIdFromCookies(request.headers.get('cookie'))
  const cartId = existing ?? crypto.randomUUID()
  try {
    if (action === 'set') await carts.set(cartId, productId, quantity)
    else await carts.add(cartId, productId, quantity)
  } catch (error) {
    // The cart store (Redis) is away: say so on the cart page instead of failing the request.
    logger.warn('Cart unavailable', { error: error instanceof Error ? error.message : String(error) })
    return redirectTo('/cart?notice=unavailable')
  }
  logger.info(action === 'add' ? 'Added to cart' : 'Cart updated', { productId, quantity })
  return redirectTo('/cart', existing ? {} : { 'set-cookie': cartCookie(cartId) })
})
