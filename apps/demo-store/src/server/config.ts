/**
 * Every setting the store reads, from the environment, in one place (`.env.example` documents each). Optional
 * dependencies follow one pattern: not configured → the feature degrades with a message that says so
 * (docs/health.md#the-kits-checks).
 */
export interface StoreConfig {
  /** `vivr-web` (Next.js) or `vivr-api` (Express): the `service` of logs, metrics and errors. */
  service: string
  environment: string
  version: string
  /** PostgreSQL; `npm run demo` sets it to its embedded database when unset. */
  databaseUrl: string | undefined
  redis: { url: string; keyPrefix: string } | undefined
  stripe: StripeConfig | undefined
  datadog: { host: string; port: number }
  cloudwatch: { region: string; logGroupName: string; retentionInDays: number | undefined } | undefined
  /** Emit metrics as CloudWatch Embedded Metric Format into the log group too. */
  cloudwatchMetrics: boolean
  sentryDsn: string | undefined
  /** Values the browser needs, read at request time so one build serves every environment. */
  browser: BrowserConfig
  slowQueryMs: number
  /** Health checks run in the background this often; probes answer from the last run. */
  healthIntervalMs: number
  /** Readiness answers 503 this long before the process stops taking work. */
  drainDelayMs: number
  cartAbandonAfterMs: number
  /** `/api/drills/*`: routes that fail on purpose, for the tour and the tests. */
  drills: boolean
  /** Bearer token for the admin API; unset: the admin API only answers requests from loopback. */
  adminToken: string | undefined
  webPort: number
  apiPort: number
  /** Where the storefront links to the API (and the API to the storefront). */
  apiUrl: string
  webUrl: string
}

export interface StripeConfig {
  secretKey: string
  webhookSecret: string | undefined
  /** Where the SDK sends requests: Stripe itself unless STRIPE_API_BASE points elsewhere (tests, stripe-mock). */
  host: string | undefined
  port: number | undefined
  protocol: 'http' | 'https' | undefined
}

export interface BrowserConfig {
  sentryDsn: string | undefined
  datadog: { applicationId: string; clientToken: string; site: string } | undefined
  environment: string
  version: string
}

type Env = Record<string, string | undefined>

export class ConfigError extends Error {
  constructor(variable: string, value: string, expected: string) {
    super(`Invalid ${variable}: expected ${expected}, got "${value}"`)
    this.name = 'ConfigError'
  }
}

const present = (value: string | undefined) =>
  value === undefined || value.trim() === '' ? undefined : value

function integer(env: Env, name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  const raw = present(env[name])
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, raw, `an integer from ${min} to ${max}`)
  }
  return value
}

function flag(env: Env, name: string, fallback: boolean) {
  const raw = present(env[name])?.toLowerCase()
  if (raw === undefined) return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true
  if (['0', 'false', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(name, raw, 'true or false')
}

function url(env: Env, name: string, protocols: string[]): URL | undefined {
  const raw = present(env[name])
  if (raw === undefined) return undefined
  try {
    const parsed = new URL(raw)
    if (protocols.includes(parsed.protocol)) return parsed
  } catch {}
  // Never echo a URL that may carry a password.
  throw new ConfigError(name, raw.replace(/\/\/[^@/]*@/, '//***@'), `a ${protocols.join(' or ')} URL`)
}

function stripeConfig(env: Env): StripeConfig | undefined {
  const secretKey = present(env.STRIPE_SECRET_KEY)
  if (secretKey === undefined) return undefined
  const base = url(env, 'STRIPE_API_BASE', ['http:', 'https:'])
  const protocol = base ? (base.protocol === 'http:' ? 'http' : 'https') : undefined
  return {
    secretKey,
    webhookSecret: present(env.STRIPE_WEBHOOK_SECRET),
    host: base?.hostname,
    port: base ? Number(base.port || (protocol === 'http' ? 80 : 443)) : undefined,
    protocol,
  }
}

export function loadConfig(service: string, env: Env = process.env): StoreConfig {
  const environment = present(env.NODE_ENV) ?? 'development'
  const version = present(env.APP_VERSION) ?? '1.0.0'
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:'])
  const region = present(env.AWS_REGION)
  const logGroupName = present(env.CLOUDWATCH_LOG_GROUP)
  const appId = present(env.NEXT_PUBLIC_DATADOG_APP_ID)
  const clientToken = present(env.NEXT_PUBLIC_DATADOG_CLIENT_TOKEN)
  const webPort = integer(env, 'PORT', 3000, { min: 1, max: 65535 })
  const apiPort = integer(env, 'API_PORT', 4000, { min: 1, max: 65535 })
  url(env, 'DATABASE_URL', ['postgres:', 'postgresql:'])

  return {
    service,
    environment,
    version,
    databaseUrl: present(env.DATABASE_URL),
    redis: redisUrl && {
      url: redisUrl.href,
      keyPrefix: present(env.REDIS_KEY_PREFIX) ?? 'vivr:',
    },
    stripe: stripeConfig(env),
    datadog: {
      host: present(env.DD_AGENT_HOST) ?? 'localhost',
      port: integer(env, 'DD_AGENT_PORT', 8125, { min: 1, max: 65535 }),
    },
    cloudwatch:
      region && logGroupName
        ? {
            region,
            logGroupName,
            retentionInDays: present(env.CLOUDWATCH_RETENTION_DAYS)
              ? integer(env, 'CLOUDWATCH_RETENTION_DAYS', 30, { min: 1 })
              : undefined,
          }
        : undefined,
    cloudwatchMetrics: flag(env, 'CLOUDWATCH_METRICS', false),
    sentryDsn: present(env.SENTRY_DSN),
    browser: {
      sentryDsn: present(env.NEXT_PUBLIC_SENTRY_DSN),
      datadog:
        appId && clientToken
          ? {
              applicationId: appId,
              clientToken,
              site: present(env.NEXT_PUBLIC_DATADOG_SITE) ?? 'datadoghq.com',
            }
          : undefined,
      environment,
      version: present(env.NEXT_PUBLIC_APP_VERSION) ?? version,
    },
    slowQueryMs: integer(env, 'SLOW_QUERY_MS', 500, { min: 1 }),
    healthIntervalMs: integer(env, 'HEALTH_INTERVAL_MS', 10_000, { min: 100 }),
    drainDelayMs: integer(env, 'SHUTDOWN_DRAIN_MS', environment === 'production' ? 5000 : 1000),
    cartAbandonAfterMs: integer(env, 'CART_ABANDON_AFTER_MS', 30 * 60_000, { min: 1000 }),
    drills: flag(env, 'DEMO_DRILLS', true),
    adminToken: present(env.ADMIN_TOKEN),
    webPort,
    apiPort,
    apiUrl: present(env.API_URL) ?? `http://localhost:${apiPort}`,
    webUrl: present(env.WEB_URL) ?? `http://localhost:${webPort}`,
  }
}
