import type { Metadata } from 'next'
import Link from 'next/link'
import { notFound } from 'next/navigation'
import { formatPrice } from '@/server/catalog'
import { getServices } from '@/server/runtime'

export const metadata: Metadata = { title: 'Order' }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export default async function OrderPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params
  if (!UUID.test(id)) notFound()
  const order = await getServices().db.order.findUnique({
    where: { id },
    include: { items: { include: { product: true } }, customer: true },
  })
  if (!order) notFound()
  const confirmed = order.status === 'paid' || order.status === 'shipped'
  return (
    <>
      <h1>{confirmed ? 'Thank you for your order' : 'Order'}</h1>
      {confirmed && (
        <p className="notice ok" role="status" data-testid="order-confirmed">
          Order confirmed: a receipt is on its way to {order.customer.email}.
        </p>
      )}
      <div className="panel">
        <p>
          Order <code data-testid="order-id">{order.id}</code>{' '}
          <span className={`badge ${order.status}`} data-testid="order-status">
            {order.status.replace('_', ' ')}
          </span>
        </p>
        {order.failureReason && <p className="notice error">{order.failureReason}</p>}
        <ul>
          {order.items.map((item) => (
            <li key={item.id}>
              {item.quantity} × {item.product.name} —{' '}
              {formatPrice(item.unitPriceCents * item.quantity, order.currency)}
            </li>
          ))}
        </ul>
        <p>
          Total <strong className="price">{formatPrice(order.totalCents, order.currency)}</strong>
        </p>
        <p>
          <Link href="/">Continue shopping</Link>
        </p>
      </div>
    </>
  )
}
