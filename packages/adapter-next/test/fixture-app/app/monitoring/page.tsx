import { connection } from 'next/server'
import { Monitoring } from './monitoring'

export default async function MonitoringPage() {
  await connection()
  return (
    <main>
      <p id="private-text">Order history for Alice Example</p>
      <label>
        Card holder <input id="card-holder" name="card-holder" />
      </label>
      <Monitoring
        sentryDsn={process.env.BROWSER_SENTRY_DSN ?? ''}
        datadogProxy={process.env.DATADOG_PROXY_URL ?? ''}
      />
    </main>
  )
}
