// The world of an end-to-end test: the dev server over a fresh dev mailbox in a temp dir, the
// demo CA and identities (openssl, at test time), and people, each in their own context of one
// chromium (own storage and IndexedDB, as separate profiles) on the standalone page, with the UI
// steps they take. No request may leave the machine (Chromium refuses them, the world notes them
// in `blocked`); screenshots go to test-results/<prefix>-NN-<person>-<what>.jpg.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_BODY, devMailRoutes } from '../../scripts/devmail.mjs';
import { devDnsRoutes } from '../../scripts/devdns.mjs';
import { ensureDemo } from '../../scripts/demo.mjs';
import { LOOPBACK_ONLY, launchBrowser, noteLeaving } from '../../scripts/lib/chromium.mjs';
import { createDevServer, listen } from '../../scripts/serve.mjs';
import { ROOT } from '../shared.mjs';

export const RESULTS = path.join(ROOT, 'test-results');
export const TIMEOUT = 20_000;
export const PASSPHRASE = 'correct horse battery';

/**
 * Chromium puts every sandboxed frame without allow-same-origin in a renderer process of its own
 * (its IsolateSandboxedIframes feature): each message the read pane shows (a sandbox="" frame)
 * then starts a process, which Playwright attaches to as well, about 0.1 s of CPU per message
 * opened. A world made with `frameProcesses: false` (the default) keeps the frames in their
 * page's process. What a page and its frames can do is the same either way (the frame's opaque
 * origin, no script, the CSP; the tests check those); what differs is which thread draws the
 * message: in the page's process it is the page's main thread, so a world whose tests measure
 * that thread while a message is drawn (mail-more's 25 MB message: a 60-90 ms longest stall with
 * the frame in its own process, 460-500 ms in the page's) keeps Chromium's default.
 */
const IN_PROCESS_SANDBOXED_FRAMES = '--disable-features=IsolateSandboxedIframes';

/**
 * The chromium of this test process for each kind of world (`frameProcesses` true or false), with
 * the number of open worlds using it: a test file that runs other files' tests in its process
 * (as modules it imports) starts one chromium for all of their worlds, not one each (a browser
 * start and close, about 0.45 s of CPU). Each world still has its own contexts (people), dev
 * server and mailbox. The last world to close closes the browser.
 */
const browsers = new Map();

/**
 * The process's chromium (a promise of it) for worlds with or without `frameProcesses`, counted
 * as used until `leaveBrowser(frameProcesses)`. With `frameProcesses` it is Chromium's default
 * process isolation under LOOPBACK_ONLY.
 */
export function useBrowser(frameProcesses) {
  let b = browsers.get(frameProcesses);
  if (!b) {
    // Chromium refuses every non-loopback request itself; each one is noted in `blocked`.
    // Message frames in the page's process unless the world keeps Chromium's default (see above).
    const args = frameProcesses ? LOOPBACK_ONLY : [...LOOPBACK_ONLY, IN_PROCESS_SANDBOXED_FRAMES];
    b = { users: 0, browser: launchBrowser({ timeout: TIMEOUT, args }) };
    browsers.set(frameProcesses, b);
  }
  b.users += 1;
  return b.browser;
}

/** Done with the process's chromium of `useBrowser(frameProcesses)`: the last user closes it. */
export async function leaveBrowser(frameProcesses) {
  const b = browsers.get(frameProcesses);
  b.users -= 1;
  if (b.users > 0) return;
  browsers.delete(frameProcesses);
  await (await b.browser).close();
}

/** The DevTools session of each page that `shoot` has taken a screenshot of. */
const shooting = new WeakMap();

/**
 * A screenshot of the whole page (beyond the viewport too) as test-results/<name>.jpg: JPEG at
 * quality 80, which Chromium encodes in about two thirds of the CPU time of a PNG (0.07 against
 * 0.1 s for a 1000 x 1800 page, 0.16 against 0.24 s for a 6000 px tall one). Taken with the
 * DevTools call Playwright's full-page screenshot ends in (same clip, same bytes, message frames
 * included), without its preparation: a script run in every frame before and after, to hide the
 * text caret (a focused field may now show it, as on screen), and a wait for web fonts, which
 * these pages do not load (0.074 against 0.084 s of CPU a shot, on a 1000 x 1632 page).
 */
