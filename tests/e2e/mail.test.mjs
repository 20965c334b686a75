// End to end (issue 5): two people, Alice and Bob, each in their own chromium profile (own
// IndexedDB), on the standalone page over the dev mailbox, with demo identities made by
// openssl at test time. Messages are checked on disk and with openssl as the peer.
// Screenshots of every screen go to test-results/mail-*.png.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { devMailRoutes } from '../../scripts/devmail.mjs';
import { ensureDemo, issueIdentity } from '../../scripts/demo.mjs';
import { createDevServer, listen } from '../../scripts/serve.mjs';
import { ROOT, openssl } from '../shared.mjs';

const CHROMIUM = process.env.CACHET_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RESULTS = path.join(ROOT, 'test-results');
const TIMEOUT = 20_000;
const PASSPHRASE = 'correct horse battery';

let server, baseUrl, demo, mailRoot, tmp;
const people = {};
const blocked = [];
let shot = 0;

function isLoopback(url) {
  const u = new URL(url);
  if (['data:', 'blob:', 'about:'].includes(u.protocol)) return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

async function person(name, address) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cachet-${name}-`));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, ignoreAllDefaultArgs: true, args: FLAGS, viewport: { width: 1000, height: 1000 }, timeout: TIMEOUT, acceptDownloads: true,
  });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${baseUrl}/`);
  await page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
  await page.getByLabel('Mailbox (dev mailbox on this server)').fill(address);
  await page.getByRole('button', { name: 'Open mailbox' }).click();
  await page.locator('#who', { hasText: address }).waitFor();
  return { name, address, dir, context, page, errors };
}

async function screenshot(p, what) {
  shot += 1;
  await p.page.screenshot({ path: path.join(RESULTS, `mail-${String(shot).padStart(2, '0')}-${p.name}-${what}.png`), fullPage: true });
}

async function tab(p, label) {
  await p.page.getByRole('tab', { name: label }).click();
}

async function importP12(p, file, password) {
  await tab(p, 'Certificates');
  await p.page.getByLabel('Certificate file with private key').setInputFiles(file);
  await p.page.getByLabel('File password').fill(password);
  await p.page.getByLabel('Passphrase for this device (at least 8 characters)').fill(PASSPHRASE);
  await p.page.getByRole('button', { name: 'Import', exact: true }).click();
  await p.page.locator('[data-field="imported"]').waitFor();
}

async function trustDemoCa(p) {
  await tab(p, 'Certificates');
  await p.page.getByLabel('Certificate file', { exact: true }).setInputFiles(demo.ca);
  await p.page.getByRole('button', { name: 'Trust as root' }).click();
  await p.page.locator('[data-anchor^="Cachet DEMO CA"]').waitFor();
}

async function send(p, { to, subject, text }) {
  await tab(p, 'Compose');
  if (to !== undefined) await p.page.getByLabel('To', { exact: true }).fill(to);
  if (subject !== undefined) await p.page.getByLabel('Subject', { exact: true }).fill(subject);
  if (text !== undefined) await p.page.getByLabel('Message text').fill(text);
  await p.page.getByRole('button', { name: 'Send securely' }).click();
}

/** Open the newest message of a folder whose subject is `subject`; returns the banner's status. */
async function open(p, folder, subject) {
  await tab(p, 'Mail');
  await p.page.getByLabel('Folder').selectOption(folder);
  await p.page.getByRole('button', { name: 'Refresh' }).click();
  await p.page.locator('button.message', { hasText: subject }).first().click();
  const banner = p.page.locator('#status-banner');
  const failed = p.page.locator('#read-body > [role="alert"]');
  await banner.or(failed).waitFor();
  if (await failed.count()) assert.fail(`the read pane shows an error: ${await failed.textContent()}`);
  // Let the content frames render before anyone looks (or takes a screenshot).
  const frames = p.page.locator('iframe.content-frame');
  for (let i = 0; i < (await frames.count()); i++) await frames.nth(i).contentFrame().locator('body > *').first().waitFor();
  return banner.getAttribute('data-status');
}

/** Undo quoted-printable soft line breaks (enough to search the text). */
function qp(text) {
  return text.replace(/=\r?\n/g, '');
}

function files(address, folder) {
  const dir = path.join(mailRoot, address, folder);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().map((f) => path.join(dir, f)) : [];
}

