import { vi } from 'vitest'

/** Every variable the sink (or hot-shots under it) reads, pinned so tests do not depend on the machine. */
export function pinDatadogEnv(overrides: Record<string, string> = {}): void {
  const pinned: Record<string, string> = {
    NODE_ENV: 'test',
    APP_VERSION: '1.2.3',
    DD_SERVICE: 'vivr-api',
    DD_ENV: '',
    DD_VERSION: '',
    DD_AGENT_HOST: '',
    DD_AGENT_PORT: '',
    DD_DOGSTATSD_PORT: '',
    DD_DOGSTATSD_SOCKET: '',
    DD_DOGSTATSD_URL: '',
    DD_TAGS: '',
    ...overrides,
  }
  for (const [name, value] of Object.entries(pinned)) vi.stubEnv(name, value)
}

export const GLOBAL_TAGS = ['env:test', 'service:vivr-api', 'version:1.2.3']

/**
 * A hostname no resolver can answer: a 64-character label is invalid DNS, so the local resolver fails it
 * (ENOTFOUND) without sending any query off the machine.
 */
export const UNKNOWN_HOST = `${'x'.repeat(64)}.invalid`
