// Benchmark fixtures: deterministic test messages (RFC 5322, CRLF, a text part and a base64
// attachment) of 2 KB, 1 MB, 10 MB and 25 MB, a small test PKI made with openssl (a CA, the
// signer alice and ten recipients bob0..bob9, RSA-2048, SHA-256), and the inputs of the receiving
// operations made by openssl (signed, encrypted, signed-then-encrypted, AES-256-GCM). Everything
// is cached in the fixture directory: a second run with the same fixture version only checks.
import fs from 'node:fs';
import path from 'node:path';
import { makePki } from '../scripts/lib/pki.mjs';
import { openssl } from './common.mjs';

/** Bump when anything below changes what is generated: old fixture directories are rebuilt. */
export const FIXTURE_VERSION = 6;

/** The workload sizes of the benchmark and their exact byte lengths. */
export const SIZES = { '2KB': 2048, '1MB': 1 << 20, '10MB': 10 << 20, '25MB': 25 << 20 };

export const PASSWORD = 'bench-pass';
export const RECIPIENTS = 10;

/** The RFC 5322 header block every message carries (the outer headers of the mail). */
export function outerHeaders(size) {
  return [
    'From: Alice Example <alice@example.com>',
    'To: Bob Zero <bob0@example.com>',
    `Subject: Cachet benchmark message (${size})`,
    'Date: Sun, 01 Nov 2026 10:00:00 +0000',
    `Message-ID: <bench-${size.toLowerCase()}@example.com>`,
    'MIME-Version: 1.0',
  ].join('\r\n') + '\r\n';
}

/** A small seeded PRNG (mulberry32): the same seed gives the same bytes on every machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedOf(text) {
  let h = 2166136261;
  for (const c of Buffer.from(text)) h = Math.imul(h ^ c, 16777619) >>> 0;
  return h;
}

const WORDS = ('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore '
  + 'et dolore magna aliqua message signed encrypted certificate recipient mailbox attachment report meeting '
  + 'invoice contract budget quarterly review please find attached regards thanks tomorrow office').split(' ');

/** `n` bytes of text: words in lines of at most 76 characters, CRLF after each line, exactly n bytes. */
function textBody(n, rand) {
  const lines = [];
  let total = 0;
  while (total < n) {
    const left = n - total;
    if (left <= 2) {
      // Too short for a line plus CRLF: lengthen the previous line instead.
      const last = lines.pop() ?? '';
      lines.push(last.slice(0, -2) + 'x'.repeat(left) + '\r\n');
      total += left;
      break;
    }
    let line = '';
    const width = Math.min(72, left - 2);
    while (true) {
      const w = WORDS[Math.floor(rand() * WORDS.length)];
      const next = line === '' ? w : `${line} ${w}`;
      if (next.length > width) break;
      line = next;
    }
    line = line.padEnd(width, '.');
    lines.push(`${line}\r\n`);
    total += line.length + 2;
  }
  return lines.join('');
}

/** Base64 with 76-character lines, CRLF after each. */
function base64Lines(bytes) {
  const b64 = bytes.toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += `${b64.slice(i, i + 76)}\r\n`;
  return out;
}

/** Length of base64Lines() of n bytes. */
function base64LinesLength(n) {
  const chars = 4 * Math.ceil(n / 3);
  return chars + 2 * Math.ceil(chars / 76);
}

/**
 * The MIME entity of a message (Content-Type header and body; what is signed and encrypted) and
 * the whole message (outer headers + entity), exactly `total` bytes, deterministic for a size.
 */
export function makeMessage(size, total = SIZES[size]) {
  const rand = prng(seedOf(`cachet-bench-${size}`));
  const boundary = `=_cachet-bench-${size.toLowerCase()}`;
  const head = outerHeaders(size);
  const entityHead = `Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n`
    + `--${boundary}\r\n`
    + 'Content-Type: text/plain; charset=utf-8\r\n'
    + 'Content-Transfer-Encoding: 7bit\r\n\r\n';
  const middle = `\r\n--${boundary}\r\n`
    + 'Content-Type: application/octet-stream; name="data.bin"\r\n'
    + 'Content-Transfer-Encoding: base64\r\n'
    + 'Content-Disposition: attachment; filename="data.bin"\r\n\r\n';
  const tail = `--${boundary}--\r\n`;
  const fixed = head.length + entityHead.length + middle.length + tail.length;
  const budget = total - fixed;
  if (budget < 200) throw new Error(`a ${size} message cannot hold its headers (${total} bytes)`);
  // About a quarter of the room is text, the rest the attachment; the text absorbs the rounding.
  let raw = Math.floor((budget * 0.75) * 3 / 4 / 78 * 76);
  while (raw > 0 && budget - base64LinesLength(raw) < budget / 5) raw -= 57;
  const attachment = Buffer.alloc(raw);
  for (let i = 0; i < raw; i++) attachment[i] = Math.floor(rand() * 256);
  const b64 = base64Lines(attachment);
  const text = textBody(budget - b64.length, rand);
  const entity = entityHead + text + middle + b64 + tail;
  const message = head + entity;
  if (message.length !== total) throw new Error(`internal: ${size} message is ${message.length} bytes, not ${total}`);
  return { head: Buffer.from(head), entity: Buffer.from(entity), message: Buffer.from(message) };
}