function newestWith(address, folder, needle) {
  const f = files(address, folder).reverse().find((x) => fs.readFileSync(x, 'latin1').includes(needle));
  assert.ok(f, `a message containing ${needle} in ${address}/${folder}`);
  return f;
}

/** Put a copy of a message into a mailbox folder under a fresh id (as a server would store it). */
function deliverCopy(address, folder, mime) {
  const id = `${String(Date.now()).padStart(15, '0')}-${crypto.randomBytes(6).toString('hex')}`;
  fs.mkdirSync(path.join(mailRoot, address, folder), { recursive: true });
  fs.writeFileSync(path.join(mailRoot, address, folder, `${id}.eml`), mime);
}

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'index.html')), 'dist/ is built (npm test builds it first)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-mail-e2e-'));
  mailRoot = path.join(tmp, 'mailbox');
  demo = ensureDemo(mailRoot);
  server = createDevServer({ routes: devMailRoutes({ root: mailRoot }) });
  baseUrl = await listen(server, { host: '127.0.0.1', port: 0 });
  fs.mkdirSync(RESULTS, { recursive: true });
  people.alice = await person('alice', 'alice@example.org');
  people.bob = await person('bob', 'bob@example.net');
});

after(async () => {
  for (const p of Object.values(people)) {
    await p.context?.close();
    fs.rmSync(p.dir, { recursive: true, force: true });
  }
  await new Promise((r) => (server ? server.close(r) : r()));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const id = (address) => demo.identities.find((i) => i.address === address);

test('Alice and Bob import their .p12 and trust the demo CA', async () => {
  for (const p of [people.alice, people.bob]) {
    await screenshot(p, 'empty-mailbox');
    await importP12(p, id(p.address).p12, id(p.address).password);
    await trustDemoCa(p);
    const card = p.page.locator(`[data-identity="${p.address}"]`);
    await card.waitFor();
    assert.equal(await card.locator('[data-expiry]').getAttribute('data-expiry'), 'valid');
    await screenshot(p, 'certificates');
  }
});

test('nothing secret is kept in localStorage, and the stored key is encrypted', async () => {
  const p = people.alice;
  assert.equal(await p.page.evaluate(() => localStorage.length), 0);
  const stored = await p.page.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.open('cachet');
    r.onsuccess = () => {
      const q = r.result.transaction('identities').objectStore('identities').getAll();
      q.onsuccess = () => resolve(q.result.map((x) => Array.from(x.backup)));
      q.onerror = () => reject(q.error);
    };
    r.onerror = () => reject(r.error);
  }));
  assert.equal(stored.length, 1);
  const file = path.join(tmp, 'stored.p12');
  fs.writeFileSync(file, Buffer.from(stored[0]));
  // The stored backup opens with the passphrase only (openssl as the reference), not with the file's password.
  assert.match(openssl(['pkcs12', '-in', file, '-passin', `pass:${PASSPHRASE}`, '-nokeys', '-clcerts']), /alice@example.org/);
  assert.throws(() => openssl(['pkcs12', '-in', file, '-passin', `pass:${id(p.address).password}`, '-nokeys']));
});

test('a wrong passphrase is refused and counted; the right one unlocks', async () => {
  const p = people.alice;
  await tab(p, 'Certificates');
  await p.page.getByRole('button', { name: 'Lock now' }).click();
  await p.page.locator('[data-lock="locked"]').waitFor();
  await p.page.getByLabel('Passphrase to unlock your certificates').fill('not the passphrase');
  await p.page.getByRole('button', { name: 'Unlock', exact: true }).click();
  const alert = p.page.getByRole('alert');
  await alert.waitFor();
  assert.equal(await alert.getAttribute('data-code'), 'wrong-password');
  await screenshot(p, 'unlock-wrong');
  await p.page.getByLabel('Passphrase to unlock your certificates').fill(PASSPHRASE);
  await p.page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await p.page.locator('[data-lock="unlocked"]').waitFor();
});

