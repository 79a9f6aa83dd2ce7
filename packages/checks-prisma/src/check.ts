import {
  type CommonCheckOptions,
  errorOutcome,
  messageOf,
  type OutcomeCheck,
  scrubSecrets,
  untilAborted,
} from '@vivr/core'
import { checkSettings } from '@vivr/core/internal'
import { singleFlight } from './abortable.js'

/** Anything with Prisma's tagged-template `$queryRaw`: a PrismaClient of Prisma 6 or 7, extended or not. */
export interface PrismaQueryable {
  $queryRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<unknown>
}

/** Prisma's wrapper is a few hundred characters; a longer message is scrubbed and cut to this before any pattern runs. */
const MAX_SCANNED_CHARS = 4096
const WRAPPED = /Raw query failed\. Code: `([^`]*)`\. Message: `([\s\S]*)`\s*$/

/**
 * Prisma wraps driver errors in a multi-line "Invalid `prisma.$queryRaw()` invocation: … Message: `…`" text; the
 * health report only needs the driver's message (and the database's error code when there is one). Whatever was
 * thrown (a Proxy, an Error whose message getter throws, 10 MB of text), this never throws and costs at most a
 * few kilobytes of work: the message is scrubbed and cut first, so a secret that straddles the cut is still
 * recognised.
 */
function conciseMessage(error: unknown): string {
  const text = scrubSecrets(messageOf(error), MAX_SCANNED_CHARS)
  const match = WRAPPED.exec(text)
  if (match) {
    const [, code, message] = match
    return code && code !== 'N/A' ? `${message} (${code})` : (message ?? '')
  }
  // One line: split and join rather than /\s*\n\s*/, which rescans a long run of spaces from each of its starts.
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ')
}

export interface PrismaCheckOptions extends CommonCheckOptions {
  /** Key of the result in the health report. @default 'database' */
  name?: string
  /** Whether an unreachable database makes the service unhealthy. @default true */
  critical?: boolean
}

/**
 * The database check (docs/health.md#the-kits-checks), ``$queryRaw`SELECT 1` ``, with a deadline that holds when the pool is exhausted or
 * the server never answers, and failure messages scrubbed of connection strings and passwords.
 */
export function prismaCheck(prisma: PrismaQueryable, options: PrismaCheckOptions = {}): OutcomeCheck {
  if (typeof prisma?.$queryRaw !== 'function') {
    throw new TypeError('prismaCheck(prisma): expected a Prisma client (an object with $queryRaw)')
  }
  const settings = checkSettings(options, { name: 'database', critical: true })
  // Prisma queries cannot be cancelled: a probe that gives up leaves its query queued, and later probes wait on
  // that one instead of queueing more behind it.
  const selectOne = singleFlight(() => prisma.$queryRaw`SELECT 1`)

  return {
    ...settings,
    async run({ signal }) {
      try {
        await untilAborted(selectOne, signal)
        return { status: 'ok' }
      } catch (error) {
        return errorOutcome(conciseMessage(error))
      }
    },
  } satisfies OutcomeCheck
}
