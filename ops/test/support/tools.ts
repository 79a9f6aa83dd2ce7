import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

/** Absolute path inside ops/. */
export const opsPath = (...parts: string[]): string =>
  join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), ...parts)

export const readOpsFile = (...parts: string[]): string => readFileSync(opsPath(...parts), 'utf8')

export const readOpsYaml = <T = unknown>(...parts: string[]): T => parse(readOpsFile(...parts)) as T

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  /** stdout and stderr together, for assertion messages. */
  output: string
}

/** Which Debian package provides each tool the ops tests drive (scripts/system-deps.txt installs them in CI). */
const DEBIAN_PACKAGE: Record<string, string> = {
  promtool: 'prometheus',
  prometheus: 'prometheus',
  amtool: 'prometheus-alertmanager',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  'prometheus-node-exporter': 'prometheus-node-exporter',
  'prometheus-postgres-exporter': 'prometheus-postgres-exporter',
}

/** Runs a command to completion (bounded by `timeoutMs`), never through a shell. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? opsPath('..'),
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 15_000,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        const pkg = DEBIAN_PACKAGE[command]
        reject(new Error(`${command} is not installed${pkg ? `: apt-get install -y ${pkg}` : ''}`))
      } else reject(error)
    })
    child.stdin.on('error', () => {}) // a tool that exits without reading its input
    child.stdin.end(options.input ?? '')
    child.once('close', (code) => resolvePromise({ code, stdout, stderr, output: `${stdout}${stderr}` }))
  })
}
