// End to end (issue 5): two people, Alice and Bob, each in their own chromium profile (own
// IndexedDB), on the standalone page over the dev mailbox, with demo identities made by
// openssl at test time. Messages are checked on disk and with openssl as the peer.
// Screenshots of every screen go to test-results/mail-*.jpg.
// The other standalone files whose worlds keep message frames in the page's process run in this
// process too, in the same chromium (one node test process, Playwright load and browser start
// for all of them): keeping, review, drafts, discovery, engine, lenient and trust (.mjs), each
// with its own world (dev server, mailbox, demo identities, people); their tests come first.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { issueIdentity } from '../../scripts/demo.mjs';
import { openssl } from '../shared.mjs';
import { PASSPHRASE, createWorld, qp, storedBackups } from './world.mjs';
import './keeping.mjs';
import './review.mjs';
import './drafts.mjs';
import './discovery.mjs';
import './engine.mjs';
import './lenient.mjs';
import './trust.mjs';

let w;

before(async () => {
  w = await createWorld('mail');
  await w.person('alice', 'alice@example.org');
  await w.person('bob', 'bob@example.net');
});

after(async () => {
  await w?.close();
});


test('Alice and Bob import their .p12 and trust the demo CA', async () => {
  for (const p of [w.people.alice, w.people.bob]) {
    await w.screenshot(p, 'empty-mailbox');
    await w.importP12(p, w.id(p.address).p12, w.id(p.address).password);
    await w.trustDemoCa(p);
    const card = p.page.locator(`[data-identity="${p.address}"]`);
    await card.waitFor();
    assert.equal(await card.locator('[data-expiry]').getAttribute('data-expiry'), 'valid');
    await w.screenshot(p, 'certificates');
  }
});

test('nothing secret is kept in localStorage, and the stored key is encrypted', async () => {
  const p = w.people.alice;
  assert.equal(await p.page.evaluate(() => localStorage.length), 0);
  const stored = await storedBackups(p.page);
  assert.equal(stored.length, 1);
  const file = path.join(w.tmp, 'stored.p12');
  fs.writeFileSync(file, Buffer.from(stored[0]));
  // The stored backup opens with the passphrase only (openssl as the reference), not with the file's password.
  assert.match(openssl(['pkcs12', '-in', file, '-passin', `pass:${PASSPHRASE}`, '-nokeys', '-clcerts']), /alice@example.org/);
  assert.throws(() => openssl(['pkcs12', '-in', file, '-passin', `pass:${w.id(p.address).password}`, '-nokeys']));
});

test('a wrong passphrase is refused and counted; the right one unlocks', async () => {
  const p = w.people.alice;
  await w.tab(p, 'Certificates');
  await p.page.getByRole('button', { name: 'Lock now' }).click();
  await p.page.locator('[data-lock="locked"]').waitFor();
  await p.page.getByLabel('Passphrase to unlock your certificates').fill('not the passphrase');
  await p.page.getByRole('button', { name: 'Unlock', exact: true }).click();
  const alert = p.page.getByRole('alert');
  await alert.waitFor();
  assert.equal(await alert.getAttribute('data-code'), 'wrong-password');
  await w.screenshot(p, 'unlock-wrong');
  await p.page.getByLabel('Passphrase to unlock your certificates').fill(PASSPHRASE);
  await p.page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await p.page.locator('[data-lock="unlocked"]').waitFor();
});

