// The core through its WebAssembly build under Node: certSummary on real certificates from the
// shared corpus, compared field by field with what openssl says about the same files, and bad
// input giving a typed error without killing the instance.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { ROOT, openssl, opensslFacts, sharedFile } from '../shared.mjs';

const PKG = path.join(ROOT, 'addin', 'pkg');
let core;

before(async () => {
  core = await import(path.join(PKG, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(PKG, 'cachet_bg.wasm')) });
});

/** certSummary; rethrows a thrown core error ({code, message, hint}) inside an Error. */
function summary(bytes) {
  try {
    return core.certSummary(bytes);
  } catch (e) {
    if (e && typeof e === 'object' && !(e instanceof Error)) throw Object.assign(new Error('core error'), { core: e });
    throw e;
  }
}

function coreError(bytes) {
  try {
    core.certSummary(bytes);
  } catch (e) {
    assert.ok(e && typeof e === 'object' && !(e instanceof Error), 'the core throws its errors as plain objects');
    assert.deepEqual(Object.keys(e).filter((k) => k !== 'detail'), ['code', 'message', 'hint']);
    return e;
  }
  assert.fail('certSummary accepted bad input');
}

const stripZeros = (hex) => hex.toUpperCase().replace(/^(00)+(?=..)/, '');

function assertMatchesOpenssl(facts, ref) {
  assert.equal(facts.sha256, ref.sha256, 'SHA-256 fingerprint');
  assert.equal(stripZeros(facts.serial), stripZeros(ref.serial), 'serial');
  assert.equal(facts.common_name, ref.commonName, 'common name');
  assert.ok(facts.subject.includes(ref.commonName), `subject "${facts.subject}" names ${ref.commonName}`);
  assert.equal(facts.key.bits, ref.bits, 'key size');
  assert.equal(new Date(facts.not_after).getTime(), ref.notAfter, 'notAfter');
  assert.deepEqual(
    [...facts.emails].map((e) => e.toLowerCase()).sort(),
    [...new Set(ref.emails.map((e) => e.toLowerCase()))].sort(),
    'e-mail addresses',
  );
}

test('version is the crate version', () => {
  const cargo = fs.readFileSync(path.join(ROOT, 'crate', 'Cargo.toml'), 'utf8');
  const want = cargo.match(/^version = "([^"]+)"/m)[1];
  assert.equal(core.version(), want);
});

test('PEM CA certificate (Thunderbird/NSS TestCA.pem)', (t) => {
  const file = sharedFile(t, 'corpus/thunderbird-comm-central/smime/TestCA.pem');
  if (!file) return;
  const certs = summary(fs.readFileSync(file));
  assert.equal(certs.length, 1);
  const [ca] = certs;
  assertMatchesOpenssl(ca, opensslFacts(file, 'PEM'));
  assert.equal(ca.common_name, 'NSS Test CA (RSA)');
  assert.equal(ca.key.algorithm, 'RSA');
  assert.equal(ca.is_ca, true);
  assert.equal(ca.self_signed, true);
  assert.equal(ca.usable_for.sign, false, 'a CA certificate is not a personal signing certificate');
});

test('DER leaf certificate with an e-mail address (RFC 4134 AliceRSASignByCarl.cer)', (t) => {
  const file = sharedFile(t, 'corpus/rfc4134-examples/AliceRSASignByCarl.cer');
  if (!file) return;
  const bytes = fs.readFileSync(file);
  assert.notEqual(bytes[0], 0x2d, 'this file is DER, not PEM');
  const [alice] = summary(bytes);
  const ref = opensslFacts(file, 'DER');
  assert.ok(ref.emails.length > 0, 'openssl sees an e-mail address in this certificate');
  assertMatchesOpenssl(alice, ref);
  assert.equal(alice.is_ca, false);
});

test('leaf certificate taken out of a PKCS#12 file by openssl (Thunderbird Alice.p12)', (t) => {
  const p12 = sharedFile(t, 'corpus/thunderbird-comm-central/smime/Alice.p12');
  if (!p12) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-wasm-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pem = path.join(dir, 'alice.pem');
  openssl(['pkcs12', '-in', p12, '-passin', 'pass:nss', '-nokeys', '-clcerts', '-out', pem]);
  const [alice] = summary(fs.readFileSync(pem));
  assertMatchesOpenssl(alice, opensslFacts(pem, 'PEM'));
  assert.ok(alice.emails.map((e) => e.toLowerCase()).includes('alice@example.com'));
  assert.equal(alice.usable_for.sign, true, `Alice can sign (${alice.usable_for.reasons.join('; ')})`);
});

test('a PEM bundle gives one entry per certificate, in order', (t) => {
  const a = sharedFile(t, 'corpus/thunderbird-comm-central/smime/TestCA.pem');
  const b = sharedFile(t, 'corpus/rfc4134-examples/AliceRSASignByCarl.cer');
  if (!a || !b) return;
  const alicePem = openssl(['x509', '-in', b, '-inform', 'DER', '-outform', 'PEM']);
  const bundle = Buffer.concat([Buffer.from(alicePem), fs.readFileSync(a)]);
  const certs = summary(bundle);
  assert.equal(certs.length, 2);
  assert.equal(certs[0].sha256, opensslFacts(b, 'DER').sha256);
  assert.equal(certs[1].sha256, opensslFacts(a, 'PEM').sha256);
});

test('garbage gives bad-certificate, and the instance keeps working', () => {
  const inputs = [
    new Uint8Array(0),
    new Uint8Array([0x30, 0x82, 0xff, 0xff, 0x01]), // truncated DER
    new TextEncoder().encode('This is not a certificate.\n'),
    new TextEncoder().encode('-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n'),
    Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff),
  ];
  for (const bytes of inputs) {
    const err = coreError(bytes);
    assert.equal(err.code, 'bad-certificate', `code for ${bytes.length} bytes`);
    assert.ok(err.message.length > 10, 'a sentence for the user');
    assert.ok(err.hint.length > 10, 'a hint at the fix');
  }
  // Still alive: a good call after the errors.
  assert.match(core.version(), /^\d+\.\d+\.\d+/);
  const ca = openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null',
    '-days', '30', '-subj', '/CN=After The Errors']);
  assert.equal(summary(new TextEncoder().encode(ca)).length, 1);
});

test('a PEM file without a certificate (a private key) is refused with a hint', () => {
  const key = openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  const err = coreError(new TextEncoder().encode(key));
  assert.equal(err.code, 'bad-certificate');
});

test('an EC P-384 certificate generated by openssl now: algorithm, curve and size', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-wasm-'));
  try {
    const key = path.join(dir, 'k.pem');
    const crt = path.join(dir, 'c.pem');
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', key, '-out', crt,
      '-days', '30', '-subj', '/CN=Erin Example/emailAddress=erin@example.org', '-addext', 'subjectAltName=email:erin@example.net']);
    const [erin] = summary(fs.readFileSync(crt));
    // openssl lists every address it finds (subject emailAddress and SAN); the subject's
    // legacy emailAddress is bound only when the SAN names no address (issue 12), so
    // Cachet's list is the SAN's alone.
    const ref = opensslFacts(crt, 'PEM');
    assert.deepEqual([...ref.emails].sort(), ['erin@example.net', 'erin@example.org']);
    assertMatchesOpenssl(erin, { ...ref, emails: ['erin@example.net'] });
    assert.equal(erin.key.algorithm, 'EC');
    assert.equal(erin.key.curve, 'P-384');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
