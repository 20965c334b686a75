// Separate signing and encryption certificates in the Wasm Keyring (what the add-in's keyring
// does when the user imports the second of two .p12 files): a signing-only and an
// encryption-only identity made by openssl are unlocked and joined by `pairIdentities`; the
// joined identity signs with the signing key (OpenSSL verifies; EncryptionKeyPreference names
// the encryption certificate), its own copy of encrypted mail goes to the encryption
// certificate (OpenSSL decrypts it with that key), and its backup keeps both keys (OpenSSL
// reads two, and unlocking the backup gives the joined identity again). Certificates that
// are not such a pair are refused and stay usable.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, makePki, openssl, pemBase64 } from '../shared.mjs';
import { importTs } from '../ts.mjs';

const PKG = path.join(ROOT, 'addin', 'pkg');
let core;
let dir;
let pki;

before(async () => {
  core = await import(path.join(PKG, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(PKG, 'cachet_bg.wasm')) });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-wasm-separate-'));
  pki = await makePki(dir, {
    ca: { cn: 'Separate Certs Root' },
    people: [
      { name: 'sign', cn: 'Alice Signing', email: 'alice@example.org', keyUsage: 'critical,digitalSignature,nonRepudiation', serial: 21 },
      { name: 'enc', cn: 'Alice Encryption', email: 'alice@example.org', keyUsage: 'critical,keyEncipherment', serial: 22 },
      { name: 'bob', cn: 'Bob', email: 'bob@example.net', serial: 23 },
    ],
    password: 'pw',
  });
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const MESSAGE = new TextEncoder().encode('From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Two certificates\r\nContent-Type: text/plain\r\n\r\nSigned with one key, readable with the other.\r\n');
const now = () => Math.floor(Date.now() / 1000);
const write = (name, bytes) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  return f;
};

test('a signing-only and an encryption-only identity join into one: sign, own copy and backup use the right key', async () => {
  const ring = new core.Keyring();
  try {
    const s = ring.unlock(fs.readFileSync(pki.people.sign.p12), 'pw');
    const e = ring.unlock(fs.readFileSync(pki.people.enc.p12), 'pw');
    assert.equal(ring.encryptionCertificate(s), null, 'one certificate alone has no separate encryption certificate');
    // Either order: the encryption identity first.
    const joined = ring.pairIdentities(e, s);
    assert.throws(() => ring.certificates(s), (x) => x.code === 'usage', 'the old handles are gone');
    assert.equal(ring.certificates(joined)[0].serial, '15', 'the signing certificate leads');
    assert.equal(ring.encryptionCertificate(joined).serial, '16');

    const signed = write('signed.eml', ring.sign(joined, MESSAGE, false, now()));
    openssl(['cms', '-verify', '-CAfile', pki.ca.pem, '-in', signed, '-signer', path.join(dir, 'signer.pem'), '-out', path.join(dir, 'content.txt')]);
    assert.match(openssl(['x509', '-noout', '-serial', '-in', path.join(dir, 'signer.pem')]), /serial=15/);
    const { report } = core.openMessage(fs.readFileSync(signed), { at: now(), trust: [pemBase64(pki.ca.pem)] });
    assert.equal(report.status, 'valid');
    assert.equal(report.layers[0].signers[0].encryption_key_preference.issuer_and_serial.serial, '16');

    // What the compose pane shows before sending: the own copy to the encryption certificate, as it is sent.
    const choice = ring.encryptionChoice(joined, { recipients: [pemBase64(pki.people.bob.pem)], at: now() });
    const ownCopy = choice.recipients.find((r) => r.own_copy);
    assert.equal(ownCopy?.certificate_sha256, ring.encryptionCertificate(joined).sha256);
    const encrypted = write('enc.eml', ring.encrypt(joined, MESSAGE, { recipients: [pemBase64(pki.people.bob.pem)], sign: true, at: now() }));
    const own = openssl(['cms', '-decrypt', '-in', encrypted, '-recip', pki.people.enc.pem, '-inkey', pki.people.enc.key]);
    assert.match(own, /Signed with one key/);
    assert.throws(() => openssl(['cms', '-decrypt', '-in', encrypted, '-recip', pki.people.sign.pem, '-inkey', pki.people.sign.key]), 'no copy for the signing key');

    const backup = write('backup.p12', ring.exportBackup(joined, 'backup-pw'));
    const keys = openssl(['pkcs12', '-in', backup, '-passin', 'pass:backup-pw', '-nocerts', '-nodes']);
    assert.equal(keys.match(/BEGIN PRIVATE KEY/g)?.length, 2, 'both keys are in the backup');
    // Unlocked as the add-in's keyring does (its worker: unlockAsync, PBKDF2 by WebCrypto): the
    // sync unlock would repeat the backup's 600,000 iterations in Wasm (the sync reading of a
    // backup is tests/wasm/pkcs12-webcrypto.test.mjs's).
    const again = ring.add(await core.unlockAsync(fs.readFileSync(backup), 'backup-pw'));
    assert.equal(ring.certificates(again)[0].serial, '15', 'the backup unlocks as the joined identity: the signing certificate leads');
    assert.equal(ring.encryptionCertificate(again).serial, '16', 'and the encryption certificate is the other one');
  } finally {
    ring.free();
  }
});

