// The RSA-2048 private-key operation on its own, side by side in one run (issue 20's 4 ms
// target): Cachet's Wasm build opening a 2 KB message encrypted by openssl to bob0 (one
// RSAES-PKCS1-v1_5 key unwrap, blinded and CRT-checked, plus AES-256-CBC of 2 KB, which costs
// well under 0.1 ms), the same entity encrypted by openssl with RSA-OAEP (SHA-256) opened by
// Keyring.openAsync (the key unwrapped by WebCrypto's RSA-OAEP with the key imported at unlock)
// and by the synchronous Keyring.open (the OAEP unwrap in Wasm), WebCrypto RSA-OAEP (SHA-256)
// decryption of a wrapped 32-byte key with the same private key in the same Node process, and
// `openssl speed rsa2048` (private operations, native, CRT and blinding). Medians of
// interleaved rounds after a warm-up round.
//
//   node bench/rsa.mjs [--rounds N] [--pkg DIR] [--json FILE] [--work DIR] [--speed-seconds S]
//
// Wall-clock numbers on a shared machine are noisy (other processes take the CPU in the middle
// of a call), so each call is also timed in CPU time of this process (process.cpuUsage: user +
// system, all its threads, so WebCrypto's worker thread counts) and openssl speed runs without
// -elapsed (its CPU time). The CPU-time medians are the numbers to compare under load; the
// script prints the load average before and after.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { median, openssl, timed } from './common.mjs';
import { makeFixtures } from './fixtures.mjs';
import { PKG, loadCore } from './node.mjs';
import { parseRsa } from './speed.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const rounds = Number(arg('--rounds', '40'));
const pkg = path.resolve(arg('--pkg', PKG));
const jsonOut = arg('--json', null);
const work = path.resolve(arg('--work', path.join(ROOT, '.cache', 'bench')));
const speedSeconds = arg('--speed-seconds', '2');

