#!/usr/bin/env node
// Generates the Prisma client the tests use (test/prisma/generated, git-ignored) when the schema or the Prisma
// version changed. Runs from `typecheck` (tsc needs the types) and from the tests themselves, so `npm test` and a
// bare `vitest run` both work on a fresh clone. Offline-safe: `prisma generate` does not need the schema engine,
// and PRISMA_SCHEMA_ENGINE_BINARY keeps the CLI from trying to download it.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const schema = join(packageDir, 'test/prisma/schema.prisma')
const output = join(packageDir, 'test/prisma/generated')
const stamp = join(output, '.schema-hash')
const lock = join(packageDir, 'test/prisma/.generate.lock')

const require = createRequire(join(packageDir, 'package.json'))
const cli = require.resolve('prisma/build/index.js')
const prismaVersion = JSON.parse(readFileSync(join(dirname(cli), '../package.json'), 'utf8')).version
const hash = createHash('sha256').update(prismaVersion).update(readFileSync(schema)).digest('hex')

const upToDate = () => existsSync(stamp) && readFileSync(stamp, 'utf8') === hash
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

function acquireLock() {
  const deadline = Date.now() + 120_000
  for (;;) {
    try {
      mkdirSync(lock)
      return
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
      // A lock older than a minute belongs to a process that died mid-generate.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 60_000)
        rmSync(lock, { force: true })
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`)
      sleep(100)
    }
  }
}

if (!upToDate()) {
  acquireLock()
  try {
    if (!upToDate()) {
      execFileSync(process.execPath, [cli, 'generate', '--schema', schema], {
        cwd: packageDir,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {
          ...process.env,
          PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/false',
          PRISMA_HIDE_UPDATE_MESSAGE: '1',
          CHECKPOINT_DISABLE: '1',
        },
      })
      writeFileSync(stamp, hash)
    }
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}
