// What the Outlook end-to-end files share: the fake Office.js (tests/office/fake-office.mjs,
// bundled for the page) served in place of Microsoft's, and a Chromium whose contexts reach
// nothing but the dev server.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { LOOPBACK_ONLY, launchBrowser, noteLeaving } from '../../scripts/lib/chromium.mjs';
import { createDevServer, listen } from '../../scripts/serve.mjs';
import { ROOT } from '../shared.mjs';
import { PASSPHRASE, RESULTS } from './world.mjs';

export const OFFICE_JS = 'https://appsforoffice.microsoft.com/lib/1/hosted/office.js';

/**
 * The fake Office.js as one script. The page sets `window.__fakeOffice = {mode, ...options}`
 * (an init script) before it loads; without it, Alice is composing.
 */
export async function fakeOfficeScript() {
  return `${await fakeOfficeBundle()}
    (function () {
      var c = window.__fakeOffice || { mode: 'compose', user: { name: 'Alice', address: 'alice@example.org' } };
      var made = c.mode === 'read' ? FakeOffice.readOffice(c) : FakeOffice.composeOffice(c);
      window.Office = made.office;
      window.__fake = made;
    })();`;
}

/**
 * tests/office/fake-office.mjs bundled by esbuild as a classic script (global FakeOffice). The
 * bundle is kept in .cache/fake-office/ under a hash of that file (which imports nothing: a
 * bundle of more than that one file is not kept), esbuild's version and the options: the other
 * Outlook files of a test run, and later runs, take it from there without loading esbuild.
 */
async function fakeOfficeBundle() {
  const source = path.join(ROOT, 'tests', 'office', 'fake-office.mjs');
  const options = { bundle: true, format: 'iife', globalName: 'FakeOffice' };
  const { version } = JSON.parse(fs.readFileSync(createRequire(import.meta.url).resolve('esbuild/package.json'), 'utf8'));
  const key = crypto.createHash('sha256').update(JSON.stringify([version, options])).update(fs.readFileSync(source)).digest('hex').slice(0, 32);
  const kept = path.join(ROOT, '.cache', 'fake-office', `${key}.js`);
  if (fs.existsSync(kept)) return fs.readFileSync(kept, 'utf8');
  const { build } = await import('esbuild');
  const bundled = await build({ entryPoints: [source], ...options, write: false, metafile: true, logLevel: 'error' });
  const text = bundled.outputFiles[0].text;
  if (Object.keys(bundled.metafile.inputs).length === 1) {
    // Written whole under another name, then renamed: a file running at the same time reads either none or all of it.
    fs.mkdirSync(path.dirname(kept), { recursive: true });
    const partial = `${kept}.${process.pid}`;
    fs.writeFileSync(partial, text);
    fs.renameSync(partial, kept);
  }
  return text;
}

/** The chromium of this test process, see `outlookBrowser`, and the Office.js it answers with. */
let shared = null;

/**
 * A chromium that refuses every non-loopback request (LOOPBACK_ONLY) except Office.js, answered
 * with `officeJs` through the browser's own request interception (DevTools Fetch on the browser
 * target) for that one URL only: every other request goes its normal way, not through node.
 * One for the whole test process: outlook.test.mjs runs the other Outlook files' tests in its
 * process (outlook-keeping.mjs, outlook-drafts.mjs, outlook-discovery.mjs), each in contexts of
 * its own, so one browser start (about 0.6 s of CPU with its close) serves them all. Closing it
 * in an `after` hook is safe: those run once every test of the process is done.
 */
export function outlookBrowser(officeJs) {
  if (shared) {
    if (shared.officeJs !== officeJs) throw new Error('one Office.js per test process');
    return shared.browser;
  }
  shared = { officeJs, browser: launchOutlookBrowser(officeJs) };
  return shared.browser;
}

async function launchOutlookBrowser(officeJs) {
  const browser = await launchBrowser({ timeout: 60_000, args: LOOPBACK_ONLY });
  const cdp = await browser.newBrowserCDPSession();
  const body = Buffer.from(officeJs).toString('base64');
  cdp.on('Fetch.requestPaused', ({ requestId }) => {
    cdp.send('Fetch.fulfillRequest', { requestId, responseCode: 200, responseHeaders: [{ name: 'Content-Type', value: 'text/javascript' }], body })
      .catch(() => {}); // the page went away meanwhile
  });
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: OFFICE_JS, requestStage: 'Request' }] });
  return browser;
}

/**
 * What each Outlook end-to-end file starts from: the dev server over `routes` and the process's
 * Outlook chromium (`outlookBrowser`, with the fake Office.js). `client()` opens an Outlook client:
 * a browser context of its own (its own storage and IndexedDB), 420 px wide and `height` tall,
 * whose requests stay on the machine (the others are noted in `blocked`). `close()` stops the
 * browser and the server.
 */