function pemBody(text) {
  return Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** The private key file as PKCS#8 DER (openssl converts whatever form it has). */
function pkcs8Der(keyFile) {
  return openssl(['pkcs8', '-topk8', '-nocrypt', '-in', keyFile, '-outform', 'DER']);
}

/** openssl speed rsa2048: ms per private-key operation (its "sign" column, CPU time), native. */
function opensslPrivateMs() {
  // The same reading of the rsa2048 line as the benchmark harness (bench/speed.mjs).
  return parseRsa(String(openssl(['speed', '-seconds', speedSeconds, 'rsa2048'], { stdio: ['ignore', 'pipe', 'ignore'] }))).signMs;
}

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

// The Wasm build first: without it there is nothing to measure (and no fixtures to make).
const { core } = await loadCore(pkg);
const fixtures = await makeFixtures(work, { sizes: ['2KB'], log: (m) => console.error(m) });
const rcpt = fixtures.recipients[0];
const password = fs.readFileSync(rcpt.pass, 'utf8').replace(/\r?\n$/, '');
const message = fs.readFileSync(fixtures.sizes['2KB'].enc);
const entity = fs.readFileSync(fixtures.sizes['2KB'].entity);
// The entity encrypted by openssl with RSA-OAEP (SHA-256), checked by openssl decrypting it back.
const oaepFile = path.join(work, 'rsa-oaep-2KB.eml');
openssl(['cms', '-encrypt', '-binary', '-aes256', '-in', fixtures.sizes['2KB'].entity, '-out', oaepFile, '-recip', rcpt.cert,
  '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256']);
if (Buffer.compare(openssl(['cms', '-decrypt', '-binary', '-recip', rcpt.cert, '-inkey', rcpt.key, '-in', oaepFile]), entity) !== 0) {
  throw new Error('openssl does not decrypt its RSA-OAEP message back to the entity');
}
const oaepMessage = fs.readFileSync(oaepFile);

// Cachet: the keyring is unlocked once (as a session does); each round opens the message.
const ring = new core.Keyring();
ring.unlock(fs.readFileSync(rcpt.p12), password);
const at = Math.floor(Date.now() / 1000);
const openFn = typeof ring.openAsync === 'function' ? (m) => ring.openAsync(m, { at }) : async (m) => ring.open(m, { at });
async function cachetOnce(fn = openFn, bytes = message) {
  const { out: { content }, ms, cpu } = await timed(() => fn(bytes));
  if (!content || Buffer.compare(Buffer.from(content), entity) !== 0) throw new Error('Cachet did not decrypt the 2 KB message to its entity');
  return { ms, cpu };
}
const syncOpen = async (m) => ring.open(m, { at });
const runs = {
  cachet: () => cachetOnce(),
  cachetOaepAsync: () => cachetOnce(openFn, oaepMessage),
  cachetOaepSync: () => cachetOnce(syncOpen, oaepMessage),
  webcrypto: () => webcryptoOnce(),
};

// WebCrypto: RSA-OAEP SHA-256 with the same key, a 32-byte content-encryption key wrapped.
const subtle = webcrypto.subtle;
const der = pkcs8Der(rcpt.key);
const priv = await subtle.importKey('pkcs8', der, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
const certDer = pemBody(fs.readFileSync(rcpt.cert, 'utf8'));
const { X509Certificate } = await import('node:crypto');
const pubDer = new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'der' });
const pub = await subtle.importKey('spki', pubDer, { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
const cek = webcrypto.getRandomValues(new Uint8Array(32));
const wrapped = await subtle.encrypt({ name: 'RSA-OAEP' }, pub, cek);
async function webcryptoOnce() {
  const { out, ms, cpu } = await timed(async () => new Uint8Array(await subtle.decrypt({ name: 'RSA-OAEP' }, priv, wrapped)));
  if (Buffer.compare(Buffer.from(out), Buffer.from(cek)) !== 0) throw new Error('WebCrypto did not unwrap the key');
  return { ms, cpu };
}

const loadBefore = load();
for (const run of Object.values(runs)) await run();
const samples = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
for (let i = 0; i < rounds; i++) {
  const names = Object.keys(runs);
  const order = i % 2 ? names.reverse() : names;
  for (const who of order) samples[who].push(await runs[who]());
}
ring.free();
const nativeMs = opensslPrivateMs();
const stats = (xs) => ({ cpuMedianMs: median(xs.map((x) => x.cpu)), wallMedianMs: median(xs.map((x) => x.ms)), wallMinMs: Math.min(...xs.map((x) => x.ms)) });
const result = {
  at: new Date().toISOString(),
  rounds,
  wasm: path.relative(ROOT, path.join(pkg, 'cachet_bg.wasm')),
  cachetDecrypt2Kb: stats(samples.cachet),
  cachetDecrypt2KbOaepAsync: stats(samples.cachetOaepAsync),
  cachetDecrypt2KbOaepSync: stats(samples.cachetOaepSync),
  webcryptoOaep: stats(samples.webcrypto),
  opensslPrivateMs: nativeMs,
  loadavgBefore: loadBefore,
  loadavgAfter: load(),
  cpus: os.cpus().length,
};
const f = (x) => x.toFixed(2);
const line = (what, s) => console.log(`${what}: CPU median ${f(s.cpuMedianMs)} ms; wall median ${f(s.wallMedianMs)} ms, min ${f(s.wallMinMs)} ms`);
line(`Cachet Wasm (Node ${process.version}) decrypt 2 KB, PKCS#1 v1.5 key transport`, result.cachetDecrypt2Kb);
line('Cachet openAsync decrypt 2 KB, RSA-OAEP SHA-256 key transport (unwrapped by WebCrypto)', result.cachetDecrypt2KbOaepAsync);
line('Cachet open (sync) decrypt 2 KB, RSA-OAEP SHA-256 key transport (unwrapped in Wasm)', result.cachetDecrypt2KbOaepSync);
line('WebCrypto RSA-OAEP SHA-256 decrypt, same key', result.webcryptoOaep);
console.log(`openssl speed rsa2048, private operation (native, CPU time): ${f(nativeMs)} ms`);
console.log(`${rounds} interleaved rounds; load average before ${result.loadavgBefore}, after ${result.loadavgAfter} (${result.cpus} CPUs)`);
if (jsonOut) fs.writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
