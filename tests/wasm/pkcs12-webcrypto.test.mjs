// The password hashing of PKCS#12 import and backup export by WebCrypto (unlockAsync,
// Keyring.exportBackupAsync) under Node, observed through a wrapped crypto.subtle:
// the async unlock gives the identity the sync unlock gives, with PBKDF2 by deriveBits; the
// async backup is read by `openssl pkcs12` and by the sync unlock; a wrong passphrase fails
// with the sync error before any PBKDF2 derivation; WebCrypto refusing or missing gives the
// same results from the core; and iteration counts over the limits are refused before any
// derivation (a hostile file built here).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, after, afterEach, test } from 'node:test';
import { ROOT, makePki, openssl } from '../shared.mjs';

const PKG = path.join(ROOT, 'addin', 'pkg');
let core;
let dir;
let pki;
const f = (n) => path.join(dir, n);
const PW = 'pw';
const BACKUP_PW = 'backup pässword';

const subtle = globalThis.crypto.subtle;
const realDeriveBits = subtle.deriveBits;
/** The deriveBits calls made since the last reset. */
let derived = [];

before(async () => {
  core = await import(path.join(PKG, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(PKG, 'cachet_bg.wasm')) });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-wasm-pkcs12-'));
  pki = await makePki(dir, { ca: { cn: 'KDF Test Root' }, people: [{ name: 'alice', cn: 'alice', email: 'alice@example.org', serial: 7 }], password: PW });
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

function observe(replacement) {
  derived = [];
  subtle.deriveBits = function (alg, key, length) {
    derived.push({ name: alg.name, hash: alg.hash, iterations: alg.iterations, length });
    return replacement ? replacement(alg, key, length) : realDeriveBits.call(subtle, alg, key, length);
  };
}

afterEach(() => {
  delete subtle.deriveBits;
  assert.equal(subtle.deriveBits, realDeriveBits);
});

function errorOf(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('no error');
}

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('no rejection');
}

/** What identifies an unlocked identity from outside: its certificates' facts and a signature OpenSSL verifies with its certificate. */
async function describe(ring, handle) {
  const msg = new TextEncoder().encode('From: alice@example.org\r\nSubject: k\r\n\r\nkey check\r\n');
  const signed = await ring.signAsync(handle, msg, true, Math.floor(Date.now() / 1000));
  fs.writeFileSync(f('signed.eml'), signed);
  openssl(['cms', '-verify', '-in', f('signed.eml'), '-CAfile', pki.ca.pem, '-out', f('signed.out')]);
  return JSON.stringify([ring.certificates(handle), ring.encryptionCertificate(handle)]);
}

/**
 * Alice's backup as exportBackupAsync made it (600,000 iterations: about half a second of
 * CPU): kept by the export test for the tests that only read a backup, made again when that
 * test did not run first.
 */
let aliceBackup = null;
async function backupOfAlice() {
  if (aliceBackup === null) {
    const ring = new core.Keyring();
    aliceBackup = await ring.exportBackupAsync(ring.unlock(fs.readFileSync(pki.people.alice.p12), PW), BACKUP_PW);
    ring.free();
  }
  return aliceBackup;
}

/** The public key of a PEM private key file, as OpenSSL prints it. */
const publicOf = (keyFile) => openssl(['pkey', '-in', keyFile, '-pubout']);

test('unlockAsync: the identity of the sync unlock, its PBES2 PBKDF2 derivations by WebCrypto deriveBits', async () => {
  const p12 = fs.readFileSync(pki.people.alice.p12);
  const ring = new core.Keyring();
  const sync = ring.unlock(p12, PW);
  observe();
  const handle = ring.add(await core.unlockAsync(p12, PW));
  // OpenSSL's default file: the certificates' encryptedData and the shrouded key, both
  // PBKDF2-HMAC-SHA-256 (2048 iterations) for AES-256-CBC; the MAC's key stays in the core.
  assert.deepEqual(derived, [
    { name: 'PBKDF2', hash: 'SHA-256', iterations: 2048, length: 256 },
    { name: 'PBKDF2', hash: 'SHA-256', iterations: 2048, length: 256 },
  ]);
  assert.equal(await describe(ring, handle), await describe(ring, sync));
  ring.free();
});