test('Alice sends a signed mail; openssl verifies it; Bob opens it as valid and stores her certificate', async () => {
  const a = w.people.alice;
  const b = w.people.bob;
  await w.tab(a, 'Compose');
  assert.equal(await a.page.getByLabel('Sign').isChecked(), true, 'Sign is on once an identity exists');
  await a.page.getByLabel('To', { exact: true }).fill('bob@example.net');
  await a.page.locator('[data-recipient="bob@example.net"]').waitFor();
  assert.equal(await a.page.locator('[data-recipient="bob@example.net"]').getAttribute('data-status'), 'missing');
  await w.screenshot(a, 'compose');
  await w.send(a, { subject: 'Signed hello', text: 'Hello Bob,\nthis is signed.\n' });
  await w.sent(a);
  await w.screenshot(a, 'sent');

  const onDisk = w.newestWith('bob@example.net', 'inbox', 'Signed hello');
  assert.match(fs.readFileSync(onDisk, 'latin1'), /Content-Type: multipart\/signed;[\s\S]*protocol="application\/pkcs7-signature"/);
  const verified = qp(openssl(['smime', '-verify', '-in', onDisk, '-CAfile', w.demo.ca]));
  assert.match(verified, /this is signed\./);
  assert.equal(w.files('alice@example.org', 'sentitems').length, 1, 'a copy is in Alice’s Sent Items');

  assert.equal(await w.open(b, 'inbox', 'Signed hello'), 'valid');
  await b.page.locator('[data-field="cert-stored"]').waitFor();
  assert.match(await b.page.locator('.banner-title').textContent(), /Signed by Alice DEMO <alice@example.org>/);
  assert.equal(await b.page.locator('.part.signed').count(), 1, 'the covered part is marked as signed');
  const frame = b.page.locator('iframe.content-frame');
  assert.equal(await frame.getAttribute('sandbox'), '');
  assert.match(await frame.contentFrame().locator('body').textContent(), /this is signed\./);
  await b.page.locator('#status-banner summary').click();
  assert.match(await b.page.locator('[data-field="issuer"]').first().textContent(), /Cachet DEMO CA/);
  await w.screenshot(b, 'read-valid');
  await w.tab(b, 'Certificates');
  await b.page.locator('[data-contact="alice@example.org"]').waitFor();
  await w.screenshot(b, 'contact-stored');
});

test('Bob replies signed; Alice opens it as valid and stores his certificate', async () => {
  const a = w.people.alice;
  const b = w.people.bob;
  await w.tab(b, 'Mail');
  await b.page.getByRole('button', { name: 'Reply' }).click();
  assert.match(await b.page.getByLabel('To', { exact: true }).inputValue(), /alice@example\.org/);
  assert.match(await b.page.getByLabel('Subject', { exact: true }).inputValue(), /^Re: Signed hello$/);
  await b.page.locator('[data-recipient="alice@example.org"][data-status="ready"]').waitFor();
  await w.screenshot(b, 'reply');
  await w.send(b, { text: 'Hello Alice,\nreceived, thanks.\n' });
  await w.sent(b);

  assert.equal(await w.open(a, 'inbox', 'Re: Signed hello'), 'valid');
  await a.page.locator('[data-field="cert-stored"]').waitFor();
  await w.screenshot(a, 'read-reply');
});

test('Alice’s Sent copy opens as valid for her', async () => {
  const a = w.people.alice;
  assert.equal(await w.open(a, 'sentitems', 'Signed hello'), 'valid');
  await w.screenshot(a, 'read-sent');
});

