export type { RedisCheckOptions, RedisLike } from './check.js'
export { redisCheck } from './check.js'
