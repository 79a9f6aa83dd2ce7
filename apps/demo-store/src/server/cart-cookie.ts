export const CART_COOKIE = 'cart_id'
const CART_ID = /^[0-9a-f-]{36}$/

/** The cart id from a Cookie header, when it is one of ours. */
export function cartIdFromCookies(cookieHeader: string | null): string | undefined {
  if (!cookieHeader) return undefined
  for (const part of cookieHeader.split(';')) {
    const [name, value] = part.trim().split('=')
    if (name === CART_COOKIE && value && CART_ID.test(value)) return value
  }
  return undefined
}

export const isCartId = (value: string | undefined): value is string =>
  value !== undefined && CART_ID.test(value)

export function cartCookie(cartId: string): string {
  return `${CART_COOKIE}=${cartId}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${7 * 24 * 3600}`
}
