import Link from 'next/link'

// A page whose link the App Router prefetches as soon as it is in view: the prefetch is no visit, the click is.
export default function Catalog() {
  return (
    <main>
      <h1>Catalog</h1>
      <Link id="product-5" href="/products/5">
        See the fifth product
      </Link>
    </main>
  )
}
