// End to end (issue 18): confidential compose mode on the standalone page. Alice writes a
// confidential message, saves it as an encrypted draft, sees it listed, saves again, reloads the
// page, reopens the draft (decrypted in the page), and sends it encrypted to Bob. At every step
// the test reads the bytes the dev mailbox stored: no draft ever holds the body, the subject, the
// recipients or the attachment in clear; openssl decrypts the stored draft with Alice's key only.
// Screenshots go to test-results/drafts-*.jpg.
// Run by mail.test.mjs in its process and chromium (one browser start for the standalone
// worlds); alone: node --test tests/e2e/drafts.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openssl } from '../shared.mjs';
import { PASSPHRASE, createWorld, qp } from './world.mjs';

const SUBJECT = 'Zanzibar merger plan';
const BODY = 'The vault code is swordfish-7781.';
const ATTACHMENT = 'q4,secret-row-991\n';
/** What must never be in clear in a stored draft. */
const SECRETS = ['Zanzibar', 'swordfish', 'bob@example.net', 'secret-row', 'numbers.csv', 'merger'];

let w;

before(async () => {
  w = await createWorld('drafts');
  await w.person('alice', 'alice@example.org');
  await w.person('bob', 'bob@example.net');
});

after(async () => {
  await w?.close();
});

/** Every stored file of a mailbox, all folders. */
function stored(address) {
  return ['inbox', 'sentitems', 'drafts'].flatMap((f) => w.files(address, f));
}

/** The drafts folder holds only ciphertext: no secret in any encoding the mailbox could show. */
function assertOnlyCiphertext(what) {
  for (const file of w.files('alice@example.org', 'drafts')) {
    const bytes = fs.readFileSync(file);
    const text = bytes.toString('latin1');
    for (const s of SECRETS) assert.ok(!text.toLowerCase().includes(s.toLowerCase()), `${what}: the stored draft shows ${s} in clear`);
    assert.match(text, /^X-Cachet-Draft: encrypted; v=1\r?$/m, `${what}: the marker is outside`);
    assert.match(text, /^Subject: Encrypted draft \(Cachet\)\r?$/m);
    assert.match(text, /Content-Type: application\/pkcs7-mime; smime-type=(auth)?enveloped-data/i);
    assert.doesNotMatch(text, /^(To|Cc|Bcc):/im, `${what}: no recipient field outside`);
  }
  // Nothing else in any mailbox carries the body in clear either.
  for (const who of ['alice@example.org', 'bob@example.net']) {
    for (const file of stored(who)) assert.ok(!qp(fs.readFileSync(file, 'latin1')).includes('swordfish'), `${what}: ${path.basename(file)} shows the body in clear`);
  }
}

function pemOf(p12, password, args) {
  const out = path.join(w.tmp, `${path.basename(p12)}-${args.join('')}.pem`);
  openssl(['pkcs12', '-in', p12, '-passin', `pass:${password}`, '-out', out, ...args]);
  return out;
}

async function toggleConfidential(p) {
  await w.tab(p, 'Compose');
  await p.page.getByLabel('Confidential mode').check();
  await p.page.locator('[data-mode="confidential"]').waitFor();
}

test('set-up: identities, the demo CA, and Bob as Alice’s contact', async () => {
  for (const p of [w.people.alice, w.people.bob]) {
    await w.importP12(p, w.id(p.address).p12, w.id(p.address).password);
    await w.trustDemoCa(p);
  }
  const bob = w.id('bob@example.net');
  await w.storeContact(w.people.alice, pemOf(bob.p12, bob.password, ['-nokeys', '-clcerts']));
});

test('the mode is plain to see: normal by default, confidential with Encrypt fixed on', async () => {
  const a = w.people.alice;
  await w.tab(a, 'Compose');
  assert.equal(await a.page.locator('[data-field="confidential"] .mode-state').getAttribute('data-mode'), 'normal');
  await toggleConfidential(a);
  assert.match(await a.page.locator('[data-mode="confidential"]').textContent(), /Confidential — drafts are encrypted/);
  assert.equal(await a.page.getByLabel('Encrypt', { exact: true }).isChecked(), true);
  assert.equal(await a.page.getByLabel('Encrypt', { exact: true }).isDisabled(), true, 'confidential mail is sent encrypted');
  await a.page.locator('.drafts li', { hasText: 'No encrypted drafts.' }).waitFor();
  await w.screenshot(a, 'confidential-mode');
});