/** Every bare LF becomes CRLF (openssl writes LF; a real mail has CRLF). */
export function toCrlf(buf) {
  const out = Buffer.alloc(buf.length * 2);
  let j = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x0a && (i === 0 || buf[i - 1] !== 0x0d)) out[j++] = 0x0d;
    out[j++] = c;
  }
  return out.subarray(0, j);
}

async function makeBenchPki(dir) {
  const people = [{ name: 'signer', cn: 'Alice Example', email: 'alice@example.com' }];
  // Only bob0 decrypts (his PKCS#12 is unlocked); bob1..bob9 are certificates to encrypt to.
  for (let i = 0; i < RECIPIENTS; i++) people.push({ name: `rcpt${i}`, cn: `Bob ${i}`, email: `bob${i}@example.com`, p12: i === 0 });
  for (const p of people) p.subject = `/O=Cachet Benchmark/CN=${p.cn}/emailAddress=${p.email}`;
  await makePki(dir, { ca: { o: 'Cachet Benchmark', cn: 'Cachet Benchmark CA' }, people, password: PASSWORD, days: 1825 });
  fs.writeFileSync(path.join(dir, 'signer.pass'), `${PASSWORD}\n`);
}

/** The receiving inputs for one size, made by openssl from the message's MIME entity. */
function makeInputs(dir, size, msg) {
  const f = (n) => path.join(dir, n);
  const tmp = f(`in/.tmp-${size}`);
  fs.mkdirSync(tmp, { recursive: true });
  const t = (n) => path.join(tmp, n);
  fs.writeFileSync(t('entity'), msg.entity);
  const sign = (input, out) => openssl(['cms', '-sign', '-binary', '-crlfeol', '-md', 'sha256', '-in', input,
    '-signer', f('signer.pem'), '-inkey', f('signer.key'), '-certfile', f('ca.pem'), '-out', out]);
  const encrypt = (input, out, cipher) => openssl(['cms', '-encrypt', '-binary', '-crlfeol', cipher, '-in', input,
    '-out', out, f('rcpt0.pem')]);
  // The outer RFC 5322 headers without MIME-Version (openssl writes its own).
  const head = Buffer.from(msg.head.toString('latin1').replace(/^MIME-Version:.*\r\n/m, ''), 'latin1');
  const mail = (file) => Buffer.concat([head, toCrlf(fs.readFileSync(file))]);

  sign(t('entity'), t('signed'));
  fs.writeFileSync(f(`in/signed-${size}.eml`), mail(t('signed')));
  encrypt(t('entity'), t('enc'), '-aes256');
  fs.writeFileSync(f(`in/enc-${size}.eml`), mail(t('enc')));
  // Sign, then encrypt the signed entity (what a mail client sends as signed and encrypted).
  fs.writeFileSync(t('signed-entity'), toCrlf(fs.readFileSync(t('signed'))));
  encrypt(t('signed-entity'), t('signenc'), '-aes256');
  fs.writeFileSync(f(`in/signenc-${size}.eml`), mail(t('signenc')));
  encrypt(t('entity'), t('gcm'), '-aes-256-gcm');
  fs.writeFileSync(f(`in/gcm-${size}.eml`), mail(t('gcm')));
  fs.rmSync(tmp, { recursive: true, force: true });

  // openssl itself must still read the CRLF files.
  const ca = f('ca.pem');
  // Verification without -binary: openssl then reads the signed part in canonical (CRLF) form,
  // which is what it is; with -binary it misreads a multipart/signed whose lines all end in CRLF.
  const check = (args, what) => {
    const out = openssl(['cms', ...args, '-out', '-']);
    if (Buffer.compare(out, msg.entity) !== 0) throw new Error(`openssl did not get the ${size} entity back from ${what}`);
  };
  check(['-verify', '-CAfile', ca, '-in', f(`in/signed-${size}.eml`)], `in/signed-${size}.eml`);
  check(['-decrypt', '-binary', '-recip', f('rcpt0.pem'), '-inkey', f('rcpt0.key'), '-in', f(`in/enc-${size}.eml`)], `in/enc-${size}.eml`);
  check(['-decrypt', '-binary', '-recip', f('rcpt0.pem'), '-inkey', f('rcpt0.key'), '-in', f(`in/gcm-${size}.eml`)], `in/gcm-${size}.eml`);
  const inner = openssl(['cms', '-decrypt', '-binary', '-recip', f('rcpt0.pem'), '-inkey', f('rcpt0.key'), '-in', f(`in/signenc-${size}.eml`)]);
  const innerFile = t('inner');
  fs.mkdirSync(tmp, { recursive: true });
  fs.writeFileSync(innerFile, inner);
  check(['-verify', '-CAfile', ca, '-in', innerFile], `in/signenc-${size}.eml`);
  fs.rmSync(tmp, { recursive: true, force: true });
}

