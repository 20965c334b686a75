// End to end (issue 19, keeping certificates working) on the standalone page: Alice's signed
// footer travels inside the signature (openssl verifies it); the key-exchange tracker (request,
// remind, cancel; ready once Bob's signed reply is opened); the troubleshooter (what a server
// appended, who cannot read my mail, which key old mail needs); expiry reminders with the page's
// clock set by the test (30 then 14 days before the end, each once); the guided renewal (new
// .p12 imported, the old key kept and still decrypting old mail, the signed announcement).
// Screenshots go to test-results/keeping-*.jpg.
// Run by mail.test.mjs in its process and chromium (one browser start for the standalone
// worlds); alone: node --test tests/e2e/keeping.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { issueIdentity } from '../../scripts/demo.mjs';
import { openssl } from '../shared.mjs';
import { PASSPHRASE, createWorld, qp } from './world.mjs';

const FOOTER = 'Example GmbH, Berlin HRB 12345\nPhone +49 30 1234';
const DAY = 86_400_000;
let w;

before(async () => {
  w = await createWorld('keeping');
  await w.person('alice', 'alice@example.org');
  await w.person('bob', 'bob@example.net');
  for (const p of [w.people.alice, w.people.bob]) {
    await w.importP12(p, w.id(p.address).p12, w.id(p.address).password);
    await w.trustDemoCa(p);
  }
});

after(async () => {
  await w?.close();
});

/** The settings record `key` of a person's IndexedDB (what the page keeps). */
function settingsRecord(p, key) {
  return p.page.evaluate((k) => new Promise((resolve, reject) => {
    const r = indexedDB.open('cachet');
    r.onsuccess = () => {
      const q = r.result.transaction('settings').objectStore('settings').get(k);
      q.onsuccess = () => resolve(q.result?.value ?? null);
      q.onerror = () => reject(q.error);
    };
    r.onerror = () => reject(r.error);
  }), key);
}

/** Open a troubleshooter problem and return its locator. */
async function problem(p, id) {
  await w.tab(p, 'Troubleshoot');
  const d = p.page.locator(`[data-problem="${id}"]`);
  if ((await d.getAttribute('open')) === null) await d.locator('summary').click();
  return d;
}

test('the footer saved for an identity is inside the signed part (openssl verifies it)', async () => {
  const a = w.people.alice;
  await w.tab(a, 'Upkeep');
  const form = a.page.locator('[data-footer="alice@example.org"]');
  await form.getByLabel('Footer for mail from alice@example.org').fill(FOOTER);
  await form.getByRole('button', { name: 'Save footer' }).click();
  await form.locator('[data-field="footer-saved"]').waitFor();
  await w.screenshot(a, 'footer-saved');
  await w.send(a, { to: 'bob@example.net', subject: 'Footer hello', text: 'Hello Bob,\nsee you.' });
  await w.sent(a);
  const onDisk = w.newestWith('bob@example.net', 'inbox', 'Footer hello');
  // openssl checks the signature against the demo CA and gives the signed content: the footer is in it.
  const signed = qp(openssl(['smime', '-verify', '-in', onDisk, '-CAfile', w.demo.ca]));
  assert.match(signed, /see you\.\r?\n\r?\n--( |=20)\r?\nExample GmbH, Berlin HRB 12345\r?\nPhone \+49 30 1234/);
  assert.equal(await w.open(w.people.bob, 'inbox', 'Footer hello'), 'valid');
});

test('the troubleshooter shows what a server appended to a signed message', async () => {
  const a = w.people.alice;
  const mime = fs.readFileSync(w.newestWith('bob@example.net', 'inbox', 'Footer hello'), 'latin1');
  const disclaimer = 'CONFIDENTIAL: this e-mail is for the addressee only.';
  const tampered = mime.replace('Phone +49 30 1234\r\n', `Phone +49 30 1234\r\n\r\n${disclaimer}\r\n`);
  assert.notEqual(tampered, mime);
  const file = path.join(w.tmp, 'received-copy.eml');
  fs.writeFileSync(file, Buffer.from(tampered, 'latin1'));
  const d = await problem(a, 'signature-invalid');
  await d.getByLabel('A copy of the message as the recipient received it (.eml, or paste it)').setInputFiles(file);
  const appended = d.locator('[data-field="appended-text"]');
  await appended.waitFor();
  assert.match(await appended.textContent(), /CONFIDENTIAL: this e-mail is for the addressee only\./);
  assert.equal(await d.locator('[data-status]').first().getAttribute('data-status'), 'tampered');
  await d.locator('[data-field="gateway-advice"]').waitFor();
  await w.screenshot(a, 'troubleshoot-appended');
  // Pasted instead of opened as a file (line breaks as a text field gives them): the same diagnosis.
  await d.locator('[data-field="result"]').evaluate((n) => n.replaceChildren());
  await d.getByLabel('Or paste its source').fill(tampered.replace(/\r\n/g, '\n'));
  await d.getByRole('button', { name: 'Check the pasted message' }).click();
  await appended.waitFor();
  assert.match(await appended.textContent(), /CONFIDENTIAL/);
});

