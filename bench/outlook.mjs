// Time to status in the Outlook task pane: the built task pane (dist/) in headless Chromium
// with the fake Office.js of the end-to-end tests (tests/e2e/outlook-world.mjs), pinned, as a
// reader moves from message to message. Timed: from the selection (the fake mailbox changes its
// item and fires ItemChanged) to the banner with the new message's verdict, for a signed message
// of 2 KB and of 25 MB (the fixture's MIME entity signed by openssl as the demo Alice). Each
// round first selects a plain message and waits for its banner, so every timed selection starts
// from a settled pane.
// Also timed: from pressing "Send securely" in the compose task pane (Alice, Sign and Encrypt,
// to Bob, a short text and an attachment of the size) to the end of the request that hands the
// message to Microsoft Graph (POST /v1.0/me/sendMail, answered here by the dev mailbox), the
// moment the message has left the add-in, for the sizes Graph takes (a message of at most 3 MB,
// so 2 KB and 1 MB; larger ones are refused by the pane before anything is sent). Each round
// loads the pane anew, as Outlook does for each message composed, and unlocks the identity
// first (untimed). A benchmark, not a test: nothing is asserted about the times.
//
//   const r = await runOutlook({ fixtures, sizes, sendSizes, rounds, log })
//   -> { rows: [{ host, what, size, ms, samples, status, bytes }], notes }   (scripts/bench.mjs)
//
//   node bench/outlook.mjs [--rounds N] [--sizes 2KB,25MB] [--send-sizes 2KB,1MB]   prints the rows (dist/ built first)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { devMailRoutes } from '../scripts/devmail.mjs';
import { ensureDemo } from '../scripts/demo.mjs';
import { ROOT } from '../scripts/lib/run.mjs';
import { importCert, importP12, outlookStage, outlookTab, tab, unlock } from '../tests/e2e/outlook-world.mjs';
import { median, openssl } from './common.mjs';

/** The sizes whose Send is timed when the caller names none: those Graph takes (see the file comment). */
export const SEND_SIZES = ['2KB', '1MB'];

/** The host column of every row. */
const HOST = 'Outlook task pane (fake Office.js, Chromium)';

/** The banner statuses a selection ends in (anything but the plain message's). */
const PLAIN = 'unsigned';

/** `entity` (a MIME entity file) signed by `id` (demo identity) as a whole message, CRLF. */
function signedMessage(dir, entity, id, label) {
  const cert = path.join(dir, `${label}-cert.pem`);
  const key = path.join(dir, `${label}-key.pem`);
  openssl(['pkcs12', '-in', id.p12, '-passin', `pass:${id.password}`, '-nokeys', '-clcerts', '-out', cert]);
  openssl(['pkcs12', '-in', id.p12, '-passin', `pass:${id.password}`, '-nocerts', '-nodes', '-out', key]);
  const out = path.join(dir, `${label}-signed.eml`);
  openssl(['cms', '-sign', '-binary', '-crlfeol', '-in', entity, '-signer', cert, '-inkey', key, '-md', 'sha256', '-out', out]);
  const head = `From: ${id.name ?? 'Alice'} <${id.address}>\r\nTo: Bob <bob@example.net>\r\nSubject: ${label}\r\nDate: Sun, 6 Dec 2026 00:00:00 +0000\r\nMIME-Version: 1.0\r\n`;
  const body = fs.readFileSync(out).toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^MIME-Version: 1\.0\r\n/m, '');
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body, 'latin1')]);
}

