// Launching Debian's Chromium through playwright-core, the one way the end-to-end tests and the
// benchmark do it: the system binary (env CACHET_CHROMIUM overrides) and these flags, either as
// one browser whose contexts (browser.newContext(), each with its own storage: cookies,
// IndexedDB, cache) stand for separate people or Outlook clients, or with a profile
// (user-data-dir) of the caller's choosing, normally a fresh temp dir.
import { createRequire } from 'node:module';

// Loaded with require: the same package through its CommonJS entry, which Node loads in about
// 0.35 instead of 0.55 s of CPU (as an ES module import, Node first scans its 3.6 MB bundle for
// named exports); every end-to-end test file pays this once.
const { chromium } = createRequire(import.meta.url)('playwright-core');

export const CHROMIUM = process.env.CACHET_CHROMIUM ?? '/usr/bin/chromium';

/**
 * These flags, after Playwright's own defaults (automation, headless and background-work switches,
 * the user-data-dir and the pipe it talks over), which it always adds.
 */
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Flags (for `args`) under which Chromium itself refuses every request that would leave the
 * machine: everything but loopback goes through a proxy on a loopback port nothing listens on
 * (Chromium never sends loopback through a proxy, and fails the rest with
 * ERR_PROXY_CONNECTION_FAILED), and every host name but localhost resolves to nothing, for what
 * does not use the proxy. Unlike a Playwright route on every request, nothing is paused and
 * handed to the test process (the 1.8 MB Wasm, 25 MB mailbox uploads) and the browser's cache
 * stays on; `noteLeaving` records what was attempted.
 */
export const LOOPBACK_ONLY = ['--proxy-server=http://127.0.0.1:9',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'];

/** Whether a request URL stays on the machine (loopback, or data:, blob:, about:). */
export function isLoopback(url) {
  const u = new URL(url);
  if (['data:', 'blob:', 'about:'].includes(u.protocol)) return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

/**
 * Note in `list` the URL of every request of `context` (its pages, frames and workers) that is
 * not for loopback, except the URLs in `served` (answered inside the browser, see the Outlook
 * tests' Office.js). A passive listener: under LOOPBACK_ONLY Chromium fails these requests itself.
 */
export function noteLeaving(context, list, { served = [] } = {}) {
  context.on('request', (r) => {
    const url = r.url();
    if (!isLoopback(url) && !served.includes(url)) list.push(url);
  });
}

/**
 * A browser on a profile of Playwright's (a temp dir it removes on close), for separate contexts:
 * `browser.newContext({ viewport, acceptDownloads, ... })`, each isolated from the others as
 * separate profiles are, without a browser process of its own. `options` go to Playwright's
 * launch (timeout, ...); `args` are added after FLAGS.
 */
export function launchBrowser({ args = [], ...options } = {}) {
  return chromium.launch({ executablePath: CHROMIUM, args: [...FLAGS, ...args], ...options });
}

/**
 * A persistent browser context on `userDataDir`, for what must see the profile itself (the
 * benchmark reads its renderers' memory by profile). `options` go to Playwright's
 * launchPersistentContext (viewport, timeout, ...); `args` are added after FLAGS.
 */
export function launchChromium(userDataDir, { args = [], ...options } = {}) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, args: [...FLAGS, ...args], ...options,
  });
}
