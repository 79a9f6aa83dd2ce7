import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { unusedPort } from '@vivr/testkit'
import { stringify } from 'yaml'
import { waitForHttp } from './exposition.js'
import { run } from './tools.js'

/**
 * Debian's Prometheus and Alertmanager on loopback ports for one test, started with the same flags as
 * ops/monitoring/start.sh (which always loads ops/prometheus/rules.yml with a 5 s scrape, so it cannot run the
 * SLO rules' test-only fast variant); configs, data and logs in `dir`.
 */
export interface MonitoringStack {
  readonly prometheusUrl: string
  readonly alertmanagerUrl: string
  /** Both logs, for assertion messages. */
  logs(): string
  stop(): Promise<void>
}

export interface StackOptions {
  dir: string
  ruleFiles: string[]
  /** host:port and path of the app's metrics, scraped as job "vivr". */
  target: URL
  /** The Alertmanager config, ready to load. */
  alertmanagerConfig: string
  scrapeInterval: string
  evaluationInterval: string
}

function startProcess(command: string, args: string[], logFile: string): ChildProcess {
  const log = createWriteStream(logFile)
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  child.once('error', (error) => log.write(`spawn failed: ${error.message}\n`))
  return child
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

export async function startMonitoringStack(options: StackOptions): Promise<MonitoringStack> {
  const { dir } = options
  mkdirSync(join(dir, 'prometheus-data'), { recursive: true })
  mkdirSync(join(dir, 'alertmanager-data'), { recursive: true })
  const prometheusPort = await unusedPort()
  let alertmanagerPort = await unusedPort()
  while (alertmanagerPort === prometheusPort) alertmanagerPort = await unusedPort()

  const prometheusConfig = {
    global: {
      scrape_interval: options.scrapeInterval,
      scrape_timeout: options.scrapeInterval,
      evaluation_interval: options.evaluationInterval,
    },
    rule_files: options.ruleFiles,
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanagerPort}`] }] }] },
    scrape_configs: [
      {
        job_name: 'vivr',
        scheme: options.target.protocol.replace(':', ''),
        metrics_path: options.target.pathname,
        static_configs: [{ targets: [options.target.host] }],
      },
    ],
  }
  writeFileSync(join(dir, 'prometheus.yml'), stringify(prometheusConfig))
  writeFileSync(join(dir, 'alertmanager.yml'), options.alertmanagerConfig)
  for (const [tool, args] of [
    ['promtool', ['check', 'config', join(dir, 'prometheus.yml')]],
    ['amtool', ['check-config', join(dir, 'alertmanager.yml')]],
  ] as const) {
    const result = await run(tool, [...args])
    if (result.code !== 0) throw new Error(`${tool} rejected the test config:\n${result.output}`)
  }

  const alertmanager = startProcess(
    'prometheus-alertmanager',
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'alertmanager-data')}`,
      `--web.listen-address=127.0.0.1:${alertmanagerPort}`,
      '--cluster.listen-address=',
    ],
    join(dir, 'alertmanager.log'),
  )
  const prometheus = startProcess(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
    ],
    join(dir, 'prometheus.log'),
  )
  const stack: MonitoringStack = {
    prometheusUrl: `http://127.0.0.1:${prometheusPort}`,
    alertmanagerUrl: `http://127.0.0.1:${alertmanagerPort}`,
    logs: () =>
      ['prometheus.log', 'alertmanager.log']
        .map((file) => {
          let text = ''
          try {
            text = readFileSync(join(dir, file), 'utf8')
          } catch {}
          return `--- ${file} (last lines)\n${text.split('\n').slice(-15).join('\n')}`
        })
        .join('\n'),
    async stop() {
      await Promise.all([stopProcess(prometheus), stopProcess(alertmanager)])
    },
  }
  try {
    await waitForHttp(`${stack.alertmanagerUrl}/-/ready`, 20_000)
    await waitForHttp(`${stack.prometheusUrl}/-/ready`, 20_000)
  } catch (error) {
    await stack.stop()
    throw error
  }
  return stack
}

export interface ReceivedNotification {
  /** `/pagerduty` or `/slack`. */
  path: string
  body: Record<string, unknown>
  /** ms since the receiver started. */
  at: number
}

/** A loopback HTTP server standing in for PagerDuty's Events API and Slack's webhook: records every POST. */
export async function startWebhookReceiver() {
  const received: ReceivedNotification[] = []
  const started = Date.now()
  const server = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      let parsed: Record<string, unknown> = {}
      try {
        parsed = JSON.parse(body) as Record<string, unknown>
      } catch {}
      received.push({ path: req.url ?? '', body: parsed, at: Date.now() - started })
      // PagerDuty answers 202 with a status document; Slack answers 200 "ok".
      if (req.url === '/pagerduty')
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}')
      else res.writeHead(200).end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