test('exportBackupAsync: OpenSSL and the sync unlock read the backup; 600,000 iterations by deriveBits', async () => {
  const ring = new core.Keyring();
  const handle = ring.unlock(fs.readFileSync(pki.people.alice.p12), PW);
  observe();
  const backup = await ring.exportBackupAsync(handle, BACKUP_PW);
  // One salt for the certificates' and the key's bag (a fresh IV each): one derivation.
  assert.deepEqual(derived, [
    { name: 'PBKDF2', hash: 'SHA-256', iterations: 600000, length: 256 },
  ]);
  aliceBackup = backup;
  fs.writeFileSync(f('backup.p12'), backup);
  // `-info` writes what it found to stderr.
  const run = spawnSync('openssl', ['pkcs12', '-in', f('backup.p12'), '-passin', `pass:${BACKUP_PW}`, '-info', '-nodes', '-out', f('backup.pem')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const info = run.stdout + run.stderr;
  assert.match(info, /PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256/);
  assert.match(info, /MAC: sha256, Iteration 600000/);
  assert.equal(publicOf(f('backup.pem')), publicOf(pki.people.alice.key));
  // The sync unlock reads it, and so does the async one (now with 600,000 iterations).
  const back = ring.unlock(backup, BACKUP_PW);
  observe();
  const again = ring.add(await core.unlockAsync(backup, BACKUP_PW));
  assert.equal(derived.length, 1, 'an unlock of a backup derives its one key once');
  const backDescribed = await describe(ring, back);
  assert.equal(await describe(ring, again), backDescribed);
  assert.equal(backDescribed, await describe(ring, handle));
  ring.free();
});

test('a wrong passphrase: the sync error, before any PBKDF2 derivation (the MAC fails first)', async () => {
  const ring = new core.Keyring();
  const backup = await backupOfAlice();
  const sync = errorOf(() => ring.unlock(backup, 'wrong passphrase'));
  observe();
  const failed = await rejection(core.unlockAsync(backup, 'wrong passphrase'));
  assert.equal(derived.length, 0);
  // The session's rate limit counts exactly this code (addin/src/keyring/session.ts).
  assert.equal(failed.code, 'wrong-password');
  assert.deepEqual(failed, sync);
  ring.free();
});

/**
 * Unlock a backup the core derived itself (WebCrypto refused or missing) with WebCrypto's
 * PBKDF2: another implementation than the one that wrote it checks its key (the sync unlock
 * would repeat the core's 600,000 iterations in Wasm, about 0.4 s of CPU a read; the sync
 * reading of a backup is the export test's).
 */
async function readByWebCrypto(ring, backup) {
  observe();
  const handle = ring.add(await core.unlockAsync(backup, BACKUP_PW));
  assert.deepEqual(derived, [{ name: 'PBKDF2', hash: 'SHA-256', iterations: 600000, length: 256 }], 'the backup read by WebCrypto deriveBits');
  return handle;
}

test('WebCrypto refusing, or missing, gives the same identity and backups from the core', async () => {
  const p12 = fs.readFileSync(pki.people.alice.p12);
  const ring = new core.Keyring();
  const sync = ring.unlock(p12, PW);
  observe(() => Promise.reject(new DOMException('refused by the test', 'OperationError')));
  const refused = ring.add(await core.unlockAsync(p12, PW));
  assert.equal(derived.length, 2);
  const backup = await ring.exportBackupAsync(refused, BACKUP_PW);
  assert.equal(derived.length, 3, 'the export asked WebCrypto, was refused, and derived in the core');
  const syncDescribed = await describe(ring, sync);
  assert.equal(await describe(ring, await readByWebCrypto(ring, backup)), syncDescribed);
  assert.equal(await describe(ring, refused), syncDescribed);
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  const real = globalThis.crypto;
  let b2;
  Object.defineProperty(globalThis, 'crypto', { value: { getRandomValues: (a) => real.getRandomValues(a) }, configurable: true, writable: true });
  try {
    const none = ring.add(await core.unlockAsync(p12, PW));
    b2 = await ring.exportBackupAsync(none, BACKUP_PW);
  } finally {
    Object.defineProperty(globalThis, 'crypto', descriptor);
  }
  assert.equal(globalThis.crypto, real);
  assert.equal(await describe(ring, await readByWebCrypto(ring, b2)), syncDescribed);
  ring.free();
});

// A minimal DER writer for the hostile files.
const der = {
  tlv(tag, body) {
    const n = body.length;
    const len = n < 128 ? [n] : n < 256 ? [0x81, n] : n < 65536 ? [0x82, n >> 8, n & 255] : [0x83, n >> 16, (n >> 8) & 255, n & 255];
    return Buffer.from([tag, ...len, ...body]);
  },
  seq: (...parts) => der.tlv(0x30, Buffer.concat(parts)),
  int(v) {
    const bytes = [];
    for (let x = v; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 255);
    if (bytes.length === 0 || bytes[0] & 0x80) bytes.unshift(0);
    return der.tlv(0x02, bytes);
  },
  oid(s) {
    const [a, b, ...rest] = s.split('.').map(Number);
    const out = [a * 40 + b];
    for (const v of rest) {
      const enc = [v & 127];
      for (let x = v >> 7; x > 0; x >>= 7) enc.unshift((x & 127) | 128);
      out.push(...enc);
    }
    return der.tlv(0x06, out);
  },
  octets: (b) => der.tlv(0x04, b),
};

/** A PFX without a MAC whose every encryptedData asks PBES2 PBKDF2-HMAC-SHA-256 for `iterations`. */
function hostileP12(iterations) {
  const infos = iterations.map((n, i) => {
    const pbkdf2 = der.seq(der.oid('1.2.840.113549.1.5.12'), der.seq(der.octets(Buffer.alloc(16, i + 1)), der.int(n), der.seq(der.oid('1.2.840.113549.2.9'), Buffer.from([5, 0]))));
    const aes = der.seq(der.oid('2.16.840.1.101.3.4.1.42'), der.octets(Buffer.alloc(16, 9)));
    const alg = der.seq(der.oid('1.2.840.113549.1.5.13'), der.seq(pbkdf2, aes));
    const eci = der.seq(der.oid('1.2.840.113549.1.7.1'), alg, der.tlv(0x80, Buffer.alloc(64, 7)));
    return der.seq(der.oid('1.2.840.113549.1.7.6'), der.tlv(0xa0, der.seq(der.int(0), eci)));
  });
  const authSafe = der.seq(...infos);
  return der.seq(der.int(3), der.seq(der.oid('1.2.840.113549.1.7.1'), der.tlv(0xa0, der.octets(authSafe))));
}

test('iteration counts over the limits are refused before any derivation', async () => {
  const MAX = 10_000_000; // pkcs12::MAX_ITERATIONS; three of them fill MAX_TOTAL_ITERATIONS
  const ring = new core.Keyring();
  const one = hostileP12([MAX + 1]);
  const sync = errorOf(() => ring.unlock(one, PW));
  observe();
  const started = process.cpuUsage();
  const failed = await rejection(core.unlockAsync(one, PW));
  assert.deepEqual(failed, sync);
  assert.equal(failed.code, 'limit-exceeded');
  // Four bags at the per-derivation limit: the fourth is over the file's budget, refused
  // in the first run, before any of the four is derived (the sync unlock would derive three).
  const four = await rejection(core.unlockAsync(hostileP12([MAX, MAX, MAX, MAX]), PW));
  assert.equal(four.code, 'limit-exceeded');
  assert.match(four.detail, /MAX_TOTAL_ITERATIONS/);
  assert.equal(derived.length, 0);
  const cpu = process.cpuUsage(started);
  assert.ok(cpu.user + cpu.system < 2e6, `refused at once (${cpu.user + cpu.system} µs CPU)`);
  // Under the budget the same shape is derived by WebCrypto and fails as a wrong password.
  const small = await rejection(core.unlockAsync(hostileP12([1000, 1000]), PW));
  assert.equal(small.code, 'wrong-password');
  assert.equal(derived.length, 2);
  assert.deepEqual(small, errorOf(() => ring.unlock(hostileP12([1000, 1000]), PW)));
  ring.free();
});