test('saving: the dev mailbox holds only ciphertext, which openssl decrypts with Alice’s key alone', async () => {
  const a = w.people.alice;
  await a.page.getByLabel('To', { exact: true }).fill('bob@example.net');
  await a.page.locator('[data-recipient="bob@example.net"][data-status="ready"]').waitFor();
  await a.page.getByLabel('Subject', { exact: true }).fill(SUBJECT);
  await a.page.getByLabel('Message text').fill(`${BODY}\nFirst version.\n`);
  await a.page.getByLabel('Attachments').setInputFiles({ name: 'numbers.csv', mimeType: 'text/csv', buffer: Buffer.from(ATTACHMENT) });
  await a.page.getByRole('button', { name: 'Save encrypted draft' }).click();
  await a.page.locator('[data-field="draft-saved"]').waitFor();
  const drafts = w.files('alice@example.org', 'drafts');
  assert.equal(drafts.length, 1);
  assertOnlyCiphertext('after the first save');
  assert.equal(w.files('bob@example.net', 'inbox').length, 0, 'a draft is not sent');

  // openssl (the peer) decrypts with Alice's key and finds the whole draft inside.
  const alice = w.id('alice@example.org');
  const key = pemOf(alice.p12, alice.password, ['-nodes']);
  const signed = openssl(['cms', '-decrypt', '-in', drafts[0], '-recip', key, '-inkey', key]);
  assert.match(signed, /X-Cachet-Draft: encrypted; v=1/);
  assert.match(signed, new RegExp(`Subject: ${SUBJECT}`));
  assert.match(signed, /To: bob@example\.net/);
  // Bob's key does not open it.
  const bob = w.id('bob@example.net');
  const bobKey = pemOf(bob.p12, bob.password, ['-nodes']);
  assert.throws(() => openssl(['cms', '-decrypt', '-in', drafts[0], '-recip', bobKey, '-inkey', bobKey]));
});

test('listing and saving again: the list shows the decrypted subject, one stored draft replaces the other', async () => {
  const a = w.people.alice;
  const item = a.page.locator('.drafts li[data-draft]');
  await item.filter({ hasText: SUBJECT }).waitFor();
  assert.equal(await item.count(), 1);
  assert.match(await item.textContent(), /to bob@example\.net/);
  const first = w.files('alice@example.org', 'drafts')[0];
  await a.page.getByLabel('Message text').fill(`${BODY}\nSecond version.\n`);
  await a.page.getByRole('button', { name: 'Save encrypted draft' }).click();
  await a.page.locator('[data-field="draft-saved"]').waitFor();
  await a.page.locator('.drafts li[data-draft][aria-current="true"]').waitFor();
  const now = w.files('alice@example.org', 'drafts');
  assert.equal(now.length, 1, 'the previous draft was deleted');
  assert.notEqual(now[0], first);
  assertOnlyCiphertext('after saving again');
  await w.screenshot(a, 'draft-listed');
});

test('reopening after a reload: the draft decrypts into the fields (with its attachment) once unlocked', async () => {
  const a = w.people.alice;
  await a.page.reload();
  await a.page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
  await a.page.getByLabel('Mailbox (dev mailbox on this server)').fill(a.address);
  await a.page.getByRole('button', { name: 'Open mailbox' }).click();
  await toggleConfidential(a);
  assert.equal(await a.page.getByLabel('Subject', { exact: true }).inputValue(), '', 'nothing was kept in the page');
  // Locked: the draft is listed but cannot be read.
  await a.page.locator('.drafts li[data-draft]', { hasText: 'unlock your certificates' }).waitFor();
  await w.tab(a, 'Certificates');
  await a.page.getByLabel('Passphrase to unlock your certificates').fill(PASSPHRASE);
  await a.page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await a.page.locator('[data-lock="unlocked"]').waitFor();
  await w.tab(a, 'Compose');
  const item = a.page.locator('.drafts li[data-draft]', { hasText: SUBJECT });
  await item.waitFor();
  await item.getByRole('button', { name: 'Open' }).click();
  await a.page.locator('[data-field="draft-opened"]').waitFor();
  assert.equal(await a.page.getByLabel('Subject', { exact: true }).inputValue(), SUBJECT);
  assert.equal(await a.page.getByLabel('To', { exact: true }).inputValue(), 'bob@example.net');
  assert.match(await a.page.getByLabel('Message text').inputValue(), /swordfish-7781\.\nSecond version\./);
  assert.deepEqual(await a.page.getByLabel('Attachments').evaluate((i) => [...i.files].map((f) => f.name)), ['numbers.csv']);
  assertOnlyCiphertext('after reopening');
  await w.screenshot(a, 'draft-reopened');
});

test('sending: encrypted to Bob, the encrypted draft is deleted, Bob reads it', async () => {
  const a = w.people.alice;
  const b = w.people.bob;
  await a.page.locator('[data-recipient="bob@example.net"][data-status="ready"]').waitFor();
  await a.page.getByRole('button', { name: 'Send securely' }).click();
  await w.sent(a);
  await a.page.locator('[data-field="draft-removed"]').waitFor();
  assert.match(await a.page.locator('[data-field="sent"]').textContent(), /encrypted/);
  assert.equal(w.files('alice@example.org', 'drafts').length, 0, 'no draft is left');
  assertOnlyCiphertext('after sending');
  const delivered = w.files('bob@example.net', 'inbox');
  assert.equal(delivered.length, 1);
  assert.match(fs.readFileSync(delivered[0], 'latin1'), /application\/pkcs7-mime/);
  await a.page.locator('.drafts li', { hasText: 'No encrypted drafts.' }).waitFor();
  await w.screenshot(a, 'sent');

  const status = await w.open(b, 'inbox', '');
  assert.ok(['valid', 'unsigned'].includes(status), status);
  assert.match(await b.page.locator('iframe.content-frame').first().contentFrame().locator('body').textContent(), /swordfish-7781\.\s*Second version\./);
  await w.screenshot(b, 'read');
  for (const p of [a, b]) assert.deepEqual(p.errors, [], `${p.name}'s page logged no errors`);
  assert.deepEqual(w.blocked, []);
});
