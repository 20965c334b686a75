// End to end in chromium (issue 19, discovery in Outlook): the built task pane with a fake
// Office.js (tests/office/fake-office.mjs), the dev mailbox as Graph (?graph=dev) and the dev
// server's fixture DNS-over-HTTPS resolver (scripts/devdns.mjs), which the pane uses with the
// dev mailbox. Compose: a recipient without a certificate is looked up once Encrypt is on, the
// DNSSEC-validated certificate is taken and the recipient is ready. Certificates: "Find
// certificates in my mail" lists Alice's S/MIME mail through Graph's message-class filter
// (paged), stores the valid signer (openssl-signed) and skips the tampered one. No request may
// leave the machine. Screenshots: test-results/outlook-discovery-*.jpg.
// Run by outlook.test.mjs in its process and chromium (one browser start for every Outlook
// file); alone: node --test tests/e2e/outlook-discovery.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makePki, openssl } from '../../scripts/lib/pki.mjs';
import { devMailRoutes } from '../../scripts/devmail.mjs';
import { devDnsRoutes } from '../../scripts/devdns.mjs';
import { ROOT } from '../shared.mjs';
import { outlookStage, outlookTab } from './outlook-world.mjs';
import { shoot } from './world.mjs';

const TIMEOUT = 30_000;
const zone = new Map();
const queries = [];
const blocked = [];
let stage, baseUrl, ctx, dir, mailRoot, pki;

const der = (pem) => Buffer.from(fs.readFileSync(pem, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'taskpane.html')), 'dist/ is built (npm test builds it first)');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-outlook-discovery-'));
  mailRoot = path.join(dir, 'mail');
  pki = await makePki(path.join(dir, 'pki'), { ca: { cn: 'Outlook Peers CA' }, password: null, people: [{ name: 'carol', email: 'carol@example.org' }, { name: 'henry', email: 'henry@example.org' }, { name: 'nina', email: 'nina@example.org' }] });
  zone.set('carol@example.org', { records: [{ usage: 3, selector: 0, matching: 0, data: der(pki.people.carol.pem) }], ad: true });
  zone.set('nina@example.org', { records: [{ usage: 3, selector: 0, matching: 0, data: der(pki.people.nina.pem) }], ad: true });
  stage = await outlookStage([...devDnsRoutes({ zone, queries }), ...devMailRoutes({ root: mailRoot })], blocked);
  baseUrl = stage.baseUrl;
  ctx = await stage.client();
});