export async function shoot(page, name) {
  let cdp = shooting.get(page);
  if (!cdp) shooting.set(page, (cdp = await page.context().newCDPSession(page)));
  const { cssContentSize: size, cssLayoutViewport: view } = await cdp.send('Page.getLayoutMetrics');
  const width = Math.ceil(size.width);
  const height = Math.ceil(size.height);
  // A page that fits the viewport is the viewport: shot without a clip, the same bytes for about
  // 0.012 s less CPU (a third of these shots).
  const beyond = width > view.clientWidth || height > view.clientHeight;
  const { data } = await cdp.send('Page.captureScreenshot', beyond
    ? { format: 'jpeg', quality: 80, clip: { x: 0, y: 0, width, height, scale: 1 }, captureBeyondViewport: true }
    : { format: 'jpeg', quality: 80 });
  fs.writeFileSync(path.join(RESULTS, `${name}.jpg`), Buffer.from(data, 'base64'));
}

/** The stored backups (PKCS#12 bytes) of the identities in the page's IndexedDB, as arrays. */
export function storedBackups(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.open('cachet');
    r.onsuccess = () => {
      const q = r.result.transaction('identities').objectStore('identities').getAll();
      q.onsuccess = () => resolve(q.result.map((x) => Array.from(x.backup)));
      q.onerror = () => reject(q.error);
    };
    r.onerror = () => reject(r.error);
  }));
}

/** Undo quoted-printable soft line breaks (enough to search the text). */
export function qp(text) {
  return text.replace(/=\r?\n/g, '');
}

