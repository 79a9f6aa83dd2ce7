// The names a ```ts fragment block may use without defining them: the objects a real app has built elsewhere.
// scripts/check-readme-examples.mjs imports every name below into a fragment, except the ones the fragment
// declares or imports itself. Keep it to objects most READMEs share; a name one README needs goes on a
// `// declare:` line in that block instead.

import * as Sentry from '@sentry/nextjs'
import type { Check, ErrorReporter, Health, Logger, MetricSink } from '@vivr/core'
import type { Lifecycle } from '@vivr/core/node'
import type { Express } from 'express'
import type { Redis } from 'ioredis'
import type Stripe from 'stripe'
import type { PrismaClient } from './project/generated/prisma/client'

export { expect } from 'vitest'
export { Sentry }

export declare const prisma: PrismaClient
export declare const redis: Redis
export declare const stripe: Stripe
export declare const logger: Logger
export declare const metrics: MetricSink
export declare const reporter: ErrorReporter
export declare const health: Health
export declare const lifecycle: Lifecycle
export declare const app: Express
export declare const request: Request
export declare const userId: string
export declare const orderId: string
export declare const requestId: string
// Checks an app has defined (defineCheck, prismaCheck, redisCheck, stripeCheck).
export declare const database: Check
export declare const cache: Check
export declare const payment: Check
