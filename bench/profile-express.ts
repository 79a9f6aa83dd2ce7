// `npm run bench:profile`: where the kit's per-request CPU goes. The bare and the kit server of the Express bench
// (adapters.bench.ts) run under --cpu-prof, each loaded by autocannon for the same time; the profiles' samples are
// grouped by where the code lives (a kit file, an npm package, a Node internal) and divided by the requests each
// side served. Printed: busy microseconds per request for both sides, and the groups that differ most.
import { createSocket } from 'node:dgram'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { load, type Side, startServer } from './adapters.bench.js'

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 8)

interface Profile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>
  samples: number[]
  timeDeltas: number[]
}

/**
 * Where a sample's code lives: a kit function by package (`kit:core trackRoute`: the built files are bundles, so
 * the function says more than the file), else `npm:pino`, `node:_http_server`, `(garbage collector)`…
 */
function groupOf(frame: { functionName: string; url: string }): string {
  const { url, functionName } = frame
  if (!url) return functionName.startsWith('(') ? functionName : `native:${functionName}`
  const kit = url.match(/packages\/([^/]+)\/(?:src|dist)\//)
  if (kit) return `kit:${kit[1]} ${functionName || '(anonymous)'}`
  const npm = url.match(/node_modules\/((@[^/]+\/)?[^/]+)/)
  if (npm) return `npm:${npm[1]}`
  return url.replace(/^node:internal\//, 'node:')
}

/** Microseconds per request by group, idle left out. */
function perRequest(file: string, requests: number): Map<string, number> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]))
  const groups = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const group = groupOf(frames.get(id)!)
    if (group !== '(idle)') groups.set(group, (groups.get(group) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  for (const [group, us] of groups) groups.set(group, us / requests)
  return groups
}

async function profileSide(side: Side, statsdPort: number) {
  const dir = mkdtempSync(join(tmpdir(), `vivr-profile-${side}-`))
  const server = await startServer(side, statsdPort, ['--cpu-prof', `--cpu-prof-dir=${dir}`])
  await load(server, 1)
  const { requests } = await load(server, SECONDS)
  const exited = new Promise((resolve) => server.child.once('exit', resolve))
  server.child.kill('SIGTERM')
  await exited
  // The main thread's profile is the largest (tsx's loader thread writes one too).
  const files = readdirSync(dir).map((f) => join(dir, f))
  const main = files.sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!
  const groups = perRequest(main, requests)
  rmSync(dir, { recursive: true, force: true })
  return groups
}

const statsd = createSocket('udp4')
statsd.on('message', () => {})
await new Promise<void>((resolve) => statsd.bind(0, '127.0.0.1', resolve))
const bare = await profileSide('bare', statsd.address().port)
const kit = await profileSide('kit', statsd.address().port)
statsd.close()

const total = (groups: Map<string, number>) => [...groups.values()].reduce((a, b) => a + b, 0)
console.log(`busy CPU per request: kit ${total(kit).toFixed(1)} µs, bare ${total(bare).toFixed(1)} µs`)
console.log('(profiler on, so both are inflated alike; the difference is what the kit costs)\n')
const rows = [...new Set([...kit.keys(), ...bare.keys()])]
  .map((group) => ({ group, kit: kit.get(group) ?? 0, bare: bare.get(group) ?? 0 }))
  .sort((a, b) => b.kit - b.bare - (a.kit - a.bare))
  .slice(0, 30)
console.log('  kit − bare      kit     bare  group')
for (const row of rows) {
  const cell = (v: number) => v.toFixed(2).padStart(8)
  console.log(`${cell(row.kit - row.bare)} ${cell(row.kit)} ${cell(row.bare)}  ${row.group}`)
}