test('Alice sends signed+encrypted; Bob decrypts and sees valid; openssl cms decrypts it; Alice’s Sent copy decrypts for her', async () => {
  const a = w.people.alice;
  const b = w.people.bob;
  await w.tab(a, 'Compose');
  await a.page.getByLabel('To', { exact: true }).fill('bob@example.net');
  await a.page.locator('[data-recipient="bob@example.net"][data-status="ready"]').waitFor();
  await a.page.getByLabel('Encrypt').check();
  // Bob's signed reply advertised what Cachet reads: AES-GCM and RSA-OAEP, and the pane says so.
  const choice = a.page.locator('[data-recipient="bob@example.net"] [data-field="choice"]');
  await choice.waitFor();
  assert.match(await choice.textContent(), /^AES-256-GCM, RSA-OAEP \(SHA-256\): advertised AES-GCM and RSA-OAEP in their signed mail of \d{1,2} [A-Z][a-z]+ \d{4}; they read RSA-OAEP$/);
  assert.match(await a.page.locator('[data-field="cipher-choice"]').textContent(), /AES-256-GCM: every recipient's mail program advertised AES-GCM/);
  assert.match(await a.page.locator('[data-own-copy="true"] [data-field="choice"]').textContent(), /your own copy, read by Cachet/);
  await w.screenshot(a, 'compose-encrypted');
  await w.send(a, { subject: 'Encrypted hello', text: 'Hello Bob,\nthis one is secret.\n' });
  await a.page.locator('[data-field="sent"]', { hasText: 'signed and encrypted' }).waitFor();

  // Header protection (RFC 9788): outside, the Subject is the placeholder "[...]".
  const onDisk = w.newestWith('bob@example.net', 'inbox', 'Subject: [...]');
  const raw = fs.readFileSync(onDisk, 'latin1');
  assert.match(raw, /Content-Type: application\/pkcs7-mime;[^\r\n]*authEnveloped-data/i, 'AES-GCM, as Bob advertised');
  assert.ok(!raw.includes('this one is secret'), 'the text is not readable on disk');
  // OpenSSL decrypts it with Bob's key, and the content inside verifies with the demo CA.
  const key = path.join(w.tmp, 'bob-key.pem');
  openssl(['pkcs12', '-in', w.id('bob@example.net').p12, '-passin', `pass:${w.id('bob@example.net').password}`, '-nocerts', '-nodes', '-out', key]);
  const inner = path.join(w.tmp, 'inner.eml');
  openssl(['cms', '-decrypt', '-in', onDisk, '-inkey', key, '-out', inner]);
  assert.match(qp(openssl(['smime', '-verify', '-in', inner, '-CAfile', w.demo.ca])), /this one is secret\./);

  assert.equal(await w.open(b, 'inbox', '[...]'), 'valid');
  // The read pane shows the protected Subject, marked as encrypted.
  assert.match(await b.page.locator('[data-field="subject"]').textContent(), /^Encrypted hello \(encrypted\)$/);
  assert.match(await b.page.locator('[data-field="protected-headers"]').textContent(), /Subject was encrypted/);
  // Bob's message list now shows the protected Subject of the message Cachet decrypted (also
  // after a refresh of the list); Alice's Sent copy, not opened yet, still shows "[...]".
  await b.page.locator('button.message[aria-current="true"] .subject[data-protected-subject]', { hasText: 'Encrypted hello' }).waitFor();
  await b.page.getByRole('button', { name: 'Refresh' }).click();
  await b.page.locator('button.message .subject[data-protected-subject]', { hasText: 'Encrypted hello' }).waitFor();
  assert.match(await b.page.locator('iframe.content-frame').contentFrame().locator('body').textContent(), /this one is secret\./);
  await b.page.locator('#status-banner summary').click();
  assert.match(await b.page.locator('[data-field="cipher"]').textContent(), /AES-256-GCM, integrity-protected/);
  assert.match(await b.page.locator('[data-field="key-management"]').textContent(), /RSA-OAEP \(SHA-256\)/);
  await w.screenshot(b, 'read-encrypted');

  // Checked before the click: opening it replaces "[...]" as soon as it is decrypted.
  await w.tab(a, 'Mail');
  await a.page.getByLabel('Folder').selectOption('sentitems');
  await a.page.getByRole('button', { name: 'Refresh' }).click();
  const sentCopy = a.page.locator('button.message', { hasText: '[...]' }).first();
  assert.equal(await sentCopy.locator('.subject').textContent(), '[...]');
  await sentCopy.click();
  assert.equal(await w.opened(a), 'valid');
  await a.page.locator('button.message[aria-current="true"] .subject[data-protected-subject]', { hasText: 'Encrypted hello' }).waitFor();
  assert.match(await a.page.locator('iframe.content-frame').contentFrame().locator('body').textContent(), /this one is secret\./);
  await w.screenshot(a, 'read-sent-encrypted');

  // Locking takes the protected Subjects off Bob's list as well (the outer "[...]" again).
  await w.tab(b, 'Certificates');
  await b.page.getByRole('button', { name: 'Lock now' }).click();
  await w.tab(b, 'Mail');
  await b.page.locator('button.message .subject', { hasText: '[...]' }).first().waitFor();
  assert.equal(await b.page.locator('button.message .subject[data-protected-subject]').count(), 0);
  await w.tab(b, 'Certificates');
  await b.page.getByLabel('Passphrase to unlock your certificates').fill(PASSPHRASE);
  await b.page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await b.page.locator('[data-lock="unlocked"]').waitFor();
  await w.tab(b, 'Mail');
});

test('a list load overtaken by a newer one never replaces it, and a list drawn again keeps the message chosen meanwhile', async () => {
  const a = w.people.alice;
  const folder = a.page.getByLabel('Folder');
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));
  // The Inbox's list is answered late (once): the Sent Items list, asked for after it, arrives first.
  await a.page.route('**/mailFolders/inbox/messages*', async (route) => {
    await pause(1500);
    await route.continue();
  }, { times: 1 });
  const inboxAnswered = a.page.waitForResponse(/mailFolders\/inbox\/messages/);
  await folder.selectOption('inbox');
  await folder.selectOption('sentitems');
  await a.page.locator('button.message', { hasText: 'to bob@example.net' }).first().waitFor();
  await inboxAnswered;
  await pause(500); // the late answer has reached the page: it must not draw the Inbox now
  assert.equal(await folder.inputValue(), 'sentitems');
  const shown = await a.page.locator('button.message').allTextContents();
  assert.ok(shown.length > 0 && shown.every((t) => t.includes('to ')), `the Sent Items list stays: ${shown.join(' | ')}`);

  // Refresh answered late: the message clicked meanwhile is still the marked one in the list drawn after it.
  await a.page.route('**/mailFolders/sentitems/messages*', async (route) => {
    await pause(1500);
    await route.continue();
  }, { times: 1 });
  const refreshed = a.page.waitForResponse(/mailFolders\/sentitems\/messages/);
  await a.page.getByRole('button', { name: 'Refresh' }).click();
  const first = a.page.locator('button.message').first();
  const id = await first.getAttribute('data-id');
  await first.click();
  await w.opened(a);
  await refreshed;
  await pause(500);
  assert.equal(await a.page.locator('button.message[aria-current="true"]').count(), 1);
  assert.equal(await a.page.locator('button.message[aria-current="true"]').getAttribute('data-id'), id);
});

