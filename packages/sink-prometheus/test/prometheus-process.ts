import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unusedPort } from '@vivr/testkit'

/** Polls `probe` until it yields a value (every 250 ms), or fails naming `what` and the last error. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`${what} not seen within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`)
}

export interface PrometheusProcess {
  url: string
  /** What Prometheus printed so far, for failure messages. */
  logs(): string
  stop(): Promise<void>
}

/**
 * The real Prometheus (Debian's binary) on a free loopback port, scraping one target every second, ready when
 * this resolves; its own temporary directory, removed by `stop()`.
 */
export async function startPrometheus(options: {
  job: string
  targetPort: number
  extraGlobal?: readonly string[]
  flags?: readonly string[]
}): Promise<PrometheusProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'vivr-prometheus-'))
  const config = join(dir, 'prometheus.yml')
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      ...(options.extraGlobal ?? []).map((line) => `  ${line}`),
      'scrape_configs:',
      `  - job_name: ${options.job}`,
      '    static_configs:',
      `      - targets: ['127.0.0.1:${options.targetPort}']`,
      '',
    ].join('\n'),
  )
  const port = await unusedPort()
  const url = `http://127.0.0.1:${port}`
  let logs = ''
  const prometheus = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.console.templates=${dir}`,
      `--web.console.libraries=${dir}`,
      ...(options.flags ?? []),
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  prometheus.stdout?.on('data', (chunk) => (logs += chunk))
  prometheus.stderr?.on('data', (chunk) => (logs += chunk))
  const stop = async () => {
    if (prometheus.exitCode === null && prometheus.signalCode === null) {
      const exited = new Promise((resolve) => prometheus.once('exit', resolve))
      prometheus.kill('SIGTERM')
      const timer = setTimeout(() => prometheus.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitFor(
      'Prometheus ready',
      async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined),
      15_000,
    )
  } catch (error) {
    await stop()
    throw new Error(`${(error as Error).message}\n${logs}`)
  }
  return { url, logs: () => logs, stop }
}
