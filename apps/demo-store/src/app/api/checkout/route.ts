import { cartIdFromCookies } from '@/server/cart-cookie'
import { isTestPaymentMethod } from '@/server/payments'
import { redirectTo, route } from '@/server/route'
import { getServices } from '@/server/runtime'

export const dynamic = 'force-dynamic'

/** The checkout form's post: an order, a payment intent, then the confirmation page (or back, with why). */
export const POST = route('/api/checkout', async (request: Request) => {
  const { orders } = getServices()
  const form = await request.formData()
  const cartId = cartIdFromCookies(request.headers.get('cookie'))
  const paymentMethod = form.get('paymentMethod')
  if (!cartId) return redirectTo(`/checkout?error=${encodeURIComponent('Your cart is empty.')}`)
  const result = await orders.checkout({
    cartId,
    email: String(form.get('email') ?? ''),
    name: String(form.get('name') ?? ''),
    paymentMethod: isTestPaymentMethod(paymentMethod) ? paymentMethod : 'pm_card_visa',
  })
  if (result.ok) return redirectTo(`/orders/${result.orderId}`)
  return redirectTo(`/checkout?error=${encodeURIComponent(result.message)}`)
})