export async function createWorld(prefix, { dnsZone = new Map(), dnsQueries = null, frameProcesses = false } = {}) {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'index.html')), 'dist/ is built (npm test builds it first)');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `cachet-${prefix}-e2e-`));
  const mailRoot = path.join(tmp, 'mailbox');
  const demo = ensureDemo(mailRoot, { keptKeys: true });
  // The standalone page sends messages of up to 25 MB: its dev mailbox takes them (Graph would not).
  // Its DNS-over-HTTPS resolver answers from `dnsZone` only (NXDOMAIN for everything else).
  const server = createDevServer({ routes: [...devDnsRoutes({ zone: dnsZone, queries: dnsQueries }), ...devMailRoutes({ root: mailRoot, maxRequest: MAX_BODY })] });
  const baseUrl = await listen(server, { host: '127.0.0.1', port: 0 });
  fs.mkdirSync(RESULTS, { recursive: true });
  const people = {};
  const blocked = [];
  let shot = 0;
  /** The process's chromium for this kind of world (a promise of it), taken with the first person. */
  let browser = null;

  const w = {
    tmp, mailRoot, demo, baseUrl, people, blocked,
    id: (address) => demo.identities.find((i) => i.address === address),

    /**
     * A person on the standalone page, in a browser context of their own (nothing stored is
     * shared with another person). `testHooks`: the page gets `__cachetTestHooks` before it
     * loads (the core client's test-only methods, see protocol.ts). Every page records CSP
     * violations in `window.__cspViolations`.
     */
    async person(name, address, { testHooks = false } = {}) {
      browser ??= useBrowser(frameProcesses);
      const context = await (await browser).newContext({ viewport: { width: 1000, height: 1000 }, acceptDownloads: true });
      await context.addInitScript((hooks) => {
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
        if (hooks) window.__cachetTestHooks = true;
      }, testHooks);
      noteLeaving(context, blocked);
      const page = await context.newPage();
      page.setDefaultTimeout(TIMEOUT);
      const errors = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`${baseUrl}/`);
      await page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
      await page.getByLabel('Mailbox (dev mailbox on this server)').fill(address);
      await page.getByRole('button', { name: 'Open mailbox' }).click();
      await page.locator('#who', { hasText: address }).waitFor();
      people[name] = { name, address, context, page, errors };
      return people[name];
    },

    async screenshot(p, what) {
      shot += 1;
      await shoot(p.page, `${prefix}-${String(shot).padStart(2, '0')}-${p.name}-${what}`);
    },

    async tab(p, label) {
      await p.page.getByRole('tab', { name: label }).click();
    },

    async importP12(p, file, password) {
      await w.tab(p, 'Certificates');
      await p.page.getByLabel('Certificate file with private key').setInputFiles(file);
      await p.page.getByLabel('File password').fill(password);
      await p.page.getByLabel('Passphrase for this device (at least 8 characters)').fill(PASSPHRASE);
      await p.page.getByRole('button', { name: 'Import', exact: true }).click();
      await p.page.locator('[data-field="imported"]').waitFor();
    },

    async trustDemoCa(p) {
      await w.tab(p, 'Certificates');
      await p.page.getByLabel('Certificate file', { exact: true }).setInputFiles(demo.ca);
      await p.page.getByRole('button', { name: 'Trust as root…' }).click();
      // A root makes everything it issues trusted: the panel asks first.
      await p.page.getByRole('button', { name: 'Yes, trust as root' }).click();
      await p.page.locator('[data-anchor^="Cachet DEMO CA"]').waitFor();
    },

    /** Import a certificate file (.pem) and store it as a contact through the Certificates tab. */
    async storeContact(p, pem) {
      await w.tab(p, 'Certificates');
      await p.page.getByLabel('Certificate file', { exact: true }).setInputFiles(pem);
      await p.page.getByRole('button', { name: 'Store as contact' }).click();
      await p.page.getByText(/^Stored for /).waitFor();
    },

    async send(p, { to, subject, text }) {
      await w.tab(p, 'Compose');
      if (to !== undefined) await p.page.getByLabel('To', { exact: true }).fill(to);
      if (subject !== undefined) await p.page.getByLabel('Subject', { exact: true }).fill(subject);
      if (text !== undefined) await p.page.getByLabel('Message text').fill(text);
      if (to !== undefined) await w.recipientsShown(p, to);
      await p.page.getByRole('button', { name: 'Send securely' }).click();
    },

    /**
     * Wait until the compose pane lists each address of `to` (comma-separated) with its
     * status. The list is filled 200 ms after the last key in To (in a box of fixed height, so
     * nothing below it moves); what Send and Encrypt do depends on those states.
     */
    async recipientsShown(p, to) {
      for (const a of to.split(',').map((s) => s.trim()).filter(Boolean)) {
        await p.page.locator(`[data-recipient="${a}"]`).first().waitFor();
      }
    },

    /**
     * Wait for the compose pane's "Sent" line. On a timeout, fail with what the pane shows
     * instead (a refusal and its reasons, an error, or still "Sending…"), so that a failure
     * says where the send stopped.
     */
    async sent(p) {
      try {
        await p.page.locator('[data-field="sent"]').waitFor();
      } catch (e) {
        const shown = await p.page.locator('.compose-result').allInnerTexts().then((t) => t.join(' | ')).catch(() => '(the compose result could not be read)');
        throw new Error(`No "Sent" line within ${TIMEOUT / 1000} s; the compose pane shows: ${JSON.stringify(shown)}`, { cause: e });
      }
    },

    /**
     * Click the newest message of a folder whose subject is `subject` (the read pane starts
     * working), from a list loaded now: by choosing the folder when another one is shown (the
     * choice loads its list), else by Refresh. One list load, not two: Playwright's selectOption
     * fires the change event even for the folder already chosen, so choosing it and then clicking
     * Refresh loaded the same list twice.
     */
    async click(p, folder, subject) {
      await w.tab(p, 'Mail');
      const folders = p.page.getByLabel('Folder');
      if ((await folders.inputValue()) !== folder) await folders.selectOption(folder);
      else await p.page.getByRole('button', { name: 'Refresh' }).click();
      await p.page.locator('button.message', { hasText: subject }).first().click();
    },

    /** Wait for the read pane's result; returns the banner's status. */
    async opened(p) {
      const banner = p.page.locator('#status-banner');
      const failed = p.page.locator('#read-body > [role="alert"]');
      await banner.or(failed).waitFor();
      if (await failed.count()) assert.fail(`the read pane shows an error: ${await failed.textContent()}`);
      const frames = p.page.locator('iframe.content-frame');
      for (let i = 0; i < (await frames.count()); i++) await frames.nth(i).contentFrame().locator('body > *').first().waitFor();
      return banner.getAttribute('data-status');
    },

    /** Open the newest message of a folder whose subject is `subject`; returns the banner's status. */
    async open(p, folder, subject) {
      await w.click(p, folder, subject);
      return w.opened(p);
    },

    files(address, folder) {
      const dir = path.join(mailRoot, address, folder);
      return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().map((f) => path.join(dir, f)) : [];
    },

    newestWith(address, folder, needle) {
      const f = w.files(address, folder).reverse().find((x) => fs.readFileSync(x, 'latin1').includes(needle));
      assert.ok(f, `a message containing ${needle} in ${address}/${folder}`);
      return f;
    },

    /** Put a message into a mailbox folder under a fresh id (as a server would store it). */
    deliver(address, folder, mime) {
      const id = `${String(Date.now()).padStart(15, '0')}-${crypto.randomBytes(6).toString('hex')}`;
      fs.mkdirSync(path.join(mailRoot, address, folder), { recursive: true });
      fs.writeFileSync(path.join(mailRoot, address, folder, `${id}.eml`), mime);
    },

    async close() {
      for (const p of Object.values(people)) await p.context?.close();
      if (browser) await leaveBrowser(frameProcesses);
      await new Promise((r) => server.close(r));
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  return w;
}
