import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'

export const APP_DIR = join(import.meta.dirname, '..')
const require = createRequire(join(APP_DIR, 'package.json'))
export const NEXT_BIN = join(dirname(require.resolve('next/package.json')), 'dist/bin/next')

const SKIP = new Set(['node_modules', 'dist', '.next', '.next-e2e', '.turbo', 'test', 'data'])

function* files(dir: string): Generator<string> {
  if (!existsSync(dir)) return
  for (const entry of readdirSync(dir).sort()) {
    if (SKIP.has(entry)) continue
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) yield* files(path)
    else yield path
  }
}

/** What the storefront bundle is made of: its sources, its config, and the kit packages it bundles from source. */
export function inputsHash(): string {
  const hash = createHash('sha256')
  const manifest = JSON.parse(readFileSync(join(APP_DIR, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>
  }
  const kit = Object.keys(manifest.dependencies).filter((name) => name.startsWith('@vivr/'))
  const roots = [
    join(APP_DIR, 'src'),
    ...['next.config.ts', 'package.json', 'tsconfig.json'].map((f) => join(APP_DIR, f)),
    ...kit.map((name) => join(dirname(require.resolve(`${name}/package.json`)), 'src')),
  ]
  hash.update(JSON.stringify(require('next/package.json').version))
  for (const root of roots) {
    const list = existsSync(root) && statSync(root).isFile() ? [root] : [...files(root)]
    for (const file of list) {
      hash.update(relative(APP_DIR, file))
      hash.update(readFileSync(file))
    }
  }
  return hash.digest('hex')
}

export interface BuildOptions {
  /** Next.js output folder, relative to the app. @default '.next' */
  distDir?: string
  /** Receives the build's output lines. */
  onLine?: (line: string) => void
  /**
   * The inputs the build must stand for (`inputsHash()` taken by the caller, e.g. to name `distDir` after it).
   * @default the inputs now, read again once the build lock is held
   */
  inputs?: string
}

export type BuildOutcome = { built: false } | { built: true; seconds: number }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lock), { recursive: true })
  const deadline = Date.now() + 15 * 60_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch (error) {
      if (Reflect.get(Object(error), 'code') !== 'EEXIST') throw error
      // A build lock untouched for 10 minutes belongs to a build that died.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 10 * 60_000) {
        rmSync(lock, { recursive: true, force: true })
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`)
      await sleep(500)
    }
  }
  try {
    return await fn()
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/**
 * `next build` unless the last build in `distDir` was made from the same inputs. Concurrent callers (several test
 * files) wait for one build. The build needs no database and no environment: the pages render at request time
 * and the browser's settings are sent by the server.
 */
export async function ensureWebBuild(options: BuildOptions = {}): Promise<BuildOutcome> {
  const distDir = options.distDir ?? '.next'
  const out = join(APP_DIR, distDir)
  const stamp = join(out, 'vivr-inputs.sha256')
  const upToDate = (hash: string) =>
    existsSync(join(out, 'BUILD_ID')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash

  if (upToDate(options.inputs ?? inputsHash())) return { built: false }
  return withLock(`${out}.lock`, async () => {
    const hash = options.inputs ?? inputsHash()
    if (upToDate(hash)) return { built: false }
    const started = Date.now()
    const tail: string[] = []
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [NEXT_BIN, 'build', '--webpack'], {
        cwd: APP_DIR,
        env: { ...process.env, NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.trim() === '') continue
          tail.push(line)
          if (tail.length > 60) tail.shift()
          options.onLine?.(line)
        }
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
      child.once('error', reject)
      child.once('close', resolve)
    })
    if (code !== 0) {
      throw new Error(`next build failed (exit ${code}):\n${tail.join('\n')}`)
    }
    writeFileSync(stamp, hash)
    return { built: true, seconds: Math.round((Date.now() - started) / 1000) }
  })
}