test('key exchange: request from the troubleshooter, remind, ready when the signed reply is opened; cancel', async () => {
  const a = w.people.alice;
  const b = w.people.bob;
  // Alice has no certificate of Bob's: the troubleshooter says so and sends the request.
  const d = await problem(a, 'cannot-encrypt');
  await d.getByLabel('Their address').fill('bob@example.net');
  await d.getByRole('button', { name: 'Check' }).click();
  await d.locator('[data-status="missing"]').waitFor();
  // The standalone host has DNS lookups and a mailbox: both finders are offered beside the request.
  await d.locator('[data-finder="dns"]', { hasText: 'Look bob@example.net up in DNS' }).waitFor();
  await d.locator('[data-finder="mail"]', { hasText: 'Find certificates in my mail' }).waitFor();
  assert.equal(await d.getByText(/not part of this version/).count(), 0);
  // This world's resolver knows no SMIMEA record: it says so, and Bob is still missing.
  await d.locator('[data-finder="dns"]').click();
  await d.locator('[data-dns-for="bob@example.net"] [data-dns="not-found"]').waitFor();
  await d.getByRole('button', { name: 'Send bob@example.net a request for their certificate' }).click();
  await d.locator('[data-field="request-sent"]').waitFor();
  await w.screenshot(a, 'troubleshoot-request');
  await w.tab(a, 'Upkeep');
  const card = a.page.locator('[data-exchange="bob@example.net"]');
  assert.equal(await card.getAttribute('data-state'), 'pending');
  await card.getByRole('button', { name: 'Remind' }).click();
  await card.getByText(/reminded 1 time/).waitFor();
  assert.equal(w.files('bob@example.net', 'inbox').filter((f) => fs.readFileSync(f, 'latin1').includes("Let's exchange certificates")).length, 2, 'the request and the reminder arrived');
  // Another request, cancelled: it leaves the list.
  const d2 = await problem(a, 'cannot-encrypt');
  await d2.getByLabel('Their address').fill('carol@example.com');
  await d2.getByRole('button', { name: 'Check' }).click();
  await d2.getByRole('button', { name: 'Send carol@example.com a request for their certificate' }).click();
  await d2.locator('[data-field="request-sent"]').waitFor();
  await w.tab(a, 'Upkeep');
  await a.page.locator('[data-exchange="carol@example.com"] >> role=button[name="Cancel"]').click();
  await a.page.locator('[data-exchange="carol@example.com"]').waitFor({ state: 'detached' });
  assert.equal((await settingsRecord(a, 'exchanges')).find((e) => e.address === 'carol@example.com').state, 'cancelled');
  await w.screenshot(a, 'exchanges-pending');
  // The compose pane's "Ask for their certificate" is tracked the same way.
  await w.tab(a, 'Compose');
  await a.page.getByLabel('To', { exact: true }).fill('dave@example.com');
  await a.page.locator('[data-recipient="dave@example.com"][data-status="missing"]').getByRole('button', { name: 'Ask for their certificate' }).click();
  await a.page.locator('form.compose [data-field="request-sent"]').waitFor();
  await a.page.getByLabel('To', { exact: true }).fill('');
  await w.tab(a, 'Upkeep');
  assert.equal(await a.page.locator('[data-exchange="dave@example.com"]').getAttribute('data-state'), 'pending');

  // Bob reads the request (valid: he stores Alice's certificate) and replies signed.
  assert.equal(await w.open(b, 'inbox', "Let's exchange certificates"), 'valid');
  await b.page.getByRole('button', { name: 'Reply', exact: true }).click();
  await b.page.getByLabel('Message text').fill('Here is my signed reply.');
  await b.page.getByRole('button', { name: 'Send securely' }).click();
  await w.sent(b);
  // Alice opens the reply: the exchange is ready, with a notification.
  assert.equal(await w.open(a, 'inbox', "Re: Let's exchange certificates"), 'valid');
  await a.page.locator('[data-field="exchange-ready"]').waitFor({ state: 'attached' });
  await w.tab(a, 'Upkeep');
  assert.match(await a.page.locator('[data-field="exchange-ready"]').textContent(), /bob@example\.net replied with a signed message/);
  assert.equal(await a.page.locator('[data-exchange="bob@example.net"]').getAttribute('data-state'), 'ready');
  await w.screenshot(a, 'exchange-ready');
});

