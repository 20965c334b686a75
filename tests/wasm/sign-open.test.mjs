// Signing and verification through the WebAssembly build under Node, checked by OpenSSL:
// a Keyring unlocks a PKCS#12 made by openssl, signs a message (clear and opaque), OpenSSL
// verifies it, and openMessage reports `valid` with the root trusted, `tampered` after a
// change, and the same certificate facts the native CLI would.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, after, test } from 'node:test';
import { ROOT, makePki, openssl, pemBase64 } from '../shared.mjs';

const PKG = path.join(ROOT, 'addin', 'pkg');
let core;
let dir;

before(async () => {
  core = await import(path.join(PKG, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(PKG, 'cachet_bg.wasm')) });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-wasm-sign-'));
  await makePki(dir, { ca: { cn: 'Wasm Test Root' }, people: [{ name: 'alice', cn: 'Alice Wasm', email: 'alice@example.org', serial: 7 }], password: 'pw' });
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const MESSAGE = new TextEncoder().encode(
  'From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Wasm\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße aus dem Worker.\r\n',
);

function caBase64() {
  return pemBase64(path.join(dir, 'ca.pem'));
}

/** `fn(ring, handle, now)` with Alice unlocked in a Keyring of its own, freed afterwards. */
async function withAlice(fn) {
  const ring = new core.Keyring();
  try {
    return await fn(ring, ring.unlock(fs.readFileSync(path.join(dir, 'alice.p12')), 'pw'), Math.floor(Date.now() / 1000));
  } finally {
    ring.free();
  }
}

function openReport(bytes, options) {
  return core.openMessage(bytes, options);
}

test('Keyring signs in Wasm; OpenSSL verifies; openMessage says valid and then tampered', () => withAlice((ring, handle, now) => {
  const facts = ring.certificates(handle);
  assert.deepEqual(facts[0].emails, ['alice@example.org']);
  for (const opaque of [false, true]) {
    const signed = ring.sign(handle, MESSAGE, opaque, now);
    const file = path.join(dir, `signed-${opaque}.eml`);
    fs.writeFileSync(file, signed);
    openssl(['cms', '-verify', '-in', file, '-CAfile', path.join(dir, 'ca.pem'), '-out', path.join(dir, 'out.txt')]);
    assert.match(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8'), /Gr=C3=BC=C3=9Fe aus dem Worker/);

    const { report, content } = openReport(signed, { at: now, trust: [caBase64()] });
    assert.equal(report.status, 'valid', JSON.stringify(report, null, 2));
    assert.equal(report.layers[0].signers[0].certificate.emails[0], 'alice@example.org');
    assert.ok(content instanceof Uint8Array && content.length > 0, 'the signed content comes back');

    const untrusted = openReport(signed, { at: now }).report;
    assert.equal(untrusted.status, 'valid-unknown-ca');
  }
  const signed = new TextDecoder().decode(ring.sign(handle, MESSAGE, false, now));
  const tampered = new TextEncoder().encode(signed.replace('Worker', 'Werker'));
  assert.equal(openReport(tampered, { at: now, trust: [caBase64()] }).report.status, 'tampered');
}));

test('a signed message whose line breaks were changed in transit: every bare LF or CR found, at every place in the 16-byte blocks the Wasm checks at once', () => withAlice((ring, handle, now) => {
  // The Wasm build tests line breaks 16 bytes at a time with SIMD; a bare LF or CR it missed
  // would leave the message as received, and its digest would not match what was signed.
  const lines = Array.from({ length: 64 }, (_, i) => 'x'.repeat((i * 7) % 23) + `line ${i}`);
  const body = new TextEncoder().encode(`From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Breaks\r\nContent-Type: text/plain\r\n\r\n${lines.join('\r\n')}\r\n`);
  const signed = new TextDecoder().decode(ring.sign(handle, body, false, now));
  assert.equal(openReport(new TextEncoder().encode(signed), { at: now, trust: [caBase64()] }).report.status, 'valid');
  const inside = signed.indexOf('line 0');
  let seen = new Set();
  for (let at = signed.indexOf('\r\n', inside), n = 0; n < 64; at = signed.indexOf('\r\n', at + 2), n++) {
    seen.add(at % 16);
    for (const [name, changed] of [['LF', signed.slice(0, at) + signed.slice(at + 1)], ['CR', signed.slice(0, at + 1) + signed.slice(at + 2)]]) {
      const { report } = openReport(new TextEncoder().encode(changed), { at: now, trust: [caBase64()] });
      assert.equal(report.status, 'valid', `bare ${name} at ${at}: ${JSON.stringify(report.layers?.[0]?.details ?? report)}`);
    }
  }
  assert.equal(seen.size, 16, 'a bare line break at each of the 16 places in a block');
}));

test('a body with one 8-bit or NUL byte, at every place in the 16-byte blocks the Wasm checks at once, is re-encoded before signing', () => withAlice((ring, handle, now) => {
  const head = 'From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Bytes\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n';
  const text = Array.from({ length: 8 }, (_, i) => `plain ascii line ${i} of the body`).join('\r\n') + '\r\n';
  const kept = new TextDecoder().decode(ring.sign(handle, new TextEncoder().encode(head + text), false, now));
  assert.ok(kept.includes(text), 'a 7-bit body is kept byte for byte');
  for (let at = 0; at < 40; at++) {
    for (const bad of [0xe9, 0x80, 0xff, 0x00]) {
      const body = new TextEncoder().encode(head + text);
      body[head.length + at] = bad;
      const signed = ring.sign(handle, body, false, now);
      assert.ok(signed.every((b) => b !== 0 && b < 0x80), `byte ${bad} at ${at} of the body left as it was`);
      assert.equal(openReport(signed, { at: now, trust: [caBase64()] }).report.status, 'valid');
    }
  }
}));

test('signAsync signs a large 7-bit message in its own buffer (and one whose header section is too long for the room in front); OpenSSL verifies both and recovers the entity', () => withAlice(async (ring, handle, now) => {
  const text = Array.from({ length: 3000 }, (_, i) => `line ${i} of a long plain 7-bit text`).join('\r\n');
  const attachment = Buffer.alloc(60000, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
  const entity = `Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${text}\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n--b1--\r\n`;
  const many = Array.from({ length: 3000 }, (_, i) => `person${i}@example.net`).join(',\r\n ');
  for (const [name, to] of [['usual header section', 'bob@example.net'], ['77 KB of recipients', many]]) {
    const message = new TextEncoder().encode(`From: Alice <alice@example.org>\r\nTo: ${to}\r\nSubject: Large\r\nMIME-Version: 1.0\r\n${entity}`);
    const signed = await ring.signAsync(handle, message, false, now);
    const file = path.join(dir, 'signed-large.eml');
    fs.writeFileSync(file, signed);
    openssl(['cms', '-verify', '-in', file, '-CAfile', path.join(dir, 'ca.pem'), '-out', path.join(dir, 'out.eml')]);
    const recovered = fs.readFileSync(path.join(dir, 'out.eml'), 'latin1');
    assert.ok(recovered.endsWith(entity.slice(entity.indexOf('\r\n\r\n') + 4)), `${name}: the body is signed byte for byte`);
    const { report, content } = openReport(signed, { at: now, trust: [caBase64()] });
    assert.equal(report.status, 'valid', name);
    assert.ok(new TextDecoder().decode(content).includes('line 2999 of a long plain 7-bit text'), name);
    // The same entity as the synchronous path signs (which builds it in a buffer of its own).
    const sync = new TextDecoder().decode(ring.sign(handle, message, false, now));
    const boundary = (t) => t.match(/boundary="([^"]+)"/)[1];
    const part = (t) => t.split(`--${boundary(t)}\r\n`)[1];
    assert.equal(part(new TextDecoder().decode(signed)), part(sync), `${name}: the same signed entity`);
  }
  // WebCrypto giving a wrong signature: dropped, the core signs the message in place instead.
  const original = crypto.subtle.sign;
  crypto.subtle.sign = async () => new Uint8Array(256).buffer;
  try {
    const message = new TextEncoder().encode(`From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Large\r\nMIME-Version: 1.0\r\n${entity}`);
    const signed = await ring.signAsync(handle, message, false, now);
    const file = path.join(dir, 'signed-large.eml');
    fs.writeFileSync(file, signed);
    openssl(['cms', '-verify', '-in', file, '-CAfile', path.join(dir, 'ca.pem'), '-out', path.join(dir, 'out.eml')]);
    assert.equal(openReport(signed, { at: now, trust: [caBase64()] }).report.status, 'valid');
  } finally {
    crypto.subtle.sign = original;
  }
}));

test('wrong password and locked handles are typed errors, and the instance lives on', () => {
  const ring = new core.Keyring();
  try {
    let err;
    try {
      ring.unlock(fs.readFileSync(path.join(dir, 'alice.p12')), 'wrong');
    } catch (e) {
      err = e;
    }
    assert.equal(err?.code, 'wrong-password');
    let locked;
    try {
      ring.sign(42, MESSAGE, false, 0);
    } catch (e) {
      locked = e;
    }
    assert.equal(locked?.code, 'usage');
    assert.match(locked.message, /locked/);
    const handle = ring.unlock(fs.readFileSync(path.join(dir, 'alice.p12')), 'pw');
    assert.ok(ring.sign(handle, MESSAGE, false, Math.floor(Date.now() / 1000)).length > 1000);
    assert.equal(openReport(new Uint8Array([0xff, 0, 1]), { at: Math.floor(Date.now() / 1000) }).report.status === 'valid', false);
  } finally {
    ring.free();
  }
});

test('one policy value reaches sign, signAsync, encryptAsync and openMessage; a bad one is a usage error', () => withAlice(async (ring, handle, now) => {
  const sha512 = { signing_digest: 'sha512', digests: [{ alg: 'sha512', consume: { verdict: 'accept' }, produce: true }] };
  for (const signed of [ring.sign(handle, MESSAGE, false, now, sha512), await ring.signAsync(handle, MESSAGE, false, now, sha512)]) {
    const text = new TextDecoder().decode(signed);
    assert.match(text, /micalg=sha-512/);
    const file = path.join(dir, 'signed-policy.eml');
    fs.writeFileSync(file, signed);
    openssl(['cms', '-verify', '-in', file, '-CAfile', path.join(dir, 'ca.pem'), '-out', path.join(dir, 'out.txt')]);
    // The same message is valid under the standard policy and weak under one that wants 4096-bit RSA.
    assert.equal(openReport(signed, { at: now, trust: [caBase64()] }).report.status, 'valid');
    assert.equal(openReport(signed, { at: now, trust: [caBase64()], policy: { min_rsa_bits: 4096 } }).report.status, 'weak-algorithm');
  }
  assert.match(new TextDecoder().decode(ring.sign(handle, MESSAGE, false, now)), /micalg=sha-256/);
  // encryptAsync: a policy asking OAEP for everyone; OpenSSL shows the key transport.
  const cert = pemBase64(path.join(dir, 'alice.pem'));
  const enc = await ring.encryptAsync(handle, MESSAGE, { recipients: [cert], at: now, policy: { default_key_transport: 'rsa-oaep' } });
  const file = path.join(dir, 'enc-policy.eml');
  fs.writeFileSync(file, enc);
  assert.match(openssl(['cms', '-cmsout', '-print', '-noout', '-in', file]).toString(), /rsaesOaep/);
  for (const call of [() => ring.sign(handle, MESSAGE, false, now, { min_rsa_bit: 1 }), () => openReport(MESSAGE, { at: now, policy: { legacy_allowed: 'yes' } })]) {
    let e;
    try {
      call();
    } catch (err) {
      e = err;
    }
    assert.equal(e?.code, 'usage', JSON.stringify(e));
  }
  // A misspelt field, an array or a string is refused by every export that takes a policy,
  // naming the field; null or undefined is the standard policy.
  const refused = async (call, detail) => {
    let e;
    try {
      await call();
    } catch (err) {
      e = err;
    }
    assert.equal(e?.code, 'usage', JSON.stringify(e));
    assert.equal(e.message, 'The algorithm policy cannot be read.');
    assert.match(e.detail ?? '', detail);
  };
  const misspelt = { signing_digest: 'sha256', min_rsa_bit: 1 };
  await refused(() => ring.sign(handle, MESSAGE, false, now, misspelt), /unknown field `min_rsa_bit`, expected one of `min_rsa_bits`/);
  await refused(() => ring.signAsync(handle, MESSAGE, false, now, misspelt), /min_rsa_bit\b/);
  await refused(() => ring.encryptAsync(handle, MESSAGE, { recipients: [cert], at: now, policy: misspelt }), /min_rsa_bit\b/);
  await refused(() => ring.encrypt(handle, MESSAGE, { recipients: [cert], at: now, policy: misspelt }), /min_rsa_bit\b/);
  await refused(() => openReport(MESSAGE, { at: now, policy: misspelt }), /min_rsa_bit\b/);
  await refused(() => ring.openAsync(MESSAGE, { at: now, policy: misspelt }), /min_rsa_bit\b/);
  await refused(() => openReport(MESSAGE, { at: now, policy: [2048] }), /not a JSON object/);
  await refused(() => ring.sign(handle, MESSAGE, false, now, 'sha512'), /not a JSON object/);
  await refused(() => openReport(MESSAGE, { at: now, policy: { min_rsa_bits: -1 } }), /./);
  for (const none of [null, undefined]) {
    assert.match(new TextDecoder().decode(ring.sign(handle, MESSAGE, false, now, none)), /micalg=sha-256/);
    assert.equal(openReport(MESSAGE, { at: now, policy: none }).report.status, 'unsigned');
  }
}));

test('encryptionChoice and encryptAsync take the stored capabilities: GCM and OAEP when advertised, the default when unknown', () => withAlice(async (ring, handle, now) => {
  const cert = pemBase64(path.join(dir, 'alice.pem'));
  const advertised = { algorithms: ['aes256-gcm', 'aes256-cbc', 'rsaes-oaep'], signing_time: '2026-03-03T10:00:00Z', certificate_sha256: '' };
  const options = { recipients: [cert], capabilities: [advertised], at: now };
  const choice = ring.encryptionChoice(handle, options);
  assert.equal(choice.content_cipher, 'aes256-gcm');
  assert.equal(choice.recipients.length, 1, 'the sender is the recipient: one entry');
  assert.equal(choice.recipients[0].key_transport, 'rsa-oaep');
  assert.equal(choice.recipients[0].reason, 'advertised AES-GCM and RSA-OAEP in their signed mail of 3 March 2026; they read RSA-OAEP');
  const file = path.join(dir, 'enc-caps.eml');
  fs.writeFileSync(file, await ring.encryptAsync(handle, MESSAGE, options));
  const printed = openssl(['cms', '-cmsout', '-print', '-noout', '-in', file]).toString();
  assert.match(printed, /authEnvelopedData[\s\S]*aes-256-gcm/i);
  assert.match(printed, /rsaesOaep/);
  // Nothing known (null, or a signing time in seconds with no AES-GCM): AES-256-CBC, PKCS #1 v1.5.
  for (const caps of [[null], [{ algorithms: ['aes256-cbc'], signing_time: 1772532000, certificate_sha256: '' }]]) {
    const c = core.Keyring.prototype.encryptionChoice.call(ring, undefined, { recipients: [cert], capabilities: caps, at: now });
    assert.equal(c.content_cipher, 'aes256-cbc', JSON.stringify(caps));
    assert.equal(c.recipients[0].key_transport, 'rsa-pkcs1v15');
  }
  assert.match(ring.encryptionChoice(undefined, { recipients: [cert], at: now }).recipients[0].reason, /^no capabilities known yet; /);
}));
