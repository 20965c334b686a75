// The wrong-passphrase schedule of the Session (addin/src/keyring/session.ts): free attempts,
// then a wait that doubles up to the cap, and how the wait is worded for the user.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importTs } from '../ts.mjs';

const s = await importTs('addin/src/keyring/session.ts');

test('the third wrong passphrase blocks for 10 s, each further one doubles, up to 15 minutes', () => {
  assert.equal(s.blockFor(1), 0);
  assert.equal(s.blockFor(s.FREE_ATTEMPTS - 1), 0);
  assert.equal(s.blockFor(s.FREE_ATTEMPTS), 10_000);
  assert.equal(s.blockFor(s.FREE_ATTEMPTS + 1), 20_000);
  assert.equal(s.blockFor(s.FREE_ATTEMPTS + 6), 640_000);
  assert.equal(s.blockFor(s.FREE_ATTEMPTS + 7), s.MAX_BLOCK_MS);
  assert.equal(s.blockFor(1000), s.MAX_BLOCK_MS);
});

test('waits are worded in minutes and seconds, rounded up', () => {
  assert.equal(s.waitText(10_000), '10 seconds');
  assert.equal(s.waitText(1), '1 second');
  assert.equal(s.waitText(80_000), '1 minute 20 seconds');
  assert.equal(s.waitText(s.MAX_BLOCK_MS), '15 minutes');
  assert.equal(s.waitText(9_001), '10 seconds');
});

test('a signer that names a separate encryption certificate (EncryptionKeyPreference) is stored with that certificate', () => {
  const facts = (sha256, serial, emails, encrypt) => ({ sha256, serial, issuer: 'CN=CA', emails, usable_for: { sign: !encrypt, encrypt } });
  const signing = facts('S', '15', ['alice@example.org'], false);
  const encryption = facts('E', '16', ['alice@example.org'], true);
  const other = facts('O', '17', ['mallory@example.org'], true);
  const report = (pref, certs) => ({
    status: 'valid',
    layers: [{ signers: [{ status: 'valid', certificate: signing, address: { from: 'alice@example.org' }, encryption_key_preference: pref }] }],
    certificates: certs.map((f) => ({ facts: f, der_base64: `der-${f.sha256}` })),
  });
  const bySerial = (serial) => ({ issuer_and_serial: { issuer: 'CN=CA', serial } });
  // The preferred encryption certificate travels in the message: it is the one kept for Alice.
  assert.deepEqual(s.Session.signerCerts(report(bySerial('16'), [signing, encryption]), true).map((c) => [c.address, c.der]), [['alice@example.org', 'der-E']]);
  // Not in the message, or for another address: the signer's own certificate.
  assert.deepEqual(s.Session.signerCerts(report(bySerial('16'), [signing]), true).map((c) => c.der), ['der-S']);
  assert.deepEqual(s.Session.signerCerts(report(bySerial('17'), [signing, other]), true).map((c) => c.der), ['der-S']);
  assert.deepEqual(s.Session.signerCerts(report(undefined, [signing, encryption]), true).map((c) => c.der), ['der-S']);
});
