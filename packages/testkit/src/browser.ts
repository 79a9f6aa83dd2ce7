import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'

/** Flags that let Debian's Chromium run headless as root on a machine with no outside network. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/**
 * Launches the system Chromium (`CHROMIUM_PATH`, else /usr/bin/chromium) through playwright-core, which never
 * downloads a browser of its own.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: install Debian's 'chromium' package or set CHROMIUM_PATH`,
    )
  }
  const { chromium } = await import('playwright-core')
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS] })
}