test('after a message cannot be fetched, the pane says so in place and shows the next message', async () => {
  const b = w.people.bob;
  await w.tab(b, 'Mail');
  await b.page.getByLabel('Folder').selectOption('inbox');
  await b.page.getByRole('button', { name: 'Refresh' }).click();
  const first = b.page.locator('button.message').first();
  await first.waitFor();
  const id = await first.getAttribute('data-id');
  await b.page.route((url) => url.pathname.endsWith(`/messages/${encodeURIComponent(id)}/$value`), (route) => route.abort(), { times: 1 });
  await first.click();
  await b.page.locator('#read-body .error[role="alert"]').waitFor();
  assert.equal(await b.page.locator('#read-heading').count(), 1, 'the pane itself stays');
  // The aborted fetch is logged by Chromium; expected here, not counted as a page error.
  b.errors.splice(0, b.errors.length, ...b.errors.filter((e) => !/Failed to load resource: net::ERR_FAILED/.test(e)));
  await first.click();
  await w.opened(b);
  assert.equal(await b.page.locator('#status-banner').count(), 1);
});

test('encrypting to an address without a certificate is refused with the request-mail offer; the draft is kept', async () => {
  const a = w.people.alice;
  await w.tab(a, 'Compose');
  await a.page.getByLabel('To', { exact: true }).fill('bob@example.net, carol@example.com');
  await a.page.locator('[data-recipient="carol@example.com"][data-status="missing"]').waitFor();
  await a.page.getByLabel('Encrypt').check();
  await w.send(a, { subject: 'For Bob and Carol', text: 'Draft text that must survive.\n' });
  const refusal = a.page.locator('[data-code="send-refused"]');
  await refusal.waitFor();
  const blockers = await refusal.locator('[data-field="blockers"] li').allTextContents();
  assert.equal(blockers.length, 1, `exactly one blocker: ${blockers}`);
  assert.match(blockers[0], /carol@example\.com: missing/);
  assert.equal(await a.page.getByLabel('Message text').inputValue(), 'Draft text that must survive.\n');
  await w.screenshot(a, 'refused');
  await refusal.getByRole('button', { name: 'Send carol@example.com a request for their certificate' }).click();
  await a.page.locator('[data-field="request-sent"]').waitFor();
  assert.equal(await a.page.getByLabel('Message text').inputValue(), 'Draft text that must survive.\n');
  const req = w.newestWith('carol@example.com', 'inbox', 'exchange certificates');
  assert.match(qp(openssl(['smime', '-verify', '-in', req, '-CAfile', w.demo.ca])), /Please reply with a signed message/);
  await a.page.getByLabel('Encrypt').uncheck();
  await a.page.getByLabel('To', { exact: true }).fill('');
  await a.page.getByLabel('Message text').fill('');
});