function describe(dir, sizes) {
  const f = (n) => path.join(dir, n);
  const out = {
    dir,
    version: FIXTURE_VERSION,
    password: PASSWORD,
    ca: { cert: f('ca.pem'), key: f('ca.key') },
    signer: { email: 'alice@example.com', cert: f('signer.pem'), key: f('signer.key'), p12: f('signer.p12'), pass: f('signer.pass') },
    recipients: [],
    sizes: {},
  };
  for (let i = 0; i < RECIPIENTS; i++) {
    out.recipients.push({ email: `bob${i}@example.com`, cert: f(`rcpt${i}.pem`), key: f(`rcpt${i}.key`), p12: i === 0 ? f(`rcpt${i}.p12`) : null, pass: f('signer.pass') });
  }
  for (const size of sizes) {
    out.sizes[size] = {
      bytes: SIZES[size],
      // The whole message, and its MIME entity alone: what signing covers and decryption gives back.
      msg: f(`msg-${size}.eml`),
      entity: f(`entity-${size}.eml`),
      signed: f(`in/signed-${size}.eml`),
      enc: f(`in/enc-${size}.eml`),
      signenc: f(`in/signenc-${size}.eml`),
      gcm: f(`in/gcm-${size}.eml`),
    };
  }
  return out;
}

/**
 * Create (or reuse) the fixtures in `dir` for the given sizes (names of SIZES). Returns the paths:
 * `{ dir, version, password, ca, signer, recipients: [{cert, key, p12 (bob0's only, else null), pass}], sizes: {<size>: {bytes,
 * msg, entity, signed, enc, signenc, gcm}} }`.
 */
export async function makeFixtures(dir, { sizes = Object.keys(SIZES), log = () => {} } = {}) {
  for (const s of sizes) if (!(s in SIZES)) throw new Error(`unknown size ${s}: use ${Object.keys(SIZES).join(', ')}`);
  fs.mkdirSync(path.join(dir, 'in'), { recursive: true });
  const stampFile = path.join(dir, 'fixtures.json');
  let stamp = null;
  try {
    stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8'));
  } catch {
    stamp = null;
  }
  const described = describe(dir, Object.keys(SIZES));
  const pkiFiles = [described.ca.cert, described.ca.key, described.signer.p12, described.signer.key, ...described.recipients.flatMap((r) => [r.cert, r.key, r.p12].filter(Boolean))];
  const pkiOk = stamp?.version === FIXTURE_VERSION && pkiFiles.every((p) => fs.existsSync(p));
  if (!pkiOk) {
    log('fixtures: making the test PKI (openssl, RSA-2048)');
    await makeBenchPki(dir);
    stamp = { version: FIXTURE_VERSION, sizes: [] };
    fs.writeFileSync(stampFile, `${JSON.stringify(stamp)}\n`);
  }
  for (const size of sizes) {
    const d = described.sizes[size];
    const files = [d.msg, d.entity, d.signed, d.enc, d.signenc, d.gcm];
    if (stamp.sizes.includes(size) && files.every((p) => fs.existsSync(p))) continue;
    log(`fixtures: ${size} message and its openssl-made inputs`);
    const msg = makeMessage(size);
    fs.writeFileSync(d.msg, msg.message);
    fs.writeFileSync(d.entity, msg.entity);
    makeInputs(dir, size, msg);
    stamp.sizes = [...new Set([...stamp.sizes, size])];
    fs.writeFileSync(stampFile, `${JSON.stringify(stamp)}\n`);
  }
  return describe(dir, sizes);
}