test('Alice sends a signed mail; openssl verifies it; Bob opens it as valid and stores her certificate', async () => {
  const a = people.alice;
  const b = people.bob;
  await tab(a, 'Compose');
  assert.equal(await a.page.getByLabel('Sign').isChecked(), true, 'Sign is on once an identity exists');
  await a.page.getByLabel('To', { exact: true }).fill('bob@example.net');
  await a.page.locator('[data-recipient="bob@example.net"]').waitFor();
  assert.equal(await a.page.locator('[data-recipient="bob@example.net"]').getAttribute('data-status'), 'missing');
  await screenshot(a, 'compose');
  await send(a, { subject: 'Signed hello', text: 'Hello Bob,\nthis is signed.\n' });
  await a.page.locator('[data-field="sent"]').waitFor();
  await screenshot(a, 'sent');

  const onDisk = newestWith('bob@example.net', 'inbox', 'Signed hello');
  assert.match(fs.readFileSync(onDisk, 'latin1'), /Content-Type: multipart\/signed;[\s\S]*protocol="application\/pkcs7-signature"/);
  const verified = qp(openssl(['smime', '-verify', '-in', onDisk, '-CAfile', demo.ca]));
  assert.match(verified, /this is signed\./);
  assert.equal(files('alice@example.org', 'sentitems').length, 1, 'a copy is in Alice’s Sent Items');

  assert.equal(await open(b, 'inbox', 'Signed hello'), 'valid');
  await b.page.locator('[data-field="cert-stored"]').waitFor();
  assert.match(await b.page.locator('.banner-title').textContent(), /Signed by Alice DEMO <alice@example.org>/);
  assert.equal(await b.page.locator('.part.signed').count(), 1, 'the covered part is marked as signed');
  const frame = b.page.locator('iframe.content-frame');
  assert.equal(await frame.getAttribute('sandbox'), '');
  assert.match(await frame.contentFrame().locator('body').textContent(), /this is signed\./);
  await b.page.locator('#status-banner summary').click();
  assert.match(await b.page.locator('[data-field="issuer"]').first().textContent(), /Cachet DEMO CA/);
  await screenshot(b, 'read-valid');
  await tab(b, 'Certificates');
  await b.page.locator('[data-contact="alice@example.org"]').waitFor();
  await screenshot(b, 'contact-stored');
});

test('Bob replies signed; Alice opens it as valid and stores his certificate', async () => {
  const a = people.alice;
  const b = people.bob;
  await tab(b, 'Mail');
  await b.page.getByRole('button', { name: 'Reply' }).click();
  assert.match(await b.page.getByLabel('To', { exact: true }).inputValue(), /alice@example\.org/);
  assert.match(await b.page.getByLabel('Subject', { exact: true }).inputValue(), /^Re: Signed hello$/);
  await b.page.locator('[data-recipient="alice@example.org"][data-status="ready"]').waitFor();
  await screenshot(b, 'reply');
  await send(b, { text: 'Hello Alice,\nreceived, thanks.\n' });
  await b.page.locator('[data-field="sent"]').waitFor();

  assert.equal(await open(a, 'inbox', 'Re: Signed hello'), 'valid');
  await a.page.locator('[data-field="cert-stored"]').waitFor();
  await screenshot(a, 'read-reply');
});

test('Alice’s Sent copy opens as valid for her', async () => {
  const a = people.alice;
  assert.equal(await open(a, 'sentitems', 'Signed hello'), 'valid');
  await screenshot(a, 'read-sent');
});

