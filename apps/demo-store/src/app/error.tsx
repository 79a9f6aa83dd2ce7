'use client'

import * as Sentry from '@sentry/nextjs'
import { useEffect } from 'react'

/** A page failed on the server (say, the database is down): the error is reported, the visitor can retry. */
export default function PageError({
  error,
  reset,
}: {
  error: Error & { digest?: string }
  reset: () => void
}) {
  useEffect(() => {
    Sentry.captureException(error)
  }, [error])
  return (
    <div className="panel" role="alert">
      <h1>Something went wrong</h1>
      <p>
        The store could not load this page. Our monitoring has the details
        {error.digest ? ` (${error.digest})` : ''}.
      </p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </div>
  )
}
