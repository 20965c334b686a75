// What every part of the benchmark shares: the operations, the sizes, medians, running openssl,
// and the OpenSSL cross-check of every output (a failed check is an error, never a number).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The operations, in table order. */
export const OPS = ['sign', 'verify', 'encrypt-1', 'encrypt-10', 'decrypt', 'sign+encrypt', 'decrypt+verify', 'gcm-encrypt', 'gcm-decrypt'];

/**
 * Chromium only: Cachet opening the RSA-OAEP (SHA-256) inputs PKI.js opens, so both make the same
 * RSA private-key operation through WebCrypto (the OPS decrypt cells use PKCS#1 v1.5 for Cachet).
 */
export const OAEP_OPS = ['decrypt (RSA-OAEP)', 'gcm-decrypt (RSA-OAEP)'];

/** Ops whose output is a message made (checked by opening it); the others output recovered content. */
export const MAKES_MESSAGE = new Set(['sign', 'encrypt-1', 'encrypt-10', 'sign+encrypt', 'gcm-encrypt']);

/** The fixture input an op reads, for a size entry of makeFixtures(). */
export function inputOf(op, f) {
  switch (op) {
    case 'verify': return f.signed;
    case 'decrypt': return f.enc;
    case 'decrypt+verify': return f.signenc;
    case 'gcm-decrypt': return f.gcm;
    default: return f.msg;
  }
}

/** Wall and CPU milliseconds (this process, all its threads) of one awaited call, and its result. */
export async function timed(fn) {
  const c = process.cpuUsage();
  const t = performance.now();
  const out = await fn();
  const ms = performance.now() - t;
  const d = process.cpuUsage(c);
  return { out, ms, cpu: (d.user + d.system) / 1000 };
}

