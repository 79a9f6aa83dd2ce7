#!/usr/bin/env node
// Generates the Prisma client (src/generated/prisma, git-ignored) when the schema or the Prisma version changed.
// Offline-safe: `prisma generate` needs no schema engine, and PRISMA_SCHEMA_ENGINE_BINARY keeps the CLI from trying
// to download one. Used by `npm run demo`, typecheck and the tests; concurrent callers wait on a lock directory.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const schema = join(appDir, 'prisma/schema.prisma')
const output = join(appDir, 'src/generated/prisma')
const stamp = join(output, '.schema-hash')
const lock = join(appDir, 'src/generated/.generate.lock')

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/** Returns 'generated' or 'up to date'. */
export function generateClient() {
  const require = createRequire(join(appDir, 'package.json'))
  const cli = require.resolve('prisma/build/index.js')
  const version = JSON.parse(readFileSync(join(dirname(cli), '../package.json'), 'utf8')).version
  const hash = createHash('sha256').update(version).update(readFileSync(schema)).digest('hex')
  const upToDate = () => existsSync(stamp) && readFileSync(stamp, 'utf8') === hash
  if (upToDate()) return 'up to date'

  mkdirSync(dirname(lock), { recursive: true })
  const deadline = Date.now() + 120_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
      // A lock older than a minute belongs to a process that died mid-generate.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 60_000) {
        rmSync(lock, { recursive: true, force: true })
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`)
      sleep(100)
    }
  }
  try {
    if (upToDate()) return 'up to date'
    try {
      execFileSync(process.execPath, [cli, 'generate', '--schema', schema], {
        cwd: appDir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/false',
          PRISMA_HIDE_UPDATE_MESSAGE: '1',
          CHECKPOINT_DISABLE: '1',
        },
      })
    } catch (error) {
      throw new Error(`prisma generate failed: ${String(error.stderr ?? error.message).trim()}`)
    }
    writeFileSync(stamp, hash)
    return 'generated'
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`prisma client: ${generateClient()}`)
}