test('Alice sends signed+encrypted; Bob decrypts and sees valid; openssl cms decrypts it; Alice’s Sent copy decrypts for her', async () => {
  const a = people.alice;
  const b = people.bob;
  await tab(a, 'Compose');
  await a.page.getByLabel('To', { exact: true }).fill('bob@example.net');
  await a.page.locator('[data-recipient="bob@example.net"][data-status="ready"]').waitFor();
  await a.page.getByLabel('Encrypt').check();
  await screenshot(a, 'compose-encrypted');
  await send(a, { subject: 'Encrypted hello', text: 'Hello Bob,\nthis one is secret.\n' });
  await a.page.locator('[data-field="sent"]', { hasText: 'signed and encrypted' }).waitFor();

  const onDisk = newestWith('bob@example.net', 'inbox', 'Encrypted hello');
  const raw = fs.readFileSync(onDisk, 'latin1');
  assert.match(raw, /Content-Type: application\/pkcs7-mime;[^\r\n]*(enveloped-data|authEnveloped-data)/i);
  assert.ok(!raw.includes('this one is secret'), 'the text is not readable on disk');
  // OpenSSL decrypts it with Bob's key, and the content inside verifies with the demo CA.
  const key = path.join(tmp, 'bob-key.pem');
  openssl(['pkcs12', '-in', id('bob@example.net').p12, '-passin', `pass:${id('bob@example.net').password}`, '-nocerts', '-nodes', '-out', key]);
  const inner = path.join(tmp, 'inner.eml');
  openssl(['cms', '-decrypt', '-in', onDisk, '-inkey', key, '-out', inner]);
  assert.match(qp(openssl(['smime', '-verify', '-in', inner, '-CAfile', demo.ca])), /this one is secret\./);

  assert.equal(await open(b, 'inbox', 'Encrypted hello'), 'valid');
  assert.match(await b.page.locator('iframe.content-frame').contentFrame().locator('body').textContent(), /this one is secret\./);
  await b.page.locator('#status-banner summary').click();
  assert.match(await b.page.locator('[data-field="cipher"]').textContent(), /aes/i);
  await screenshot(b, 'read-encrypted');

  assert.equal(await open(a, 'sentitems', 'Encrypted hello'), 'valid');
  assert.match(await a.page.locator('iframe.content-frame').contentFrame().locator('body').textContent(), /this one is secret\./);
  await screenshot(a, 'read-sent-encrypted');
});

test('encrypting to an address without a certificate is refused with the request-mail offer; the draft is kept', async () => {
  const a = people.alice;
  await tab(a, 'Compose');
  await a.page.getByLabel('To', { exact: true }).fill('bob@example.net, carol@example.com');
  await a.page.locator('[data-recipient="carol@example.com"][data-status="missing"]').waitFor();
  await a.page.getByLabel('Encrypt').check();
  await send(a, { subject: 'For Bob and Carol', text: 'Draft text that must survive.\n' });
  const refusal = a.page.locator('[data-code="send-refused"]');
  await refusal.waitFor();
  const blockers = await refusal.locator('[data-field="blockers"] li').allTextContents();
  assert.equal(blockers.length, 1, `exactly one blocker: ${blockers}`);
  assert.match(blockers[0], /carol@example\.com: missing/);
  assert.equal(await a.page.getByLabel('Message text').inputValue(), 'Draft text that must survive.\n');
  await screenshot(a, 'refused');
  await refusal.getByRole('button', { name: 'Send carol@example.com a request for their certificate' }).click();
  await a.page.locator('[data-field="request-sent"]').waitFor();
  assert.equal(await a.page.getByLabel('Message text').inputValue(), 'Draft text that must survive.\n');
  const req = newestWith('carol@example.com', 'inbox', 'exchange certificates');
  assert.match(qp(openssl(['smime', '-verify', '-in', req, '-CAfile', demo.ca])), /Please reply with a signed message/);
  await a.page.getByLabel('Encrypt').uncheck();
  await a.page.getByLabel('To', { exact: true }).fill('');
  await a.page.getByLabel('Message text').fill('');
});

test('a message tampered on disk shows tampered', async () => {
  const b = people.bob;
  const mime = fs.readFileSync(newestWith('bob@example.net', 'inbox', 'Signed hello'), 'latin1');
  assert.ok(mime.includes('this is signed.'));
  deliverCopy('bob@example.net', 'inbox', Buffer.from(mime.replace('Signed hello', 'Tampered copy').replace('this is signed.', 'this is signet.'), 'latin1'));
  assert.equal(await open(b, 'inbox', 'Tampered copy'), 'tampered');
  assert.equal(await b.page.locator('.part.signed').count(), 0, 'nothing is marked as signed');
  assert.equal(await b.page.locator('[data-diagnosis="changed"]').count(), 1);
  await screenshot(b, 'read-tampered');
});

test('a disclaimer appended by a server shows the diagnosis with its text', async () => {
  const b = people.bob;
  const mime = fs.readFileSync(newestWith('bob@example.net', 'inbox', 'Signed hello'), 'latin1');
  const disclaimer = 'This e-mail is confidential. Example Corp.';
  deliverCopy('bob@example.net', 'inbox', Buffer.from(mime.replace('Signed hello', 'Disclaimer copy').replace('this is signed.\r\n', `this is signed.\r\n\r\n-- \r\n${disclaimer}\r\n`), 'latin1'));
  assert.equal(await open(b, 'inbox', 'Disclaimer copy'), 'tampered');
  const d = b.page.locator('[data-diagnosis="appended-text"]');
  await d.waitFor();
  assert.match(await d.locator('[data-field="appended-text"]').textContent(), new RegExp(disclaimer));
  await screenshot(b, 'read-disclaimer');
});