export async function outlookStage(routes, blocked, { height = 900, acceptDownloads = false } = {}) {
  const server = createDevServer({ routes });
  const baseUrl = await listen(server, { host: '127.0.0.1', port: 0 });
  const browser = await outlookBrowser(await fakeOfficeScript());
  fs.mkdirSync(RESULTS, { recursive: true });
  return {
    baseUrl,
    async client() {
      const ctx = await browser.newContext({ viewport: { width: 420, height }, acceptDownloads });
      localOnly(ctx, blocked);
      return ctx;
    },
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Choose a tab of the task pane. */
export async function tab(page, label) {
  await page.getByRole('tab', { name: label }).click();
}

/** Unlock the identities of an Outlook client on a new page (they were imported earlier). */
export async function unlock(page) {
  await tab(page, 'Certificates');
  await page.getByLabel('Passphrase to unlock your certificates').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await page.locator('[data-lock="unlocked"]').waitFor();
}

/** Import a .p12 in the task pane's certificate panel (it is then unlocked). */
export async function importP12(page, file, password) {
  await tab(page, 'Certificates');
  await page.getByLabel('Certificate file with private key').setInputFiles(file);
  await page.getByLabel('File password').fill(password);
  await page.getByLabel('Passphrase for this device (at least 8 characters)').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.locator('[data-field="imported"]').waitFor();
}

/** Import a certificate file and press `action` on its card ("Trust as root…", "Store as contact"). */
export async function importCert(page, file, action) {
  await tab(page, 'Certificates');
  await page.getByLabel('Certificate file', { exact: true }).setInputFiles(file);
  await page.getByRole('button', { name: action }).click();
  // A root makes everything it issues trusted: the panel asks first.
  if (action === 'Trust as root…') await page.getByRole('button', { name: 'Yes, trust as root' }).click();
}

/** Note in `blocked` every request of `ctx` that would leave the machine (chromium refuses them; Office.js is answered inside it). */
export function localOnly(ctx, blocked) {
  noteLeaving(ctx, blocked, { served: [OFFICE_JS] });
}

/** The WCAG 2.2 A/AA and best-practice rules the Outlook panes are checked with. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/**
 * axe-core's serious and critical violations on the page as readable lines, the message frames
 * (iframe.content-frame: the sender's content, in frames that allow no script) left out. axe.run
 * in the page itself, as @axe-core/playwright's legacy mode does (the page has no frame to check
 * but the excluded ones), with only violations listed in full (resultTypes: axe still runs every
 * rule on every node). axe-core is evaluated in a page once, before its first check, not three or
 * more times a check (the page, again each frame, the page's configuration): about 0.2 instead of
 * 0.45 s of CPU a check. It is the package's own minified build for browsers (axe.min.js, 0.65
 * MB), read when first needed: importing the package would run its 1.5 MB in node (0.3 s of CPU).
 */
let axeSource;
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe?.run === 'function'))) {
    axeSource ??= fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    await page.evaluate(axeSource);
  }
  const r = await page.evaluate(({ context, options }) => window.axe.run(context, options), {
    context: { exclude: ['iframe.content-frame'] },
    options: { resultTypes: ['violations'], runOnly: { type: 'tag', values: AXE_TAGS } },
  });
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
}

/** The one tab of each Outlook client (browser context), see `outlookTab`. */
const tabs = new WeakMap();

/**
 * The tab of `ctx`, made ready for loading a page with the fake Office configured by `config`
 * (its init script, replacing the previous load's): the caller then goes to the page, which
 * loads anew, as when Outlook opens the add-in again. One tab per client, re-used from load to
 * load instead of a new one each time: the same storage and a new document (a new engine worker,
 * so nothing unlocked is kept), without starting another renderer process (about 0.2 s of CPU a
 * load). `errors` lists this load's page errors and console errors, except 404 answers (the dev
 * mailbox's "no such item", which the adapter handles) and those `ignore(text)` accepts.
 */
export async function outlookTab(ctx, config, { timeout = 30_000, ignore = () => false } = {}) {
  let tab = tabs.get(ctx);
  if (!tab) {
    const page = await ctx.newPage();
    page.setDefaultTimeout(timeout);
    tab = { page, script: null, errors: [], ignore };
    page.on('pageerror', (e) => tab.errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource: .* 404 \(Not Found\)$/.test(m.text()) && !tab.ignore(m.text())) tab.errors.push(m.text());
    });
    tabs.set(ctx, tab);
  }
  await tab.script?.dispose();
  tab.script = await tab.page.addInitScript((c) => { window.__fakeOffice = c; }, config);
  tab.errors = [];
  tab.ignore = ignore;
  return { page: tab.page, errors: tab.errors };
}
