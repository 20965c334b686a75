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

function openReport(bytes, options) {
  return core.openMessage(bytes, options);
}

test('Keyring signs in Wasm; OpenSSL verifies; openMessage says valid and then tampered', () => {
  const ring = new core.Keyring();
  try {
    const handle = ring.unlock(fs.readFileSync(path.join(dir, 'alice.p12')), 'pw');
    const facts = ring.certificates(handle);
    assert.deepEqual(facts[0].emails, ['alice@example.org']);
    const now = Math.floor(Date.now() / 1000);
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
  } finally {
    ring.free();
  }
});

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
