/**
 * Headless Chromium for tests that look at rendered pages: where the browser is, whether it is
 * installed, and one launch with flags that keep it off the network. Tests that need it skip on
 * a developer machine without Chromium, but fail in CI (where `CI` is set), because there a
 * missing browser means the pipeline is broken, not that the check is optional.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** The system Chromium (Debian's package); playwright-core ships no browser of its own. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** What to run when Chromium is missing. */
export const CHROMIUM_INSTALL_COMMAND = 'apt-get update && apt-get install -y chromium';

/**
 * Flags: headless without a sandbox (containers run as root), no GPU, and none of Chrome's own
 * background traffic (updates, sync, QUIC probes), so a test page is the only thing that loads.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** A launch should take a second or two; a minute means the browser is wedged. */
export const CHROMIUM_LAUNCH_TIMEOUT_MS = 60_000;

/** True when the Chromium binary is present. */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * How a browser test should treat this machine: run, skip (no Chromium, not CI), or fail
 * (no Chromium in CI) with a message that names the install command.
 */
export function chromiumPlan(): { run: true } | { run: false; fail: boolean; reason: string } {
  if (chromiumAvailable()) return { run: true };
  const reason = `Chromium not found at ${CHROMIUM_PATH}; install it with: ${CHROMIUM_INSTALL_COMMAND}`;
  return { run: false, fail: Boolean(process.env.CI), reason };
}

/** Launches headless Chromium; the caller closes it. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS],
    timeout: CHROMIUM_LAUNCH_TIMEOUT_MS,
  });
}
