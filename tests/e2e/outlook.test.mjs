// End to end in chromium: the built Outlook pages (function file and task pane) with a fake
// Office.js. Requests for Office.js on Microsoft's CDN are answered locally with the fake of
// tests/office/fake-office.mjs (bundled as a classic script): nothing is loaded from outside,
// every other non-loopback request is blocked and recorded. The function file's Sign/Encrypt
// commands and its OnMessageSend handler run in the real bundle under the real CSP.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { createDevServer, listen } from '../../scripts/serve.mjs';
import { devMailRoutes } from '../../scripts/devmail.mjs';
import { ROOT } from '../shared.mjs';

const CHROMIUM = process.env.CACHET_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RESULTS = path.join(ROOT, 'test-results');
const OFFICE_JS = 'https://appsforoffice.microsoft.com/lib/1/hosted/office.js';

let server, baseUrl, context, userDataDir, mailRoot, fakeOfficeJs;
const blocked = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'commands.html')), 'dist/ is built (npm test builds it first)');
  mailRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-e2e-mail-'));
  server = createDevServer({ routes: devMailRoutes({ root: mailRoot }) });
  baseUrl = await listen(server, { host: '127.0.0.1', port: 0 });
  const bundled = await build({ entryPoints: [path.join(ROOT, 'tests', 'office', 'fake-office.mjs')], bundle: true, format: 'iife', globalName: 'FakeOffice', write: false, logLevel: 'error' });
  // The page sets window.__fakeOffice = {mode, ...options} before Office.js loads (init script).
  fakeOfficeJs = `${bundled.outputFiles[0].text}
    (function () {
      var c = window.__fakeOffice || { mode: 'compose', user: { name: 'Alice', address: 'alice@example.org' } };
      var made = c.mode === 'read' ? FakeOffice.readOffice(c) : FakeOffice.composeOffice(c);
      window.Office = made.office;
      window.__fake = made;
    })();`;
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, ignoreAllDefaultArgs: true, args: FLAGS, viewport: { width: 420, height: 800 }, timeout: 60_000 });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === OFFICE_JS) return route.fulfill({ status: 200, contentType: 'text/javascript', body: fakeOfficeJs });
    const u = new URL(url);
    if (['127.0.0.1', 'localhost'].includes(u.hostname) || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  fs.mkdirSync(RESULTS, { recursive: true });
});

after(async () => {
  await context?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
  for (const d of [userDataDir, mailRoot]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

async function pageWith(config) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript((c) => { window.__fakeOffice = c; }, config);
  return { page, errors };
}

test('function file: Sign/Encrypt toggles and the OnMessageSend handler in the built bundle', async () => {
  const { page, errors } = await pageWith({ mode: 'compose', user: { name: 'Alice', address: 'alice@example.org' }, to: [['Bob', 'bob@example.org']] });
  const res = await page.goto(`${baseUrl}/commands.html`);
  assert.match(res.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval' https:\/\/appsforoffice\.microsoft\.com/);
  await page.waitForFunction(() => window.Office && Object.keys(window.Office.associated).length === 3, null, { timeout: 30_000 });
  const fire = (name) => page.evaluate((n) => new Promise((resolve) => window.Office.associated[n]({ completed: (o) => resolve(o ?? null) })), name);
  assert.deepEqual(await fire('onMessageSendHandler'), { allowEvent: true });
  await fire('cachetToggleSign');
  const blockedSend = await fire('onMessageSendHandler');
  assert.equal(blockedSend.allowEvent, false);
  assert.match(blockedSend.errorMessage, /signed/);
  assert.equal(blockedSend.commandId, 'Cachet.ComposeButton');
  const notice = await page.evaluate(() => window.__fake.notices.get('cachet-choice'));
  assert.match(notice.message, /will be signed/);
  await fire('cachetToggleSign');
  assert.deepEqual(await fire('onMessageSendHandler'), { allowEvent: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('task pane loads with the fake Office in compose and read mode, using the dev mailbox', async () => {
  for (const mode of ['compose', 'read']) {
    const { page, errors } = await pageWith({ mode, user: { name: 'Alice', address: 'alice@example.org' }, itemId: 'ews:none', file: 'RnJvbTogYUBiLmMNCg0KaGk=' });
    const res = await page.goto(`${baseUrl}/taskpane.html?graph=dev`);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-security-policy'], /connect-src 'self' https:\/\/graph\.microsoft\.com/);
    await page.locator('#app').locator(':scope > *').first().waitFor({ timeout: 30_000 });
    // The adapter saw the item: in read mode it offers the message (the foundation pane then
    // drops its "not available" notice); in compose mode reading is off.
    assert.equal(await page.locator('#app .notice').count(), mode === 'read' ? 0 : 1, mode);
    await page.screenshot({ path: path.join(RESULTS, `outlook-taskpane-${mode}.png`), fullPage: true });
    assert.deepEqual(errors, [], `${mode}: no page errors`);
    await page.close();
  }
  assert.deepEqual(blocked, [], 'no request left the machine');
});