test('reminders 30 and 14 days before the end (clock set by the test), then the guided renewal keeps the old key and announces the new one', async () => {
  const a = w.people.alice;
  const b = w.people.bob;
  // Bob writes Alice an encrypted message now: to her current (soon old) certificate.
  await w.tab(b, 'Compose');
  // The recipients' states fill a box of fixed height: the controls below it stay where they
  // were (a click aimed at Encrypt or Send must not land elsewhere when the list fills).
  const places = () => Promise.all([b.page.getByLabel('Subject', { exact: true }), b.page.getByLabel('Encrypt'), b.page.getByRole('button', { name: 'Send securely' })].map((l) => l.boundingBox()));
  const placed = await places();
  await b.page.getByLabel('To', { exact: true }).fill('alice@example.org, carol@example.net, dave@example.net');
  await w.recipientsShown(b, 'alice@example.org, carol@example.net, dave@example.net');
  assert.deepEqual(await places(), placed, 'Subject, Encrypt and Send stay where they were when the recipient list fills');
  await b.page.getByLabel('To', { exact: true }).fill('alice@example.org');
  await b.page.getByLabel('Subject', { exact: true }).fill('Old secret encrypted');
  await b.page.getByLabel('Message text').fill('encrypted to your first certificate');
  await w.recipientsShown(b, 'alice@example.org');
  await b.page.locator('[data-recipient="carol@example.net"]').waitFor({ state: 'detached' });
  await b.page.getByLabel('Encrypt').check();
  await b.page.getByRole('button', { name: 'Send securely' }).click();
  await w.sent(b);
  // Header protection (RFC 9788): outside, the Subject of encrypted mail is "[...]".
  // The pane may still show an earlier "sent" note: wait for the message itself.
  for (let i = 0; i < 100 && !w.files('alice@example.org', 'inbox').some((f) => fs.readFileSync(f, 'latin1').includes('Subject: [...]')); i++) await new Promise((r) => setTimeout(r, 100));
  const oldMail = w.newestWith('alice@example.org', 'inbox', 'Subject: [...]');

  const oldPem = path.join(w.tmp, 'alice-old.pem');
  openssl(['pkcs12', '-in', w.id('alice@example.org').p12, '-passin', `pass:${w.id('alice@example.org').password}`, '-nokeys', '-clcerts', '-out', oldPem]);
  const notAfter = Date.parse(openssl(['x509', '-in', oldPem, '-noout', '-enddate']).trim().replace('notAfter=', ''));
  assert.ok(Number.isFinite(notAfter));
  const reopen = async (at) => {
    await a.page.clock.setFixedTime(new Date(at));
    await a.page.reload();
    await a.page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
    await a.page.getByLabel('Mailbox (dev mailbox on this server)').fill(a.address);
    await a.page.getByRole('button', { name: 'Open mailbox' }).click();
  };
  // 40 days before: nothing. 20 days before: the 30-day reminder, once. 10 days before: the 14-day one.
  await reopen(notAfter - 40 * DAY);
  await w.tab(a, 'Upkeep');
  await a.page.getByText('None of your certificates expires within 30 days.').waitFor();
  assert.equal(await a.page.locator('[data-field="reminder-banner"] [data-reminder]').count(), 0);
  await reopen(notAfter - 20 * DAY);
  const banner = a.page.locator('[data-field="reminder-banner"] [data-reminder="alice@example.org"]');
  await banner.waitFor();
  assert.equal(await banner.getAttribute('data-stage'), '30');
  assert.match(await banner.textContent(), /expires in 20 days/);
  assert.deepEqual(Object.values(await settingsRecord(a, 'reminders')), [30]);
  await w.screenshot(a, 'reminder-30');
  await reopen(notAfter - 10 * DAY);
  await banner.waitFor();
  assert.equal(await banner.getAttribute('data-stage'), '14');
  assert.deepEqual(Object.values(await settingsRecord(a, 'reminders')), [14]);

  // The troubleshooter: Bob has Alice's current certificate so far; "expires soon" leads to the guide.
  await w.tab(a, 'Certificates');
  await a.page.getByLabel('Passphrase to unlock your certificates').fill(PASSPHRASE);
  await a.page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await a.page.locator('[data-lock="unlocked"]').waitFor();
  const exp = await problem(a, 'expiring');
  await exp.getByRole('button', { name: 'Check my certificates' }).click();
  await exp.locator('[data-reminder="alice@example.org"]').getByRole('button', { name: 'Renew' }).click();
  const guide = a.page.locator('[data-field="renewal-guide"]');
  await guide.waitFor();
  await w.screenshot(a, 'renewal-guide');

  // Import the new certificate (issued now, for two years) in the guide.
  const renewed = issueIdentity(w.demo.dir, { address: 'alice@example.org', name: 'Alice DEMO', password: 'renewed-pass', days: 730, file: 'alice-renewed.p12' });
  await guide.getByLabel('Your new certificate file (.p12, .pfx)').setInputFiles(renewed);
  await guide.getByLabel('Password of the new file').fill('renewed-pass');
  await guide.getByLabel('Device passphrase to keep it under (at least 8 characters)').fill(PASSPHRASE);
  await guide.getByRole('button', { name: 'Import the new certificate' }).click();
  await guide.locator('[data-field="renewal-imported"]').waitFor();
  assert.equal(await guide.locator('[data-field="kept-old"] li').count(), 1, 'the old certificate is kept for old mail');
  // The reminder is gone: the identity it was about has been renewed.
  await a.page.locator('[data-field="reminder-banner"] [data-reminder]').waitFor({ state: 'detached' });

  // Bob still has the old certificate (Cachet signed mail to him with it): the troubleshooter says so.
  const cr = await problem(a, 'cannot-read');
  await cr.getByLabel('Their address').fill('bob@example.net');
  await cr.getByRole('button', { name: 'Check' }).click();
  await cr.locator('[data-finding="my-old"]').waitFor();
  await w.screenshot(a, 'troubleshoot-cannot-read');

  // The announcement from the guide, to the contacts who have the old certificate.
  await w.tab(a, 'Upkeep');
  const bobRow = guide.locator('[data-candidate="bob@example.net"]');
  assert.equal(await bobRow.getAttribute('data-has'), 'old');
  await guide.getByRole('button', { name: 'Send the announcement (signed with the new certificate)' }).click();
  await guide.locator('[data-field="announcement-sent"]').waitFor();
  const announcement = w.newestWith('bob@example.net', 'inbox', 'My e-mail certificate has been renewed');
  const signerPem = path.join(w.tmp, 'announcement-signer.pem');
  const text = qp(openssl(['smime', '-verify', '-in', announcement, '-CAfile', w.demo.ca, '-signer', signerPem]));
  assert.match(text, /renewed/);
  const fp = (f) => openssl(['x509', '-in', f, '-noout', '-fingerprint', '-sha256']).trim();
  const renewedPem = path.join(w.tmp, 'renewed.pem');
  openssl(['pkcs12', '-in', renewed, '-passin', 'pass:renewed-pass', '-nokeys', '-clcerts', '-out', renewedPem]);
  assert.equal(fp(signerPem), fp(renewedPem), 'signed with the new certificate');
  // Now Bob is known to have the current one.
  await problem(a, 'cannot-read');
  await cr.getByRole('button', { name: 'Check' }).click();
  await cr.locator('[data-finding="nothing-known"]').waitFor();

  // The old key still decrypts old mail, after locking and unlocking again.
  await w.tab(a, 'Certificates');
  await a.page.getByRole('button', { name: 'Lock now' }).click();
  const dk = await problem(a, 'cannot-decrypt');
  await dk.getByLabel('The message you cannot open (.eml, or paste it)').setInputFiles(oldMail);
  await dk.locator('[data-key="locked"]').waitFor();
  assert.match(await dk.locator('[data-field="which-key"]').textContent(), /kept for old mail/);
  await w.screenshot(a, 'troubleshoot-which-key');
  await w.tab(a, 'Certificates');
  await a.page.getByLabel('Passphrase to unlock your certificates').fill(PASSPHRASE);
  await a.page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await a.page.locator('[data-lock="unlocked"]').waitFor();
  assert.equal(await w.open(a, 'inbox', '[...]'), 'valid');
  const frame = a.page.locator('iframe.content-frame').first().contentFrame();
  await frame.getByText('encrypted to your first certificate').waitFor();
});
