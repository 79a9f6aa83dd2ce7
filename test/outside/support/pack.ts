// What a new user installs: every published package packed by npm into a tarball, exactly as `npm publish` would
// upload it. The outside-user suites install these into fresh projects outside the repository.
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const REPO = resolve(import.meta.dirname, '../../..')

export interface PackedPackages {
  /** Where the tarballs are. */
  dir: string
  /** Package name → absolute tarball path. */
  tarballs: Record<string, string>
}

/** Packs every non-private package under packages/ (they must be built: `npm test` builds before vitest). */
export function packAll(): PackedPackages {
  const dir = mkdtempSync(join(tmpdir(), 'vivr-tarballs-'))
  const tarballs: Record<string, string> = {}
  for (const folder of readdirSync(join(REPO, 'packages'))) {
    const manifest = JSON.parse(readFileSync(join(REPO, 'packages', folder, 'package.json'), 'utf8'))
    if (manifest.private) continue
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: join(REPO, 'packages', folder),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const [packed] = JSON.parse(out) as Array<{ filename: string }>
    if (!packed) throw new Error(`npm pack gave no tarball for ${manifest.name}`)
    tarballs[manifest.name] = join(dir, packed.filename)
  }
  return { dir, tarballs }
}

/** A fresh project folder outside the repository, with its own package.json. */
export function freshProject(name: string, manifest: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `vivr-outside-${name}-`))
  const contents = { name, version: '0.0.0', private: true, ...manifest }
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(contents, null, 2)}\n`)
  return dir
}

/**
 * `npm install` in `dir`, as a user would: the tarballs plus registry packages by name. `--prefer-offline` uses the
 * npm cache the repository's own install filled; the registry is still reachable for anything missing.
 */
export function npmInstall(dir: string, specs: readonly string[], options: { dev?: boolean } = {}): void {
  execFileSync(
    'npm',
    [
      'install',
      ...(options.dev ? ['--save-dev'] : []),
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      ...specs,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 600_000 },
  )
}

/**
 * `npmInstall` without blocking the test process, so several fresh projects install at once (npm's cache is safe
 * to share). Rejects with npm's output when the install fails or outlasts `timeoutMs`.
 */
export function npmInstallAsync(
  dir: string,
  specs: readonly string[],
  options: { dev?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const args = [
    'install',
    ...(options.dev ? ['--save-dev'] : []),
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    ...specs,
  ]
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      args,
      { cwd: dir, encoding: 'utf8', timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`npm ${args.join(' ')} in ${dir} failed: ${error.message}\n${stdout}\n${stderr}`))
        else resolve()
      },
    )
  })
}

/**
 * The `npm install` lines of a README's ```bash blocks, each as its words without the comment after `#`
 * (`{ specs: ['@vivr/adapter-express', '@vivr/core', 'express'], comment: '' }`), so a suite installs what the
 * README tells a user to install, and fails when a line it relies on is gone.
 */
export function readmeInstallLines(readme: string): Array<{ specs: string[]; comment: string }> {
  const text = readFileSync(join(REPO, readme), 'utf8')
  const lines: Array<{ specs: string[]; comment: string }> = []
  for (const [, block] of text.matchAll(/^```(?:bash|sh)\n([\s\S]*?)^```$/gm)) {
    for (const line of (block ?? '').split('\n')) {
      const match = /^npm (?:install|i) ([^#]*)(?:#\s*(.*))?$/.exec(line.trim())
      if (!match) continue
      const specs = (match[1] ?? '').split(/\s+/).filter((word) => word !== '' && !word.startsWith('-'))
      lines.push({ specs, comment: (match[2] ?? '').trim() })
    }
  }
  return lines
}
