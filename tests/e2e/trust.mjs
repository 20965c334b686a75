// End to end (issue 12): what the user does when trusting a certificate is said plainly. A
// stranger's self-signed certificate (cA=FALSE) signs mail: the read pane offers to pin it,
// saying it trusts only that certificate, only for its address; once pinned the mail is valid
// and the banner says "pinned by you". A CA-flagged self-signed certificate is not a mail
// signer (wrong-usage, nothing to pin), and the certificate panel offers it only as a root,
// after a warning that everything it issues becomes trusted. Screenshots: test-results/trust-*.jpg.
// Run by mail.test.mjs in its process and chromium (one browser start for the standalone
// worlds); alone: node --test tests/e2e/trust.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { RSA_2048, keptKeySync } from '../../scripts/lib/pki.mjs';
import { openssl } from '../shared.mjs';
import { createWorld } from './world.mjs';

let w;
let bob;

before(async () => {
  w = await createWorld('trust');
  bob = await w.person('bob', 'bob@example.net');
});

after(async () => {
  await w?.close();
});

/** A self-signed certificate for `email` (cA as given; new, on an RSA key kept between runs) and a
 * clear-signed mail from it to Bob; `from` replaces the From header's value. Returns the
 * certificate file and a re-deliverer. */
function strangerMail(name, email, ca, subject, from = `${name} <${email}>`) {
  const f = (n) => path.join(w.tmp, `${name}-${n}`);
  keptKeySync(RSA_2048, f('key.pem'));
  openssl(['req', '-x509', '-new', '-key', f('key.pem'), '-sha256', '-days', '365', '-out', f('cert.pem'),
    '-subj', `/CN=${name}`, '-addext', `subjectAltName=email:${email}`, '-addext', ca ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=CA:FALSE']);
  fs.writeFileSync(f('content.txt'), `Content-Type: text/plain; charset=us-ascii\r\n\r\n${subject}: hello Bob.\r\n`);
  openssl(['cms', '-sign', '-md', 'sha256', '-in', f('content.txt'), '-signer', f('cert.pem'), '-inkey', f('key.pem'), '-out', f('signed.eml')]);
  const body = fs.readFileSync(f('signed.eml'), 'latin1').replace(/\r?\n/g, '\r\n');
  const deliver = (fromValue, subjectValue) => {
    const head = `From: ${fromValue}\r\nTo: <bob@example.net>\r\nSubject: ${subjectValue}\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <${Date.now()}-${Math.random()}@example.com>\r\n`;
    w.deliver('bob@example.net', 'inbox', Buffer.from(head + body, 'latin1'));
  };
  deliver(from, subject);
  return { cert: f('cert.pem'), deliver };
}

test('pinning a sender’s certificate says what it trusts, and then the mail is valid as a pin', async () => {
  const plain = strangerMail('Plain Stranger', 'plain@stranger.example', false, 'Pin me');
  assert.equal(await w.open(bob, 'inbox', 'Pin me'), 'valid-unknown-ca');
  const scope = bob.page.locator('[data-field="pin-scope"]');
  await scope.waitFor();
  assert.match(await scope.textContent(), /only this certificate, only for plain@stranger\.example/);
  const pin = bob.page.getByRole('button', { name: 'Trust this sender’s certificate (pin)' });
  await w.screenshot(bob, 'offer-pin');
  await pin.click();
  await bob.page.locator('[data-field="cert-stored"]').waitFor();

  assert.equal(await w.open(bob, 'inbox', 'Pin me'), 'valid');
  assert.match(await bob.page.locator('#status-banner .banner-advice').textContent(), /pinned by you/);
  await w.tab(bob, 'Certificates');
  const card = bob.page.locator('[data-anchor*="pinned for plain@stranger.example"]');
  await card.waitFor();
  assert.match(await card.textContent(), /pinned: this certificate only/);
  await w.screenshot(bob, 'pinned');

  // The same signed mail with another address in the display name: never green, and the banner says why.
  plain.deliver('"ceo@bank.example" <plain@stranger.example>', 'Display name');
  assert.equal(await w.open(bob, 'inbox', 'Display name'), 'address-mismatch');
  assert.match(await bob.page.locator('#status-banner .banner-title').textContent(), /cannot be checked against the signature/);
  assert.match(await bob.page.locator('#status-banner .banner-advice').textContent(), /display name shows the address ceo@bank\.example/);
});

test('a CA-flagged self-signed certificate is not a signer, and is offered only as a root after a warning', async () => {
  const caPem = strangerMail('CA Stranger', 'ca@stranger.example', true, 'CA signs').cert;
  assert.equal(await w.open(bob, 'inbox', 'CA signs'), 'wrong-usage');
  assert.equal(await bob.page.locator('[data-action="pin"]').count(), 0, 'nothing to pin');

  await w.tab(bob, 'Certificates');
  await bob.page.getByLabel('Certificate file', { exact: true }).setInputFiles(caPem);
  const card = bob.page.locator('li.card', { hasText: 'CA Stranger' }).first();
  await card.getByRole('button', { name: 'Trust as root…' }).waitFor();
  assert.equal(await card.getByRole('button', { name: /Pin/ }).count(), 0, 'a CA certificate is not offered as a pin');
  await card.getByRole('button', { name: 'Trust as root…' }).click();
  const warning = card.locator('[data-field="root-warning"]');
  assert.match(await warning.textContent(), /Every certificate it issues, for any address, becomes trusted/);
  await w.screenshot(bob, 'root-warning');
  await card.getByRole('button', { name: 'Cancel' }).click();
  await card.getByRole('button', { name: 'Trust as root…' }).waitFor();
  assert.equal(await bob.page.locator('[data-anchor^="CA Stranger"]').count(), 0, 'nothing stored without the confirmation');
});

test('no request left the machine and the page logged no errors', () => {
  assert.deepEqual(w.blocked, []);
  assert.deepEqual(bob.errors, []);
});
