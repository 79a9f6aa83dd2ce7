// `@/lib/health` in README examples: the app's health, built once (createHealth over its checks).

import { redisCheck } from '@vivr/checks-redis'
import { createHealth } from '@vivr/core'
import { redis } from './redis'

export const health = createHealth({ checks: [redisCheck(redis, { timeoutMs: 300 })], timeoutMs: 1000 })
