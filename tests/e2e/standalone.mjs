// End to end: the built standalone page in the system chromium (headless), served by our dev
// server on a free loopback port, with every non-loopback request refused by chromium and recorded.
// Run by mail-more.test.mjs in its process and chromium (Chromium's default process isolation
// under LOOPBACK_ONLY, as here); alone: node --test tests/e2e/standalone.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { noteLeaving } from '../../scripts/lib/chromium.mjs';
import { RSA_2048, keptKeySync } from '../../scripts/lib/pki.mjs';
import { createDevServer, listen } from '../../scripts/serve.mjs';
import { ROOT, openssl, opensslFacts, sharedFile } from '../shared.mjs';
import { RESULTS, leaveBrowser, shoot, useBrowser } from './world.mjs';

let server, baseUrl, browser, context, page;
const blocked = [];
const consoleErrors = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'index.html')), 'dist/ is built (npm test builds it first)');
  server = createDevServer();
  baseUrl = await listen(server, { host: '127.0.0.1', port: 0 });
  // The process's chromium for worlds that keep Chromium's default process isolation: LOOPBACK_ONLY.
  browser = await useBrowser(true);
  context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  noteLeaving(context, blocked);
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  fs.mkdirSync(RESULTS, { recursive: true });
});

after(async () => {
  await context?.close();
  if (browser) await leaveBrowser(true);
  await new Promise((r) => (server ? server.close(r) : r()));
});

test('the standalone page loads the core in its worker and shows the version', async () => {
  const res = await page.goto(`${baseUrl}/`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'] ?? '', /script-src 'self' 'wasm-unsafe-eval'/);
  const version = page.locator('#core-version');
  await version.filter({ hasText: 'S/MIME engine version' }).waitFor({ timeout: 30_000 });
  const cargo = fs.readFileSync(path.join(ROOT, 'crate', 'Cargo.toml'), 'utf8');
  assert.equal(await version.textContent(), `S/MIME engine version ${cargo.match(/^version = "([^"]+)"/m)[1]}`);
});

/**
 * A certificate made now with openssl (PEM, and DER beside it), the project's own test data; its
 * RSA key is one kept between runs (as the test PKIs' are), the certificate is new.
 */
function makeCertificate(dir, cn, email) {
  const pem = path.join(dir, `${email}.pem`);
  const key = path.join(dir, `${email}.key`);
  keptKeySync(RSA_2048, key);
  openssl(['req', '-x509', '-new', '-key', key, '-subj', `/CN=${cn}`,
    '-days', '365', '-sha256', '-addext', `subjectAltName=email:${email}`, '-addext', 'keyUsage=digitalSignature,keyEncipherment', '-out', pem]);
  const der = path.join(dir, `${email}.cer`);
  openssl(['x509', '-in', pem, '-outform', 'DER', '-out', der]);
  return { pem, der };
}

test('a certificate chosen with the file input is summarised by the core', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-e2e-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { pem } = makeCertificate(dir, 'Alice Inspect', 'alice@example.com');
  const ref = opensslFacts(pem, 'PEM');

  await page.getByRole('tab', { name: 'Inspect' }).click();
  await page.getByLabel('Choose a certificate file (PEM or DER)').setInputFiles(pem);
  const card = page.locator('article.cert');
  await card.waitFor({ timeout: 30_000 });
  assert.equal(await card.locator('h3').textContent(), ref.commonName);
  assert.match(await card.locator('[data-field="subject"]').textContent(), new RegExp(ref.commonName));
  const emails = (await card.locator('[data-field="emails"] li').allTextContents()).map((s) => s.toLowerCase());
  assert.ok(emails.includes('alice@example.com'), `e-mails shown: ${emails}`);
  assert.equal(await card.locator('[data-field="sha256"]').textContent(), ref.sha256);
  assert.match(await card.locator('[data-field="key"]').textContent(), new RegExp(`RSA, ${ref.bits} bits`));
  await shoot(page, 'standalone-certificate');
});

