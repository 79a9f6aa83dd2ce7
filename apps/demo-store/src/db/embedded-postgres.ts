import { createServer, type Server, type Socket } from 'node:net'
import type { PGlite } from '@electric-sql/pglite'

/**
 * PGlite served over the PostgreSQL wire protocol on loopback, so the storefront and the API (two processes) can
 * share one embedded database through the ordinary `pg` driver.
 *
 * PGlite is a single session. Several client connections stay correct only if each one's protocol exchange runs
 * uninterrupted: an extended-query batch (Parse … Sync) or a simple Query, and a whole transaction from BEGIN to
 * COMMIT. A connection therefore holds the session from its first message until a Sync or Query completes outside
 * a transaction; the others queue. (@electric-sql/pglite-socket interleaves batches of different connections,
 * electric-sql/pglite#1046, which corrupts the unnamed prepared statement under concurrent Prisma queries.)
 */
export interface EmbeddedPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string
  readonly port: number
  /** Open client connections. */
  readonly connections: number
  close(): Promise<void>
}

export interface EmbeddedPostgresOptions {
  /** @default 0 (a free port) */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
}

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102
const NOT_SUPPORTED = Buffer.from('N')

/** Hands the one PGlite session to one connection at a time, in request order. */
function createSessionLock() {
  let owner: object | undefined
  const waiting: Array<{ who: object; grant: (granted: boolean) => void }> = []
  return {
    owner: () => owner,
    /** Resolves true once `who` owns the session, or false if it was cancelled while waiting. */
    acquire(who: object): Promise<boolean> {
      if (owner === who) return Promise.resolve(true)
      if (owner === undefined) {
        owner = who
        return Promise.resolve(true)
      }
      return new Promise<boolean>((grant) => waiting.push({ who, grant }))
    },
    /** Gives up ownership, or a place in the queue. */
    release(who: object): void {
      const index = waiting.findIndex((w) => w.who === who)
      if (index >= 0) waiting.splice(index, 1)[0]!.grant(false)
      if (owner !== who) return
      const next = waiting.shift()
      owner = next?.who
      next?.grant(true)
    },
  }
}

export async function serveEmbeddedPostgres(
  db: PGlite,
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const host = options.host ?? '127.0.0.1'
  const session = createSessionLock()
  const sockets = new Set<Socket>()

  async function run(message: Uint8Array): Promise<Uint8Array> {
    return db.runExclusive(() => db.execProtocolRaw(message))
  }

  function handle(socket: Socket): void {
    sockets.add(socket)
    socket.setNoDelay(true)
    const connection = {}
    let buffer = Buffer.alloc(0)
    let started = false
    let closed = false
    let queue = Promise.resolve()

    // Runs after the connection's last message: a client that vanished mid-transaction must not leave the shared
    // session inside it.
    const cleanUp = async () => {
      sockets.delete(socket)
      if (session.owner() === connection && db.isInTransaction()) {
        await db.exec('ROLLBACK').catch(() => {})
      }
      session.release(connection)
    }
    const finish = () => {
      if (closed) return
      closed = true
      // Leave the queue for the session at once; the message being run, if any, completes first.
      if (session.owner() !== connection) session.release(connection)
      queue = queue.then(cleanUp, cleanUp)
    }

    /** The next complete message in the buffer, if any. */
    function take(): { type: number | undefined; message: Buffer } | undefined {
      if (!started) {
        if (buffer.length < 8) return undefined
        const length = buffer.readInt32BE(0)
        if (buffer.length < length) return undefined
        const message = buffer.subarray(0, length)
        buffer = buffer.subarray(length)
        return { type: undefined, message }
      }
      if (buffer.length < 5) return undefined
      const length = 1 + buffer.readInt32BE(1)
      if (buffer.length < length) return undefined
      const message = buffer.subarray(0, length)
      buffer = buffer.subarray(length)
      return { type: message[0], message }
    }

    async function processMessage(type: number | undefined, message: Buffer): Promise<void> {
      if (type === undefined) {
        const code = message.readInt32BE(4)
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          socket.write(NOT_SUPPORTED)
          return
        }
        if (code === CANCEL_REQUEST) {
          socket.end()
          return
        }
        started = true
      } else if (type === 0x58 /* X: Terminate */) {
        socket.end()
        return
      }
      if (!(await session.acquire(connection)) || closed) return
      const reply = await run(message)
      if (reply.length > 0 && !socket.destroyed) socket.write(reply)
      // The startup exchange, a simple Query and a Sync each end with ReadyForQuery: the session may move on,
      // unless it is inside a transaction this connection opened.
      const endsExchange = type === undefined || type === 0x53 /* S */ || type === 0x51 /* Q */
      if (endsExchange && !db.isInTransaction()) session.release(connection)
    }

    socket.on('data', (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
      queue = queue.then(async () => {
        for (let next = take(); next && !closed; next = take()) {
          await processMessage(next.type, next.message)
        }
      })
      queue = queue.catch(() => {
        socket.destroy()
        finish()
      })
    })
    socket.on('error', () => {})
    socket.on('close', finish)
  }

  const server: Server = createServer(handle)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string')
    throw new Error('embedded PostgreSQL has no TCP address')
  const port = address.port

  return {
    url: `postgresql://postgres@${host}:${port}/postgres`,
    port,
    get connections() {
      return sockets.size
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
