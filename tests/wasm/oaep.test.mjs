// openAsync unwraps RSAES-OAEP content-encryption keys with WebCrypto (the unlocked RSA keys
// imported non-extractable as RSA-OAEP keys) under Node 20. Messages made by `openssl cms`:
// OAEP with the default parameters (SHA-1) and with SHA-256 open through `crypto.subtle.decrypt`
// (observed by wrapping it) with the synchronous open's report and content; PKCS#1 v1.5 and
// OAEP with a label never reach WebCrypto's RSA-OAEP; a wrong key (tried by trial on a
// subjectKeyIdentifier recipient) and a corrupted wrapped key are refused by WebCrypto and
// give the synchronous report; a retired key still unlocked after a renewal opens its mail; a
// wrapped key whose OAEP block has a non-zero first byte (made here with the public key: the
// `rsa` crate ignores that byte, WebCrypto refuses it) gets the core's answer on both paths.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, after, test } from 'node:test';
import { ROOT, makePki, openssl } from '../shared.mjs';

const PKG = path.join(ROOT, 'addin', 'pkg');
let core;
let dir;
const f = (n) => path.join(dir, n);
/** The algorithm name and outcome of every `crypto.subtle.decrypt` call. */
const calls = [];

before(async () => {
  assert.ok(globalThis.crypto?.subtle, 'Node has WebCrypto (globalThis.crypto.subtle)');
  const subtle = globalThis.crypto.subtle;
  const decrypt = subtle.decrypt.bind(subtle);
  subtle.decrypt = (algorithm, key, data) => {
    const call = { name: algorithm.name, ok: null };
    calls.push(call);
    return decrypt(algorithm, key, data).then(
      (r) => { call.ok = true; return r; },
      (e) => { call.ok = false; throw e; },
    );
  };
  core = await import(path.join(PKG, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(PKG, 'cachet_bg.wasm')) });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-wasm-oaep-'));
  await makePki(dir, {
    ca: { cn: 'OAEP Test Root' },
    people: [
      { name: 'alice', email: 'alice@example.org', serial: 7 },
      // Alice's previous certificate and key, kept after the renewal to read old mail.
      { name: 'alice-old', cn: 'alice', email: 'alice@example.org', serial: 6 },
    ],
    password: 'pw',
  });
  fs.writeFileSync(f('msg.eml'), 'Content-Type: text/plain; charset=utf-8\r\n\r\nRSA-OAEP through WebCrypto.\r\n');
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const now = () => Math.floor(Date.now() / 1000);
const OAEP = ['-keyopt', 'rsa_padding_mode:oaep'];
const SHA256 = [...OAEP, '-keyopt', 'rsa_oaep_md:sha256'];

/** An openssl-encrypted message (S/MIME, AES-256-CBC) to `who` with these key options. */
function encrypted(name, who, keyopts, extra = []) {
  openssl(['cms', '-encrypt', '-aes-256-cbc', '-in', f('msg.eml'), '-out', f(name), '-recip', f(`${who}.pem`), ...keyopts, ...extra]);
  return fs.readFileSync(f(name));
}

function ring(...names) {
  const r = new core.Keyring();
  for (const n of names) r.unlock(fs.readFileSync(f(`${n}.p12`)), 'pw');
  return r;
}

/** openAsync's report and content equal open's; returns them with the decrypt calls it made. */
async function sameAsSync(r, bytes) {
  const options = { at: now() };
  const sync = r.open(bytes, options);
  calls.length = 0;
  const opened = await r.openAsync(bytes, options);
  assert.deepEqual(opened.report, sync.report);
  assert.deepEqual(opened.content, sync.content);
  return { ...opened, oaep: calls.filter((c) => c.name === 'RSA-OAEP').map((c) => c.ok) };
}

const text = (content) => new TextDecoder().decode(content);

test('OAEP with SHA-1 (default parameters) and SHA-256: unwrapped by WebCrypto, the synchronous report', async () => {
  const r = ring('alice');
  try {
    for (const [name, keyopts] of [['sha1', OAEP], ['sha256', SHA256]]) {
      const msg = encrypted(`${name}.eml`, 'alice', keyopts);
      const printed = openssl(['cms', '-cmsout', '-print', '-noout', '-in', f(`${name}.eml`)]).toString();
      assert.match(printed, /rsaesOaep/, name);
      const opened = await sameAsSync(r, msg);
      assert.equal(opened.report.status, 'unsigned', name);
      assert.match(text(opened.content), /RSA-OAEP through WebCrypto\./, name);
      assert.deepEqual(opened.oaep, [true], `${name}: one RSA-OAEP decryption by WebCrypto`);
      assert.ok(JSON.stringify(opened.report).includes(`RSA-OAEP (${name === 'sha1' ? 'SHA-1' : 'SHA-256'})`), JSON.stringify(opened.report));
    }
  } finally {
    r.free();
  }
});

test('PKCS#1 v1.5 and OAEP with a label stay in the core (no RSA-OAEP call), the synchronous report', async () => {
  const r = ring('alice');
  try {
    for (const [name, keyopts] of [['v15', []], ['label', [...SHA256, '-keyopt', 'rsa_oaep_label:0102030405']], ['mgf1', [...SHA256, '-keyopt', 'rsa_mgf1_md:sha1']]]) {
      const opened = await sameAsSync(r, encrypted(`${name}.eml`, 'alice', keyopts));
      assert.match(text(opened.content), /RSA-OAEP through WebCrypto\./, name);
      assert.deepEqual(opened.oaep, [], `${name}: WebCrypto's RSA-OAEP is not asked`);
    }
  } finally {
    r.free();
  }
});

test('a wrong key and a corrupted wrapped key: WebCrypto refuses, the report is the synchronous one', async () => {
  // Encrypted to Alice's new key with a subjectKeyIdentifier recipient; only the retired key
  // is unlocked, so it is tried by trial and fails OAEP decoding.
  const msg = encrypted('keyid.eml', 'alice', SHA256, ['-keyid']);
  const old = ring('alice-old');
  try {
    const opened = await sameAsSync(old, msg);
    assert.notEqual(opened.report.status, 'unsigned');
    assert.equal(opened.content, undefined);
    assert.deepEqual(opened.oaep, [false], 'WebCrypto was asked and refused');
  } finally {
    old.free();
  }
  // The wrapped key with one byte changed in its middle (still below the modulus: the top
  // bytes are kept), in a message of its own.
  openssl(['cms', '-encrypt', '-aes-256-cbc', '-binary', '-outform', 'DER', '-in', f('msg.eml'), '-out', f('sha256.der'), '-recip', f('alice.pem'), ...SHA256]);
  const der = Buffer.from(fs.readFileSync(f('sha256.der')));
  const at = der.indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00]));
  assert.ok(at > 0, 'the 256-byte encryptedKey');
  der[at + 4 + 128] ^= 0x40;
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\r\n');
  const corrupted = Buffer.from(`MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}`);
  const r = ring('alice');
  try {
    const opened = await sameAsSync(r, corrupted);
    assert.equal(opened.content, undefined);
    assert.notEqual(opened.report.status, 'unsigned', JSON.stringify(opened.report));
    assert.deepEqual(opened.oaep, [false], 'WebCrypto was asked and refused');
    // The same bytes unchanged open.
    der[at + 4 + 128] ^= 0x40;
    const good = Buffer.from(`MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\n${der.toString('base64').replace(/.{1,64}/g, '$&\r\n')}`);
    const fine = await sameAsSync(r, good);
    assert.match(text(fine.content), /RSA-OAEP through WebCrypto\./);
    assert.deepEqual(fine.oaep, [true]);
  } finally {
    r.free();
  }
});