test('a renewed certificate: Bob imports it, the old one is kept, Alice is asked to accept the change', async () => {
  const a = people.alice;
  const b = people.bob;
  const password = 'renewed-password';
  const p12 = issueIdentity(demo.dir, { address: 'bob@example.net', name: 'Bob DEMO renewed', password, days: 700, file: 'bob-renewed.p12' });
  await importP12(b, p12, password);
  await b.page.locator('[data-identity="bob@example.net"]', { hasText: 'kept for decryption' }).waitFor();
  await screenshot(b, 'renewed');
  await b.page.getByRole('button', { name: 'Send the announcement mail to my contacts' }).click();
  await b.page.getByText('Announcement sent to 1 contact.').waitFor();

  assert.equal(await open(a, 'inbox', 'My e-mail certificate has been renewed'), 'valid');
  const changed = a.page.locator('[data-field="cert-changed"]');
  await changed.waitFor();
  assert.match(await changed.locator('[data-field="new-cert"]').textContent(), /Cachet DEMO CA/);
  await screenshot(a, 'cert-changed');
  await changed.getByRole('button', { name: 'Accept the new certificate' }).click();
  await a.page.locator('[data-field="cert-stored"]').waitFor();
  await tab(a, 'Certificates');
  assert.match(await a.page.locator('[data-contact="bob@example.net"]').textContent(), /1 earlier certificate kept/);
});

test('a backup exported by Alice re-imports in a fresh profile and opens her old mail', async () => {
  const a = people.alice;
  await tab(a, 'Certificates');
  await a.page.getByLabel('Password for the backup file (at least 8 characters)').fill('backup-password');
  const [download] = await Promise.all([a.page.waitForEvent('download'), a.page.getByRole('button', { name: 'Export backup' }).click()]);
  const file = path.join(tmp, 'alice-backup.p12');
  await download.saveAs(file);
  await a.page.locator('[data-field="backup-saved"]').waitFor();
  // OpenSSL reads the backup (interoperability).
  assert.match(openssl(['pkcs12', '-in', file, '-passin', 'pass:backup-password', '-nokeys', '-clcerts']), /alice@example.org/);

  people.alice2 = await person('alice-fresh', 'alice@example.org');
  const f = people.alice2;
  assert.equal(await open(f, 'sentitems', 'Encrypted hello'), 'no-key');
  assert.ok((await f.page.locator('[data-field="recipients"] li').count()) >= 2, 'the certificates it was encrypted for are listed');
  await screenshot(f, 'no-key');
  await importP12(f, file, 'backup-password');
  await trustDemoCa(f);
  await screenshot(f, 'restored');
  assert.equal(await open(f, 'sentitems', 'Signed hello'), 'valid');
  assert.equal(await open(f, 'sentitems', 'Encrypted hello'), 'valid', 'her old encrypted mail decrypts with the restored key');
  assert.match(await f.page.locator('iframe.content-frame').contentFrame().locator('body').textContent(), /this one is secret\./);
  await send(f, { to: 'bob@example.net', subject: 'From the restored backup', text: 'Still me.\n' });
  await f.page.locator('[data-field="sent"]').waitFor();
  assert.match(openssl(['smime', '-verify', '-in', newestWith('bob@example.net', 'inbox', 'From the restored backup'), '-CAfile', demo.ca]), /Still me\./);
});

test('the pages are usable at 320 px', async () => {
  const b = people.bob;
  await b.page.setViewportSize({ width: 320, height: 900 });
  await open(b, 'inbox', 'Signed hello');
  const overflow = await b.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `no horizontal scrolling at 320 px (overflow ${overflow}px)`);
  await screenshot(b, 'narrow-read');
  await tab(b, 'Compose');
  await screenshot(b, 'narrow-compose');
});

test('no request left the machine and the pages logged no errors', () => {
  assert.deepEqual(blocked, [], `blocked non-loopback requests: ${blocked.join(', ')}`);
  for (const p of Object.values(people)) assert.deepEqual(p.errors, [], `${p.name}: console errors`);
});