test('a signing-only certificate alone names no certificate to encrypt to (no EncryptionKeyPreference)', () => {
  const ring = new core.Keyring();
  try {
    const s = ring.unlock(fs.readFileSync(pki.people.sign.p12), 'pw');
    const { report } = core.openMessage(ring.sign(s, MESSAGE, false, now()), { at: now(), trust: [pemBase64(pki.ca.pem)] });
    assert.equal(report.status, 'valid');
    assert.equal(report.layers[0].signers[0].encryption_key_preference ?? null, null);
  } finally {
    ring.free();
  }
});

test('certificates that are not a signing and an encryption pair are refused and stay unlocked', () => {
  const ring = new core.Keyring();
  try {
    const s = ring.unlock(fs.readFileSync(pki.people.sign.p12), 'pw');
    const b = ring.unlock(fs.readFileSync(pki.people.bob.p12), 'pw');
    assert.throws(() => ring.pairIdentities(s, b), (x) => x.code === 'unusable-identity');
    assert.equal(ring.certificates(s)[0].serial, '15');
    assert.equal(ring.certificates(b)[0].serial, '17');
  } finally {
    ring.free();
  }
});

test('the preferred encryption certificate a signed mail names is kept only when it is trusted for encryption by itself; else the signer\'s own', async () => {
  const session = await importTs('addin/src/keyring/session.ts');
  const ring = new core.Keyring();
  try {
    const joined = ring.pairIdentities(ring.unlock(fs.readFileSync(pki.people.sign.p12), 'pw'), ring.unlock(fs.readFileSync(pki.people.enc.p12), 'pw'));
    const { report } = core.openMessage(ring.sign(joined, MESSAGE, false, now()), { at: now(), trust: [pemBase64(pki.ca.pem)] });
    assert.equal(report.status, 'valid');
    const [offered] = session.Session.signerCerts(report, true);
    assert.equal(offered.facts.serial, '16', 'the encryption certificate is offered');
    assert.equal(offered.signer.facts.serial, '15', 'with the signing certificate as the fallback');
    const wasm = { call: async (method, params) => core[method](params.options) };
    const root = [{ kind: 'root', der: pemBase64(pki.ca.pem) }];
    const kept = async (c, anchors, r = report) => (await session.keptOf(wasm, c, r, anchors, Date.now())).facts.serial;
    assert.equal(await kept(offered, root), '16', 'issued by a trusted root: kept');
    assert.equal(await kept(offered, []), '15', 'no trusted root: the signer\'s own');
    // The certificates travel unsigned: one swapped for a certificate of an untrusted issuer that
    // names the same address (the facts the shell matched by issuer and serial unchanged).
    const other = await makePki(path.join(dir, 'other'), { ca: { cn: 'Separate Certs Root' }, people: [{ name: 'enc', cn: 'Alice Encryption', email: 'alice@example.org', keyUsage: 'critical,keyEncipherment', serial: 22 }], password: 'pw' });
    const swapped = { ...offered, der: pemBase64(other.people.enc.pem) };
    const forged = { ...report, certificates: report.certificates.map((c) => (c.facts.sha256 === offered.facts.sha256 ? { ...c, der_base64: swapped.der } : c)) };
    assert.equal(await kept(swapped, root, forged), '15', 'a swapped-in certificate is not kept');
  } finally {
    ring.free();
  }
});
