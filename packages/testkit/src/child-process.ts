import { spawn } from 'node:child_process'

export interface ScriptResult {
  code: number | null
  stdout: string
  stderr: string
  elapsedMs: number
}

export interface RunScriptOptions {
  cwd?: string
  /** Added to the current environment. */
  env?: Record<string, string>
  /** Export conditions for module resolution, e.g. a source-first condition. */
  conditions?: string[]
  /** The child is killed and the promise rejects past this. @default 15000 */
  timeoutMs?: number
}

/**
 * Runs a TypeScript file in a fresh Node process (through tsx) and collects its output: for tests that must see
 * a process exit on its own — after a flush, a close, a signal.
 */
export function runScript(
  file: string,
  args: string[] = [],
  options: RunScriptOptions = {},
): Promise<ScriptResult> {
  const timeoutMs = options.timeoutMs ?? 15_000
  const nodeArgs = [
    ...(options.conditions ?? []).map((c) => `--conditions=${c}`),
    '--import',
    'tsx',
    file,
    ...args,
  ]
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const child = spawn(process.execPath, nodeArgs, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const killer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child did not exit within ${timeoutMs}ms: ${stderr}`))
    }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(killer)
      resolve({ code, stdout, stderr, elapsedMs: Date.now() - started })
    })
  })
}
