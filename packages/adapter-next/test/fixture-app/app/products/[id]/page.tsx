import { getObservability } from '@vivr/adapter-next'

export default async function Product({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params
  // A server component no wrapper sees: its line's trace comes from Next.js's span (countRequests' trace source).
  getObservability()?.logger.info('product page rendered', { productId: id })
  return <h1>Product {id}</h1>
}
