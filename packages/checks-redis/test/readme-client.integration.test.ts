// The README's ioredis client (lib/redis.ts), run as written against a Redis that is down while the check probes
// it: no "[ioredis] Unhandled error event" flood, one warning from the app's logger. A bare client, the control,
// does print the flood, so this test can see it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { runScript, unusedPort } from '@vivr/testkit'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../../..')
mkdirSync(join(root, 'node_modules/.cache'), { recursive: true })
const dir = mkdtempSync(join(root, 'node_modules/.cache/checks-redis-readme-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8')
const block = /```ts\n(\/\/ lib\/redis\.ts\n[\s\S]*?)```/.exec(readme)?.[1]

writeFileSync(
  join(dir, 'observability.mts'),
  `import { createLogger } from '@vivr/core/node'\nexport const logger = createLogger({ service: 'readme' })\n`,
)
writeFileSync(
  join(dir, 'bare-redis.mts'),
  `import { Redis } from 'ioredis'\nexport const redis = new Redis(process.env.REDIS_URL as string)\n`,
)
writeFileSync(
  join(dir, 'main.mts'),
  `import { createHealth } from '@vivr/core'
import { redisCheck } from '@vivr/checks-redis'

const { redis } = await import(process.argv[2] as string)
const health = createHealth({ checks: [redisCheck(redis, { timeoutMs: 300 })], timeoutMs: 500 })
const statuses = new Set<number>()
const until = Date.now() + 1500
while (Date.now() < until) {
  statuses.add((await health.handler(new Request('http://localhost/api/health'))).status)
  await new Promise((r) => setTimeout(r, 100))
}
redis.disconnect()
console.log(JSON.stringify({ statuses: [...statuses] }))
`,
)

async function probeWhileDown(clientFile: string) {
  const port = await unusedPort()
  return runScript(join(dir, 'main.mts'), [join(dir, clientFile)], {
    conditions: ['@vivr/source'],
    env: { REDIS_URL: `redis://127.0.0.1:${port}` },
    timeoutMs: 15_000,
  })
}

describe("checks-redis README's client while Redis is down", () => {
  it('has an error listener: no "Unhandled error event", one warning, the check reports degraded', async () => {
    expect(block, 'README has a ```ts block starting with // lib/redis.ts').toBeDefined()
    writeFileSync(
      join(dir, 'readme-redis.mts'),
      (block ?? '').replace("'@/lib/observability'", "'./observability.mjs'"),
    )
    const result = await probeWhileDown('readme-redis.mts')
    expect(result.stderr).not.toContain('Unhandled error event')
    expect(result.code).toBe(0)
    const lines = result.stdout.trim().split('\n')
    expect(lines.filter((line) => line.includes('Redis unavailable, reconnecting'))).toHaveLength(1)
    expect(JSON.parse(lines.at(-1) ?? '{}')).toEqual({ statuses: [200] }) // degraded: cache is not critical
  })

  it('control: a client without a listener floods stderr with "Unhandled error event"', async () => {
    const result = await probeWhileDown('bare-redis.mts')
    expect(result.code).toBe(0)
    expect(result.stderr.split('Unhandled error event').length - 1).toBeGreaterThan(2)
  })
})