after(async () => {
  await stage?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function taskpane(config) {
  const { page, errors } = await outlookTab(ctx, config, { timeout: TIMEOUT });
  await page.goto(`${baseUrl}/taskpane.html?graph=dev`);
  await page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
  return { page, errors };
}

function signedMail(who, email, subject, tamper = false) {
  const f = (n) => path.join(dir, `${subject.replace(/\W+/g, '-')}-${n}`);
  fs.writeFileSync(f('content.txt'), `Content-Type: text/plain; charset=us-ascii\r\n\r\n${subject}: hello Alice.\r\n`);
  openssl(['cms', '-sign', '-md', 'sha256', '-in', f('content.txt'), '-signer', who.pem, '-inkey', who.key, '-out', f('signed.eml')]);
  let body = fs.readFileSync(f('signed.eml'), 'latin1').replace(/\r?\n/g, '\r\n');
  if (tamper) body = body.replace('hello Alice', 'hello Alicf');
  return Buffer.from(`From: <${email}>\r\nTo: <alice@example.org>\r\nSubject: ${subject}\r\nDate: ${new Date().toUTCString()}\r\n${body}`, 'latin1');
}

test('Outlook compose: a recipient without a certificate is looked up in DNS once Encrypt is on, and taken', async () => {
  const { page, errors } = await taskpane({ mode: 'compose', user: { name: 'Alice', address: 'alice@example.org' }, to: [['Carol', 'carol@example.org']], subject: 'Plans', text: 'Hello' });
  const box = page.locator('[data-dns-for="carol@example.org"]');
  await box.getByRole('button', { name: 'Look for their certificate in DNS' }).waitFor();
  assert.deepEqual(queries, [], 'nothing asked while Encrypt is off');
  await page.getByLabel('Encrypt').check();
  await box.locator('[data-dns-trust="dnssec-validated"]').waitFor();
  assert.match(await box.textContent(), /127\.0\.0\.1:\d+ validated it with DNSSEC: carol, issued by CN=Outlook Peers CA/);
  await shoot(page, 'outlook-discovery-compose');
  await box.getByRole('button', { name: 'Use and trust this certificate' }).click();
  await page.locator('[data-recipient="carol@example.org"][data-status="ready"]').waitFor();
  assert.equal(queries.length, 1);
  assert.deepEqual(errors, []);
  assert.deepEqual(blocked, [], 'no request left the machine');
});

test('Outlook certificates: “Find certificates in my mail” goes through Graph’s S/MIME filter and stores only the valid signer', async () => {
  const deliver = (mime) => {
    const d = path.join(mailRoot, 'alice@example.org', 'inbox');
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, `${String(Date.now()).padStart(15, '0')}-${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}.eml`), mime);
  };
  const henry = pki.people.henry;
  deliver(signedMail(henry, 'henry@example.org', 'Henry signed'));
  await new Promise((r) => setTimeout(r, 5));
  deliver(signedMail(henry, 'henry@example.org', 'Henry tampered', true));
  await new Promise((r) => setTimeout(r, 5));
  deliver(Buffer.from('From: <plain@example.org>\r\nTo: <alice@example.org>\r\nSubject: Plain\r\n\r\nhi\r\n'));
  const { page, errors } = await taskpane({ mode: 'read', user: { name: 'Alice', address: 'alice@example.org' }, itemId: 'ews:none', file: Buffer.from('From: a@example.com\r\nSubject: Note\r\n\r\nhi\r\n').toString('base64') });
  await page.getByRole('tab', { name: 'Certificates' }).click();
  await page.getByLabel('Certificate file', { exact: true }).setInputFiles(pki.ca.pem);
  await page.getByRole('button', { name: 'Trust as root…' }).click();
  await page.getByRole('button', { name: 'Yes, trust as root' }).click();
  const graphCalls = [];
  const onRequest = (r) => { if (r.url().includes('/v1.0/me/mailFolders/')) graphCalls.push(decodeURIComponent(r.url())); };
  page.on('request', onRequest);
  await page.getByRole('button', { name: 'Find certificates in my mail' }).click();
  const done = page.locator('[data-field="harvest-done"]');
  await done.waitFor();
  page.off('request', onRequest);
  await shoot(page, 'outlook-discovery-harvest');
  assert.match(await done.textContent(), /^Checked 2 messages: 2 signed messages found, 1 certificate stored, 0 already known, 0 changed\./);
  assert.equal(await page.locator('[data-field="harvest-stored"] [data-address="henry@example.org"]').count(), 1);
  assert.match(await page.locator('[data-field="harvest-skipped"]').textContent(), /1 message: changed after signing — e\.g\. “Henry tampered” from henry@example\.org \(Inbox\)/);
  assert.ok(graphCalls.some((u) => /mailFolders\/inbox\/messages\?.*\$filter=singleValueExtendedProperties\/any\(ep: ep\/id eq 'String 0x001A' and ep\/value eq 'IPM\.Note\.SMIME\.MultipartSigned'\)/.test(u)), graphCalls.join('\n'));
  assert.ok(graphCalls.some((u) => u.includes('mailFolders/sentitems/messages')), 'Sent Items is searched too');
  assert.deepEqual(errors, []);
  assert.deepEqual(blocked, [], 'no request left the machine');
});

test('Outlook troubleshooter: “cannot encrypt” offers the DNS lookup and the mailbox search, and the DNS certificate makes the recipient ready', async () => {
  const { page, errors } = await taskpane({ mode: 'read', user: { name: 'Alice', address: 'alice@example.org' }, itemId: 'ews:none', file: Buffer.from('From: a@example.com\r\nSubject: Note\r\n\r\nhi\r\n').toString('base64') });
  await page.getByRole('tab', { name: 'Troubleshoot' }).click();
  const d = page.locator('[data-problem="cannot-encrypt"]');
  await d.locator('summary').click();
  await d.getByLabel('Their address').fill('nina@example.org');
  await d.getByRole('button', { name: 'Check' }).click();
  await d.locator('[data-field="encrypt-status"][data-status="missing"]').waitFor();
  assert.deepEqual(await d.locator('[data-finder]').evaluateAll((bs) => bs.map((b) => `${b.dataset.finder}: ${b.textContent}`)), ['dns: Look nina@example.org up in DNS', 'mail: Find certificates in my mail']);
  const before = queries.length;
  await d.getByRole('button', { name: 'Look nina@example.org up in DNS' }).click();
  const offer = d.locator('[data-dns-for="nina@example.org"]');
  await offer.locator('[data-dns-trust="dnssec-validated"]').waitFor();
  assert.equal(queries.length, before + 1);
  await offer.getByRole('button', { name: 'Use and trust this certificate' }).click();
  await d.locator('[data-field="encrypt-status"][data-status="ready"]').waitFor();
  await shoot(page, 'outlook-discovery-troubleshooter');
  assert.deepEqual(errors, []);
  assert.deepEqual(blocked, [], 'no request left the machine');
});