export function median(xs) {
  if (xs.length === 0) throw new Error('median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Rounds for a size: small messages are cheap and noisy, so they get more. */
export function roundsFor(size, rounds, quick) {
  if (quick) return rounds;
  if (size === '2KB') return rounds * 4;
  if (size === '1MB') return rounds * 2;
  return rounds;
}

/** Run openssl; returns stdout as a Buffer, throws with stderr on failure. */
export function openssl(args, opts = {}) {
  const r = spawnSync('openssl', args, { maxBuffer: 1 << 30, ...opts });
  if (r.error) throw new Error(`cannot run openssl: ${r.error.message} (npm test installs it; or apt-get install openssl)`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${String(r.stderr).trim()}`);
  return r.stdout;
}

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** Quoted-printable decoding of ASCII text (soft breaks and =XX escapes). */
function qpDecode(s) {
  return s.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * Cachet protects the header fields of what it signs and encrypts (RFC 9788): its content is
 * the input entity with the message's header fields in its header section and `hp` on its
 * Content-Type; encrypted, the outside Subject is recorded as `HP-Outer: Subject: [...]` and
 * the text part begins with the legacy display (the real Subject and a blank line, the part
 * re-encoded quoted-printable). Everything else is the input entity byte for byte.
 */
function sameAsProtectedEntity(got, fx, what) {
  const want = fs.readFileSync(fx.entity).toString('latin1');
  const message = fs.readFileSync(fx.msg).toString('latin1');
  const g = got.toString('latin1');
  const split = (s) => { const i = s.indexOf('\r\n\r\n'); return [s.slice(0, i + 2), s.slice(i + 4)]; };
  const [gotHead, gotBody] = split(g);
  const [wantHead, wantBody] = split(want);
  const head = gotHead.replace(/\r\n[ \t]+/g, ' ');
  const fail = (why) => { throw new Error(`${what}: the content is not the input entity with protected header fields: ${why}`); };
  const cipher = /hp="cipher"/.test(head);
  if (!cipher && !/hp="clear"/.test(head)) fail('no hp parameter');
  for (const line of split(message)[0].split('\r\n').filter((l) => l && !/^(MIME-Version|Content-[^:]*):/i.test(l))) {
    if (!head.includes(`${line}\r\n`)) fail(`the header field ${JSON.stringify(line)} is not inside`);
  }
  if (!head.includes(`${wantHead.split('\r\n')[0]}; hp=`)) fail('the Content-Type is not the input one with hp');
  if (cipher !== head.includes('HP-Outer: Subject: [...]\r\n')) fail('HP-Outer does not match the hp parameter');
  if (!cipher) {
    if (gotBody !== wantBody) fail(`the body differs at byte ${firstDifference(Buffer.from(gotBody, 'latin1'), Buffer.from(wantBody, 'latin1'))}`);
    return;
  }
  // Encrypted: the first (text) part carries the legacy display; from the next delimiter on, the bytes are the input's.
  const boundary = /boundary="([^"]+)"/.exec(wantHead)[1];
  const first = `--${boundary}\r\n`;
  const [gotPart, wantPart] = [gotBody, wantBody].map((b) => {
    if (!b.startsWith(first)) fail('the body does not start with its first part');
    return b.slice(first.length, b.indexOf(`\r\n--${boundary}\r\n`));
  });
  if (gotBody.slice(first.length + gotPart.length) !== wantBody.slice(first.length + wantPart.length)) fail('the parts after the text differ');
  const [gotTextHead, gotTextBody] = split(gotPart);
  const subject = /^Subject: (.*)$/m.exec(message)[1].replace(/\r$/, '');
  if (!/hp-legacy-display="1"/.test(gotTextHead)) fail('the text part is not marked hp-legacy-display');
  if (qpDecode(gotTextBody) !== `Subject: ${subject}\r\n\r\n${split(wantPart)[1]}`) fail('the text is not the legacy display and the input text');
}

function sameAsEntity(got, fx, what) {
  const want = fs.readFileSync(fx.entity);
  if (/^[^]*?\r\n\r\n/.exec(got.subarray(0, 4096).toString('latin1'))?.[0].includes('hp="')) {
    sameAsProtectedEntity(got, fx, what);
    return;
  }
  if (Buffer.compare(got, want) !== 0) {
    throw new Error(`${what}: the content is not the input message's MIME entity (${got.length} bytes vs ${want.length}, first difference at byte ${firstDifference(got, want)})`);
  }
}

/** The openssl -inform for a file: S/MIME text, PEM or DER. */
function informOf(file) {
  const head = Buffer.alloc(16);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 16, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (head[0] === 0x30) return 'DER';
  if (head.toString('latin1').startsWith('-----BEGIN')) return 'PEM';
  return 'SMIME';
}

/** openssl cms -verify of a message (or detached DER/PEM signature over the entity); returns the content. */
function verifyWithOpenssl(file, fixtures, fx, tmp) {
  const out = `${tmp}.verified`;
  const inform = informOf(file);
  // No -binary: openssl reads the signed part in canonical CRLF form, which it already is; with
  // -binary it misreads a multipart/signed whose lines all end in CRLF.
  const args = ['cms', '-verify', '-CAfile', fixtures.ca.cert, '-purpose', 'smimesign', '-in', file, '-inform', inform, '-out', out];
  if (inform !== 'SMIME') args.push('-binary', '-content', fx.entity);
  openssl(args);
  const got = fs.readFileSync(out);
  fs.rmSync(out, { force: true });
  return got;
}

function decryptWithOpenssl(file, rcpt, tmp) {
  const out = `${tmp}.decrypted`;
  openssl(['cms', '-decrypt', '-binary', '-recip', rcpt.cert, '-inkey', rcpt.key, '-in', file, '-inform', informOf(file), '-out', out]);
  return out;
}

/**
 * Cross-check one output with openssl. `output` is the message made (sign, encrypt-*, gcm-encrypt,
 * sign+encrypt) or the content recovered (verify, decrypt, decrypt+verify, gcm-decrypt).
 * Throws when the check fails; returns a one-line description of what was checked.
 */
export function crossCheck({ op, size, output, fixtures, label }) {
  const fx = fixtures.sizes[size];
  const what = `${label} ${op} ${size}`;
  if (!output || !fs.existsSync(output)) throw new Error(`${what}: no output file to check (${output})`);
  const tmp = `${output}.check`;
  const rc0 = fixtures.recipients[0];
  const rc9 = fixtures.recipients[fixtures.recipients.length - 1];
  try {
    switch (op) {
      case 'sign':
        sameAsEntity(verifyWithOpenssl(output, fixtures, fx, tmp), fx, what);
        return 'openssl cms -verify -CAfile ca.pem: valid, content = input entity';
      case 'encrypt-1':
      case 'gcm-encrypt': {
        const d = decryptWithOpenssl(output, rc0, tmp);
        sameAsEntity(fs.readFileSync(d), fx, what);
        fs.rmSync(d, { force: true });
        return 'openssl cms -decrypt (bob0): content = input entity';
      }
      case 'encrypt-10': {
        for (const r of [rc0, rc9]) {
          const d = decryptWithOpenssl(output, r, tmp);
          sameAsEntity(fs.readFileSync(d), fx, `${what} (${r.email})`);
          fs.rmSync(d, { force: true });
        }
        return 'openssl cms -decrypt (bob0 and bob9): content = input entity';
      }
      case 'sign+encrypt': {
        const d = decryptWithOpenssl(output, rc0, tmp);
        sameAsEntity(verifyWithOpenssl(d, fixtures, fx, tmp), fx, what);
        fs.rmSync(d, { force: true });
        return 'openssl cms -decrypt (bob0) then -verify -CAfile: valid, content = input entity';
      }
      case 'verify':
      case 'decrypt':
      case 'decrypt+verify':
      case 'gcm-decrypt':
      case 'decrypt (RSA-OAEP)':
      case 'gcm-decrypt (RSA-OAEP)':
        sameAsEntity(fs.readFileSync(output), fx, what);
        return 'recovered content = the entity openssl signed/encrypted';
      default:
        throw new Error(`${what}: unknown operation`);
    }
  } catch (e) {
    throw new Error(`CROSS-CHECK FAILED: ${e.message}`);
  }
}

/**
 * What Cachet must have said about an openssl-made input (its open report): valid for the
 * signed ones, the outer layer decrypted for the encrypted ones. Returns a short description.
 */
export function checkOpenReport(op, size, report, label) {
  const said = [];
  if (op.includes('decrypt')) {
    const layer = report.layers?.[0];
    if (layer?.kind !== 'encrypted' || layer?.status !== 'decrypted') {
      throw new Error(`CROSS-CHECK FAILED: ${label} ${op} ${size}: the outer layer is ${layer?.kind}/${layer?.status}, not encrypted/decrypted`);
    }
    said.push('decrypted');
  }
  if (op.includes('verify')) {
    if (report.status !== 'valid') throw new Error(`CROSS-CHECK FAILED: ${label} ${op} ${size}: status ${report.status}, not valid`);
    said.push('valid');
  }
  return `Cachet reports ${said.join(' and ')}`;
}

export function mkdirFor(file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

/** PEM certificate file -> base64 DER (what the Wasm exports take). */
export function certBase64(file) {
  return fs.readFileSync(file, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}