test('a message tampered on disk shows tampered', async () => {
  const b = w.people.bob;
  const mime = fs.readFileSync(w.newestWith('bob@example.net', 'inbox', 'Signed hello'), 'latin1');
  assert.ok(mime.includes('this is signed.'));
  w.deliver('bob@example.net', 'inbox', Buffer.from(mime.replace('Signed hello', 'Tampered copy').replace('this is signed.', 'this is signet.'), 'latin1'));
  assert.equal(await w.open(b, 'inbox', 'Tampered copy'), 'tampered');
  assert.equal(await b.page.locator('.part.signed').count(), 0, 'nothing is marked as signed');
  assert.equal(await b.page.locator('[data-diagnosis="changed"]').count(), 1);
  await w.screenshot(b, 'read-tampered');
});

test('a disclaimer appended by a server shows the diagnosis with its text', async () => {
  const b = w.people.bob;
  // Alice's signed mail (the tampered copy above also carries "Signed hello": as its signed,
  // protected Subject inside, RFC 9788).
  const mime = fs.readFileSync(w.newestWith('bob@example.net', 'inbox', 'this is signed.'), 'latin1');
  const disclaimer = 'This e-mail is confidential. Example Corp.';
  w.deliver('bob@example.net', 'inbox', Buffer.from(mime.replace('Signed hello', 'Disclaimer copy').replace('this is signed.\r\n', `this is signed.\r\n\r\n-- \r\n${disclaimer}\r\n`), 'latin1'));
  assert.equal(await w.open(b, 'inbox', 'Disclaimer copy'), 'tampered');
  const d = b.page.locator('[data-diagnosis="appended-text"]');
  await d.waitFor();
  assert.match(await d.locator('[data-field="appended-text"]').textContent(), new RegExp(disclaimer));
  await w.screenshot(b, 'read-disclaimer');
});

