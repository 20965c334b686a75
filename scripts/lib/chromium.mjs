// Launching Debian's Chromium through playwright-core, the one way the end-to-end tests and the
// benchmark do it: the system binary (env CACHET_CHROMIUM overrides), exactly these flags, and a
// profile (user-data-dir) of the caller's choosing, normally a fresh temp dir.
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CACHET_CHROMIUM ?? '/usr/bin/chromium';

/** Exactly these flags; Playwright itself adds only --user-data-dir and the pipe it talks over. */
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * A persistent browser context on `userDataDir`. `options` go to Playwright's
 * launchPersistentContext (viewport, timeout, ...); `args` are added after FLAGS.
 */
export function launchChromium(userDataDir, { args = [], ...options } = {}) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, ignoreAllDefaultArgs: true, args: [...FLAGS, ...args], ...options,
  });
}