test('a bad file shows the error message and hint, and the page keeps working', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-e2e-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bad = path.join(dir, 'notes.pem');
  fs.writeFileSync(bad, 'Meeting notes, not a certificate.\n');
  await page.getByRole('tab', { name: 'Inspect' }).click();
  await page.getByLabel('Choose a certificate file (PEM or DER)').setInputFiles(bad);
  const alert = page.getByRole('alert');
  await alert.waitFor({ timeout: 30_000 });
  assert.equal(await alert.getAttribute('data-code'), 'bad-certificate');
  assert.equal(await alert.locator('.error-message').textContent(), 'This file is not a certificate Cachet can read.');
  assert.match(await alert.locator('.error-hint').textContent(), /PEM or DER/);
  assert.equal(await page.locator('article.cert').count(), 0, 'the previous summary is gone');
  await shoot(page, 'standalone-error');

  // The worker survived: a good certificate right after works.
  const { pem } = makeCertificate(dir, 'After The Error', 'after@example.org');
  await page.getByLabel('Choose a certificate file (PEM or DER)').setInputFiles(pem);
  await page.locator('article.cert h3', { hasText: 'After The Error' }).waitFor({ timeout: 30_000 });
});

/** Drop a file on the page header and check the card against openssl's facts. */
async function dropAndCheck(file) {
  const ref = opensslFacts(file, 'DER');
  const dataTransfer = await page.evaluateHandle(({ name, b64 }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name));
    return dt;
  }, { name: path.basename(file), b64: fs.readFileSync(file).toString('base64') });
  await page.dispatchEvent('header', 'drop', { dataTransfer });
  const card = page.locator('article.cert', { hasText: ref.commonName });
  await card.waitFor({ timeout: 30_000 });
  assert.equal(await card.locator('[data-field="sha256"]').textContent(), ref.sha256);
  assert.deepEqual((await card.locator('[data-field="emails"] li').allTextContents()).map((s) => s.toLowerCase()), ref.emails.map((s) => s.toLowerCase()));
}

test('a DER certificate dropped on the page is summarised', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-e2e-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  await dropAndCheck(makeCertificate(dir, 'Dropped Der', 'dropped@example.net').der);
});

test('a DER certificate of the shared corpus (RFC 4134) dropped on the page is summarised', async (t) => {
  const file = sharedFile(t, 'corpus/rfc4134-examples/AliceRSASignByCarl.cer');
  if (!file) return;
  await dropAndCheck(file);
});

test('under LOOPBACK_ONLY a request for a host name or an IP literal fails and is noted; loopback works', async () => {
  // In a context of its own (its notes are its own): what the other end-to-end tests rely on
  // when they find their list of noted requests empty.
  const context = await browser.newContext();
  const noted = [];
  noteLeaving(context, noted);
  // Refused by chromium itself (its proxy that leads nowhere), not by whatever network is there.
  const failures = [];
  context.on('requestfailed', (r) => failures.push(`${r.url()} ${r.failure()?.errorText}`));
  const probe = await context.newPage();
  await probe.goto(`${baseUrl}/cachet-no-such-page`);
  const outside = ['https://example.com/', 'https://192.0.2.1/', 'http://[2001:db8::1]/'];
  const results = await probe.evaluate((urls) => Promise.all(urls.map((u) => fetch(u, { mode: 'no-cors' }).then(() => 'loaded', () => 'failed'))), [...outside, `${baseUrl}/index.html`]);
  assert.deepEqual(results, ['failed', 'failed', 'failed', 'loaded']);
  assert.deepEqual(noted, outside);
  assert.deepEqual(failures, outside.map((u) => `${u} net::ERR_PROXY_CONNECTION_FAILED`));
  await context.close();
});

test('no request left the machine and the page logged no errors', () => {
  assert.deepEqual(blocked, [], `blocked non-loopback requests: ${blocked.join(', ')}`);
  assert.deepEqual(consoleErrors, []);
});
