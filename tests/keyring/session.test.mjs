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

test('a signer that names a separate encryption certificate (EncryptionKeyPreference) offers it, for the address the signature was bound to, with its own as the fallback', () => {
  const facts = (sha256, serial, emails, encrypt) => ({ sha256, serial, issuer: 'CN=CA', emails, usable_for: { sign: !encrypt, encrypt } });
  const signing = facts('S', '15', ['alice@example.org'], false);
  const encryption = facts('E', '16', ['alice@example.org'], true);
  const other = facts('O', '17', ['mallory@example.org'], true);
  const report = (pref, certs, address = { from: 'alice@example.org', matches: true }, signer = signing) => ({
    status: 'valid',
    layers: [{ signers: [{ status: 'valid', certificate: signer, address, encryption_key_preference: pref }] }],
    certificates: certs.map((f) => ({ facts: f, der_base64: `der-${f.sha256}` })),
  });
  const bySerial = (serial) => ({ issuer_and_serial: { issuer: 'CN=CA', serial } });
  const learned = (r, onlyValid = true) => s.Session.signerCerts(r, onlyValid).map((c) => [c.address, c.der, c.signer?.der ?? null]);
  // The preferred encryption certificate travels in the message: offered for Alice, her signing one as the fallback.
  assert.deepEqual(learned(report(bySerial('16'), [signing, encryption])), [['alice@example.org', 'der-E', 'der-S']]);
  // Not in the message, or for another address: the signer's own certificate.
  assert.deepEqual(learned(report(bySerial('16'), [signing])), [['alice@example.org', 'der-S', null]]);
  assert.deepEqual(learned(report(bySerial('17'), [signing, other])), [['alice@example.org', 'der-S', null]]);
  assert.deepEqual(learned(report(undefined, [signing, encryption])), [['alice@example.org', 'der-S', null]]);
  // Offered for import or pinning (any status): only the signer's own certificate, never the preferred one.
  assert.deepEqual(learned(report(bySerial('16'), [signing, encryption]), false), [['alice@example.org', 'der-S', null]]);
  // Mallory signing on behalf of the From address (Sender): kept for Mallory's address only,
  // and a preferred certificate naming the From address (but not Mallory's) is not offered.
  const mallory = facts('M', '18', ['mallory@example.org'], false);
  const forged = facts('F', '19', ['mallory@example.org', 'ceo@example.org'], true);
  const onBehalf = { from: 'ceo@example.org', matches: true, sender: 'mallory@example.org' };
  assert.deepEqual(learned(report(bySerial('19'), [mallory, forged], onBehalf, mallory)), [['mallory@example.org', 'der-F', 'der-M']]);
  const forgedFor = facts('G', '20', ['ceo@example.org'], true);
  assert.deepEqual(learned(report(bySerial('20'), [mallory, forgedFor], onBehalf, mallory)), [['mallory@example.org', 'der-M', null]]);
  // A certificate naming the address with white space around it: kept under the address itself.
  const spaced = facts('W', '21', [' Alice@Example.org'], false);
  assert.deepEqual(learned(report(undefined, [spaced], undefined, spaced)), [['alice@example.org', 'der-W', null]]);
  assert.deepEqual(learned(report(undefined, [spaced], { from: 'alice@example.org', matches: false }, spaced), false), [['alice@example.org', 'der-W', null]]);
  // No address the signature was bound to: nothing is kept.
  assert.deepEqual(learned(report(undefined, [signing], { from: 'alice@example.org', matches: false })), []);
});