/** Run the Outlook task-pane timings; see the file comment. */
export async function runOutlook({ fixtures, sizes = ['2KB', '25MB'], sendSizes = SEND_SIZES, rounds = 3, log = () => {} }) {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'taskpane.html'))) throw new Error('dist/taskpane.html is missing: run "npm run build" first');
  const want = sizes.filter((s) => fixtures.sizes[s]);
  const sends = sendSizes.filter((s) => fixtures.sizes[s]);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-bench-outlook-'));
  let stage = null;
  try {
    const demo = ensureDemo(work);
    const alice = demo.identities.find((i) => i.address === 'alice@example.org');
    const messages = Object.fromEntries(want.map((size) => [size, signedMessage(work, fixtures.sizes[size].entity, alice, `signed-${size}`)]));
    const plain = Buffer.from('From: Carol <carol@example.com>\r\nSubject: Plain\r\n\r\nnot signed\r\n').toString('base64');
    // The end-to-end tests' Outlook stage: the dev server over the dev mailbox, and a Chromium
    // that answers Office.js's URL with the fake Office.js; a client context 420 px wide.
    const blocked = [];
    stage = await outlookStage(devMailRoutes({ root: work }), blocked, { height: 800 });
    const base = stage.baseUrl;
    const ctx = await stage.client();
    const page = await ctx.newPage();
    page.setDefaultTimeout(120_000);
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.addInitScript((c) => { window.__fakeOffice = c; }, { mode: 'read', user: { name: 'Bob', address: 'bob@example.net' }, itemId: 'ews:0', file: plain });
    await page.goto(`${base}/taskpane.html?graph=dev`);
    await page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
    await page.locator(`#status-banner[data-status="${PLAIN}"]`).waitFor();
    // The messages' base64 (what getAsFileAsync gives) kept in the page, untimed.
    for (const [size, bytes] of Object.entries(messages)) {
      await page.evaluate(([s, b64]) => { (window.__bench ??= {})[s] = b64; }, [size, bytes.toString('base64')]);
    }
    /** In the page: select, then resolve when the banner shows a status other than `from`. */
    const timed = (size, itemId) => page.evaluate(([s, id, from]) => new Promise((resolve, reject) => {
      const t0 = performance.now();
      const done = () => {
        const b = document.querySelector('#status-banner');
        const st = b?.getAttribute('data-status');
        if (b && st && st !== from) {
          observer.disconnect();
          resolve({ ms: performance.now() - t0, status: st });
          return true;
        }
        return false;
      };
      const observer = new MutationObserver(done);
      observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
      setTimeout(() => { observer.disconnect(); reject(new Error(`no banner after 300 s for ${s}`)); }, 300_000);
      window.__fake.select({ itemId: id, file: window.__bench[s] });
    }), [size, itemId, PLAIN]);
    const samples = Object.fromEntries(want.map((s) => [s, []]));
    const statuses = {};
    let n = 1;
    for (let r = 0; r <= rounds; r++) {
      for (const size of want) {
        log(`outlook task pane: ${size} ${r === 0 ? 'warm-up' : `round ${r}/${rounds}`}`);
        await page.evaluate(([id, f]) => window.__fake.select({ itemId: id, file: f }), [`ews:p${n++}`, plain]);
        await page.locator(`#status-banner[data-status="${PLAIN}"]`).waitFor();
        const res = await timed(size, `ews:s${n++}`);
        statuses[size] = res.status;
        if (r > 0) samples[size].push(res.ms);
      }
    }
    if (errors.length) throw new Error(`the task pane reported errors: ${errors.join('; ')}`);
    if (blocked.length) throw new Error(`the task pane tried to reach ${blocked.join(', ')}`);
    const rows = want.map((size) => ({
      host: HOST, what: 'selection to banner', size, ms: median(samples[size]), samples: samples[size], status: statuses[size], bytes: messages[size].length,
    }));
    if (sends.length > 0) rows.push(...(await timeSends({ stage, demo, work, fixtures, sizes: sends, rounds, log, blocked })));
    const notes = [`Outlook task pane: the built task pane (dist/) in headless Chromium with the fake Office.js of the end-to-end tests, pinned, no identity unlocked; from the selection (item changed, ItemChanged fired; getAsFileAsync answers at once with the message's base64) to the banner with the signed message's verdict, in the page (performance.now() and a MutationObserver); each round selects a plain message first and waits for its banner; one warm-up round, then the median of ${rounds}. The signed messages are the fixtures' MIME entities signed by openssl as the demo Alice (whom the pane does not trust: the verdict is the status shown). Send to the message leaving (${sends.join(', ') || 'no size'}): from the click on "Send securely" in the compose task pane (the demo Alice, her identity unlocked, Sign and Encrypt, to the demo Bob, whose certificate she keeps as a contact; a short text and the fixture message of the size as an attachment) to the end of the POST /v1.0/me/sendMail that hands the built message to Microsoft Graph (answered by the dev mailbox on loopback, which stores it), in the page (performance.now() at the click, the request's responseEnd from Resource Timing); the pane is loaded anew and unlocked for each round (untimed), one warm-up round, then the median of ${rounds}; message bytes: the MIME message Graph received. Graph takes requests of at most 4 MB (a message of about 3 MB, base64-encoded), so larger messages cannot be sent from an Outlook add-in and are not timed.`];
    return { rows, notes };
  } finally {
    if (stage) await stage.close().catch(() => {});
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Send timings (see the file comment): Alice's client imports the demo CA as root, her
 * identity and Bob's certificate once; then, per round and size, a fresh load of the compose
 * pane, unlocked, Sign and Encrypt on, and the timed click.
 */
async function timeSends({ stage, demo, work, fixtures, sizes, rounds, log, blocked }) {
  const alice = demo.identities.find((i) => i.address === 'alice@example.org');
  const bob = demo.identities.find((i) => i.address === 'bob@example.net');
  const bobCert = path.join(work, 'bob-cert.pem');
  openssl(['pkcs12', '-in', bob.p12, '-passin', `pass:${bob.password}`, '-nokeys', '-clcerts', '-out', bobCert]);
  const ctx = await stage.client();
  const config = (size) => ({
    mode: 'compose', user: { name: 'Alice DEMO', address: alice.address }, to: [['Bob DEMO', bob.address]], subject: `Send ${size}`, text: 'Hello Bob,\nthe file is attached.\n',
    attachments: size ? [{ name: `data-${size}.eml`, content: fs.readFileSync(fixtures.sizes[size].msg).toString('base64') }] : [],
  });
  const load = async (size) => {
    const t = await outlookTab(ctx, config(size), { timeout: 120_000 });
    await t.page.goto(`${stage.baseUrl}/taskpane.html?graph=dev`);
    await t.page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
    return t;
  };
  const first = await load(null);
  await importCert(first.page, demo.ca, 'Trust as root…');
  await first.page.locator('[data-anchor^="Cachet DEMO CA"]').waitFor();
  await importP12(first.page, alice.p12, alice.password);
  await importCert(first.page, bobCert, 'Store as contact');
  await first.page.locator(`[data-contact="${bob.address}"]`).waitFor();
  const samples = Object.fromEntries(sizes.map((s) => [s, []]));
  const bytes = {};
  for (let r = 0; r <= rounds; r++) {
    for (const size of sizes) {
      log(`outlook task pane: send ${size} ${r === 0 ? 'warm-up' : `round ${r}/${rounds}`}`);
      const { page, errors } = await load(size);
      await unlock(page);
      await tab(page, 'Send securely');
      await page.locator(`[data-recipient="${bob.address}"][data-status="ready"]`).waitFor();
      await page.getByLabel('Sign').check();
      await page.getByLabel('Encrypt').check();
      const send = page.getByRole('button', { name: 'Send securely' });
      await send.waitFor();
      const graphSend = page.waitForRequest((q) => q.url().endsWith('/v1.0/me/sendMail') && q.method() === 'POST', { timeout: 120_000 });
      await page.evaluate(() => {
        performance.clearResourceTimings();
        // The next click in the page is the one on Send (the tab of the same name is already chosen).
        document.addEventListener('click', () => { window.__sendClicked = performance.now(); }, { capture: true, once: true });
      });
      await send.click();
      const request = await graphSend;
      await page.locator('[data-field="sent"]').waitFor({ timeout: 120_000 });
      const ms = await page.evaluate(() => {
        const e = performance.getEntriesByType('resource').filter((x) => x.name.endsWith('/v1.0/me/sendMail')).pop();
        return e ? e.responseEnd - window.__sendClicked : null;
      });
      if (ms === null) throw new Error(`no sendMail request in the page's resource timings (${size})`);
      // The request body is the message in base64 (Graph's MIME form).
      bytes[size] = Buffer.from(request.postData() ?? '', 'base64').length;
      if (errors.length) throw new Error(`the compose pane reported errors: ${errors.join('; ')}`);
      if (r > 0) samples[size].push(ms);
    }
  }
  if (blocked.length) throw new Error(`the task pane tried to reach ${blocked.join(', ')}`);
  await ctx.close();
  return sizes.map((size) => ({
    host: HOST, what: 'Send to the message handed to Graph', size, ms: median(samples[size]), samples: samples[size], status: 'sent (signed and encrypted)', bytes: bytes[size],
  }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name, dflt) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : dflt);
  const sizes = arg('--sizes', '2KB,25MB').split(',');
  const sendSizes = arg('--send-sizes', SEND_SIZES.join(',')).split(',').filter(Boolean);
  const { makeFixtures } = await import('./fixtures.mjs');
  const fixtures = await makeFixtures(path.join(ROOT, '.cache', 'bench', 'fixtures'), { sizes: [...new Set([...sizes, ...sendSizes])], log: console.log });
  const r = await runOutlook({ fixtures, sizes, sendSizes, rounds: Number(arg('--rounds', '3')), log: console.log });
  for (const row of r.rows) console.log(`${row.host}: ${row.what} ${row.size} (${row.bytes} bytes, ${row.status}): ${row.ms.toFixed(1)} ms (${row.samples.map((x) => x.toFixed(0)).join(', ')})`);
}
