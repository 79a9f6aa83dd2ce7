import {
  type CheckOutcome,
  type CommonCheckOptions,
  errorOutcome,
  messageOf,
  type OutcomeCheck,
  scrubSecrets,
  untilAborted,
} from '@vivr/core'
import { checkSettings } from '@vivr/core/internal'

/** Per-request options of the Stripe SDK the check sets. */
export interface StripeRequestOptions {
  timeout?: number
  maxNetworkRetries?: number
}

/** The part of a `Stripe` client (stripe-node) the check uses; typed structurally, so any recent major fits. */
export interface StripeLike {
  balance: {
    retrieve(params?: undefined, options?: StripeRequestOptions): Promise<unknown>
  }
}

export interface StripeCheckOptions extends CommonCheckOptions {
  /** Key of the result in the health report. @default 'payment' */
  name?: string
  /**
   * Deadline for one run and timeout of its Stripe request, in milliseconds.
   * @default the health's `timeoutMs` for the run; 1000 for the request
   */
  timeoutMs?: number
  /** Whether a Stripe outage makes the service unhealthy (restarting our instances cannot fix Stripe). @default false */
  critical?: boolean
  /** Reuse a result for this long, so load-balancer probes never become Stripe traffic. @default 60000 */
  cacheTtlMs?: number
  /** Reuse an error for this long: a failed probe is retried sooner than a good one, still at a bounded rate. @default 5000 */
  errorCacheTtlMs?: number
}

const DEFAULT_REQUEST_TIMEOUT_MS = 1000

/** A field of a thrown value, or undefined when there is none or it cannot be read (a Proxy, a getter). */
function field(error: unknown, name: string): unknown {
  try {
    return typeof error === 'object' && error !== null ? Reflect.get(error, name) : undefined
  } catch {
    return undefined
  }
}

/** The SDK's error classes (`e.name` is just "Error" in stripe-node; `type` tells them apart). */
function stripeErrorType(error: unknown): string | undefined {
  const type = field(error, 'type')
  return typeof type === 'string' ? type : undefined
}

function statusCode(error: unknown): number | undefined {
  const status = field(error, 'statusCode')
  return typeof status === 'number' ? status : undefined
}

/** Maps a failed `balance.retrieve()` to an outcome; never echoes the key or Stripe's message about it. */
function stripeOutcome(error: unknown): CheckOutcome {
  const type = stripeErrorType(error)
  switch (type) {
    case 'StripeAuthenticationError':
    case 'StripePermissionError':
      return { status: 'error', message: 'Stripe authentication failed' }
    case 'StripeRateLimitError':
      return { status: 'degraded', message: 'Stripe rate limit reached' }
    case 'StripeConnectionError':
      return { status: 'error', message: `Stripe unreachable: ${scrubSecrets(messageOf(error), 200)}` }
    case 'StripeAPIError': {
      const status = statusCode(error)
      return { status: 'error', message: `Stripe API error${status ? ` (HTTP ${status})` : ''}` }
    }
    default:
      return errorOutcome(error)
  }
}

/**
 * The payment check (docs/health.md#the-kits-checks): `balance.retrieve()`, or `degraded` / `Stripe not configured` when there is no
 * client. The request has the check's own timeout and no retries, results are cached for `cacheTtlMs`, and a
 * Stripe outage degrades the service rather than failing readiness unless `critical` is set.
 */
export function stripeCheck(stripe: StripeLike | undefined, options: StripeCheckOptions = {}): OutcomeCheck {
  if (stripe !== undefined && typeof stripe?.balance?.retrieve !== 'function') {
    throw new TypeError('stripeCheck(stripe): expected a Stripe client or undefined')
  }
  const settings = checkSettings(options, {
    name: 'payment',
    critical: false,
    cacheTtlMs: 60_000,
    errorCacheTtlMs: 5_000,
  })
  const requestOptions: StripeRequestOptions = {
    // stripe-node ignores a timeout that is not an integer.
    timeout: Math.ceil(settings.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
    maxNetworkRetries: 0,
  }

  async function run({ signal }: { signal: AbortSignal }): Promise<CheckOutcome> {
    if (!stripe) return { status: 'degraded', message: 'Stripe not configured' }
    if (signal.aborted) return errorOutcome(signal.reason)
    try {
      await untilAborted(() => stripe.balance.retrieve(undefined, requestOptions), signal)
      return { status: 'ok' }
    } catch (error) {
      return stripeOutcome(error)
    }
  }

  return {
    ...settings,
    run,
  } satisfies OutcomeCheck
}