test('a renewed certificate: Bob imports it, the old one is kept, Alice is asked to accept the change', async () => {
  const a = w.people.alice;
  const b = w.people.bob;
  const password = 'renewed-password';
  const p12 = issueIdentity(w.demo.dir, { address: 'bob@example.net', name: 'Bob DEMO renewed', password, days: 700, file: 'bob-renewed.p12' });
  await w.importP12(b, p12, password);
  await b.page.locator('[data-identity="bob@example.net"]', { hasText: 'kept for decryption' }).waitFor();
  await w.screenshot(b, 'renewed');
  await b.page.getByRole('button', { name: 'Send the announcement mail to my contacts' }).click();
  await b.page.getByText('Announcement sent to 1 contact.').waitFor();

  assert.equal(await w.open(a, 'inbox', 'My e-mail certificate has been renewed'), 'valid');
  const changed = a.page.locator('[data-field="cert-changed"]');
  await changed.waitFor();
  assert.match(await changed.locator('[data-field="new-cert"]').textContent(), /Cachet DEMO CA/);
  await w.screenshot(a, 'cert-changed');
  await changed.getByRole('button', { name: 'Accept the new certificate' }).click();
  await a.page.locator('[data-field="cert-stored"]').waitFor();
  await w.tab(a, 'Certificates');
  assert.match(await a.page.locator('[data-contact="bob@example.net"]').textContent(), /1 earlier certificate kept/);
});

test('a backup exported by Alice re-imports in a fresh profile and opens her old mail', async () => {
  const a = w.people.alice;
  await w.tab(a, 'Certificates');
  await a.page.getByLabel('Your passphrase (asked again for every backup)').fill(PASSPHRASE);
  await a.page.getByLabel('Password for the backup file (at least 8 characters)').fill('backup-password');
  const [download] = await Promise.all([a.page.waitForEvent('download'), a.page.getByRole('button', { name: 'Export backup' }).click()]);
  const file = path.join(w.tmp, 'alice-backup.p12');
  await download.saveAs(file);
  await a.page.locator('[data-field="backup-saved"]').waitFor();
  // OpenSSL reads the backup (interoperability).
  assert.match(openssl(['pkcs12', '-in', file, '-passin', 'pass:backup-password', '-nokeys', '-clcerts']), /alice@example.org/);

  const f = await w.person('alice-fresh', 'alice@example.org');
  assert.equal(await w.open(f, 'sentitems', '[...]'), 'no-key');
  assert.ok((await f.page.locator('[data-field="recipients"] li').count()) >= 2, 'the certificates it was encrypted for are listed');
  await w.screenshot(f, 'no-key');
  await w.importP12(f, file, 'backup-password');
  await w.trustDemoCa(f);
  await w.screenshot(f, 'restored');
  assert.equal(await w.open(f, 'sentitems', 'Signed hello'), 'valid');
  assert.equal(await w.open(f, 'sentitems', '[...]'), 'valid', 'her old encrypted mail decrypts with the restored key');
  assert.match(await f.page.locator('iframe.content-frame').contentFrame().locator('body').textContent(), /this one is secret\./);
  await w.send(f, { to: 'bob@example.net', subject: 'From the restored backup', text: 'Still me.\n' });
  await w.sent(f);
  assert.match(openssl(['smime', '-verify', '-in', w.newestWith('bob@example.net', 'inbox', 'From the restored backup'), '-CAfile', w.demo.ca]), /Still me\./);
});

test('the pages are usable at 320 px', async () => {
  const b = w.people.bob;
  await b.page.setViewportSize({ width: 320, height: 900 });
  await w.open(b, 'inbox', 'Signed hello');
  const overflow = await b.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `no horizontal scrolling at 320 px (overflow ${overflow}px)`);
  await w.screenshot(b, 'narrow-read');
  await w.tab(b, 'Compose');
  await w.screenshot(b, 'narrow-compose');
});

test('no request left the machine and the pages logged no errors', () => {
  assert.deepEqual(w.blocked, [], `w.blocked non-loopback requests: ${w.blocked.join(', ')}`);
  for (const p of Object.values(w.people)) assert.deepEqual(p.errors, [], `${p.name}: console errors`);
});