test('a retired key kept after renewal: mail to it opens through WebCrypto; both keys unlocked', async () => {
  const r = ring('alice', 'alice-old');
  try {
    for (const [name, keyopts] of [['old-sha1', OAEP], ['old-sha256', SHA256]]) {
      const opened = await sameAsSync(r, encrypted(`${name}.eml`, 'alice-old', keyopts));
      assert.match(text(opened.content), /RSA-OAEP through WebCrypto\./, name);
      assert.deepEqual(opened.oaep, [true], `${name}: the retired key's RSA-OAEP unwrap by WebCrypto`);
    }
  } finally {
    r.free();
  }
});

/** MGF1 (RFC 8017 B.2.1) with SHA-256. */
function mgf1(seed, len) {
  const out = [];
  for (let i = 0; out.length * 32 < len; i++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(i);
    out.push(crypto.createHash('sha256').update(seed).update(c).digest());
  }
  return Buffer.concat(out).subarray(0, len);
}

const xor = (a, b) => Buffer.from(a.map((x, i) => x ^ b[i]));
const big = (buf) => BigInt(`0x${buf.toString('hex')}`);
function modPow(b, e, m) {
  let r = 1n;
  for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

test('an OAEP block with a non-zero first byte: WebCrypto refuses it, the core decides on both paths', async () => {
  openssl(['cms', '-encrypt', '-aes-256-cbc', '-binary', '-outform', 'DER', '-in', f('msg.eml'), '-out', f('first.der'), '-recip', f('alice.pem'), ...SHA256]);
  const der = Buffer.from(fs.readFileSync(f('first.der')));
  const at = der.indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00])) + 4;
  assert.ok(at > 4);
  const key = fs.readFileSync(f('alice.key'));
  const cek = crypto.privateDecrypt({ key, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, der.subarray(at, at + 256));
  assert.equal(cek.length, 32);
  // EME-OAEP encoding (RFC 8017 7.1.1 step 2) of the same key, then Y = 0x01 instead of 0x00.
  const k = 256;
  const db = Buffer.concat([crypto.createHash('sha256').update('').digest(), Buffer.alloc(k - cek.length - 2 * 32 - 2), Buffer.from([1]), cek]);
  const seed = crypto.randomBytes(32);
  const maskedDb = xor(db, mgf1(seed, db.length));
  const em = Buffer.concat([Buffer.from([0x01]), xor(seed, mgf1(maskedDb, 32)), maskedDb]);
  const jwk = new crypto.X509Certificate(fs.readFileSync(f('alice.pem'))).publicKey.export({ format: 'jwk' });
  const n = big(Buffer.from(jwk.n, 'base64url'));
  const c = modPow(big(em), big(Buffer.from(jwk.e, 'base64url')), n);
  Buffer.from(c.toString(16).padStart(2 * k, '0'), 'hex').copy(der, at);
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\r\n');
  const message = Buffer.from(`MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}`);
  const r = ring('alice');
  try {
    const opened = await sameAsSync(r, message);
    assert.deepEqual(opened.oaep, [false], 'WebCrypto refused the block');
    // What the core (rsa 0.10) makes of it, the same on both paths: it ignores the first byte.
    assert.match(text(opened.content ?? new Uint8Array()), /RSA-OAEP through WebCrypto\./, JSON.stringify(opened.report));
  } finally {
    r.free();
  }
});
