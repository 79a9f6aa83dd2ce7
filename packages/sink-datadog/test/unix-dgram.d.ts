// unix-dgram ships no types; the test uses its server side only.
declare module 'unix-dgram' {
  import type { EventEmitter } from 'node:events'

  interface UnixDgramSocket extends EventEmitter {
    bind(path: string): void
    close(): void
  }

  export function createSocket(type: 'unix_dgram', listener?: (message: Buffer) => void): UnixDgramSocket
}
