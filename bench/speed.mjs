// The pure crypto cost of a cell, from `openssl speed` on this machine: bytes hashed / SHA-256
// rate + bytes ciphered / AES rate + RSA operations x RSA operation time. The benchmark's 3x target
// compares Cachet's time at 10 and 25 MB with this.
import { spawnSync } from 'node:child_process';

const BLOCK = 16384;

function speed(args) {
  const r = spawnSync('openssl', ['speed', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl speed ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Bytes per second from an `openssl speed -evp` table (the last column: the largest block). */
export function parseRate(text, label) {
  const line = text.split('\n').find((l) => l.trim().toUpperCase().startsWith(label.toUpperCase()) && /\d+\.\d+k\s*$/.test(l));
  if (!line) throw new Error(`no ${label} line in openssl speed output:\n${text}`);
  const cols = line.trim().split(/\s+/);
  return Number.parseFloat(cols[cols.length - 1]) * 1000;
}

/** { signMs, verifyMs } from `openssl speed rsa2048`. */
export function parseRsa(text) {
  const m = text.match(/^rsa\s+2048 bits\s+([\d.]+)s\s+([\d.]+)s/m);
  if (!m) throw new Error(`no rsa 2048 line in openssl speed output:\n${text}`);
  return { signMs: Number(m[1]) * 1000, verifyMs: Number(m[2]) * 1000 };
}

/**
 * The measurements, each one `openssl speed` run of `seconds` (RSA two: its private and its
 * public operation), the rates (results.speed keys) each gives, and how it gets them.
 */
const MEASURES = {
  sha256: { what: 'SHA-256', rates: ['sha256'], run: (evp) => ({ sha256: parseRate(evp('sha256'), 'sha256') }) },
  'cbc-enc': { what: 'AES-256-CBC encrypt', rates: ['cbcEnc'], run: (evp) => ({ cbcEnc: parseRate(evp('aes-256-cbc'), 'AES-256-CBC') }) },
  'cbc-dec': { what: 'AES-256-CBC decrypt', rates: ['cbcDec'], run: (evp) => ({ cbcDec: parseRate(evp('aes-256-cbc', ['-decrypt']), 'AES-256-CBC') }) },
  gcm: { what: 'AES-256-GCM', rates: ['gcm'], run: (evp) => ({ gcm: parseRate(evp('aes-256-gcm'), 'AES-256-GCM') }) },
  rsa: {
    what: 'RSA-2048',
    rates: ['rsaSignMs', 'rsaVerifyMs'],
    run: (_evp, seconds) => {
      const rsa = parseRsa(speed(['-elapsed', '-seconds', String(seconds), 'rsa2048']));
      return { rsaSignMs: rsa.signMs, rsaVerifyMs: rsa.verifyMs };
    },
  },
};
export const SPEED_MEASURES = Object.keys(MEASURES);
/** The rates (results.speed keys) of the measurements `names`. */
export const speedRates = (names) => names.flatMap((m) => MEASURES[m].rates);

/** The sizes whose cells get a crypto cost (which needs every rate) among `sizes`. */
export const costSizes = (sizes) => sizes.filter((s) => s === '10MB' || s === '25MB');

/**
 * Measure the rates (about 6 x seconds of wall time for all of them). `only` names a subset of
 * SPEED_MEASURES (a run that needs no crypto cost, such as the harness test); the result lists
 * what it measured and holds no figure for the rest.
 */
export function measureSpeed({ seconds = 2, only = SPEED_MEASURES, log = console.log } = {}) {
  for (const m of only) if (!(m in MEASURES)) throw new Error(`unknown openssl speed measurement ${m}; one of ${SPEED_MEASURES.join(', ')}`);
  const measured = SPEED_MEASURES.filter((m) => only.includes(m));
  log(`openssl speed: ${measured.map((m) => MEASURES[m].what).join(', ')} (${seconds} s each)`);
  const evp = (alg, extra = []) => speed(['-elapsed', '-seconds', String(seconds), '-bytes', String(BLOCK), ...extra, '-evp', alg]);
  const rates = Object.assign({}, ...measured.map((m) => MEASURES[m].run(evp, seconds)));
  return { block: BLOCK, seconds, measured, ...rates };
}

/**
 * What an op must at least do, as crypto work: bytes hashed, bytes through AES (by mode and
 * direction), RSA private and public operations. Verification counts two public operations
 * (the signature and the signer's certificate under the CA); key transport is one public
 * operation per recipient to encrypt and one private one to decrypt. sign+encrypt encrypts
 * to the recipient and to the sender (as Cachet and the openssl peer both do).
 */
export function cryptoWork(op, bytes) {
  switch (op) {
    case 'sign': return { sha: bytes, rsaPriv: 1 };
    case 'verify': return { sha: bytes, rsaPub: 2 };
    case 'encrypt-1': return { cbcEnc: bytes, rsaPub: 1 };
    case 'encrypt-10': return { cbcEnc: bytes, rsaPub: 10 };
    case 'decrypt': return { cbcDec: bytes, rsaPriv: 1 };
    case 'sign+encrypt': return { sha: bytes, rsaPriv: 1, cbcEnc: bytes, rsaPub: 2 };
    case 'decrypt+verify': return { cbcDec: bytes, rsaPriv: 1, sha: bytes, rsaPub: 2 };
    case 'gcm-encrypt': return { gcm: bytes, rsaPub: 1 };
    case 'gcm-decrypt': return { gcm: bytes, rsaPriv: 1 };
    default: throw new Error(`unknown op ${op}`);
  }
}

/** The pure crypto cost of an op on `bytes` bytes, in ms, from measured rates. */
export function cryptoCostMs(op, bytes, rates) {
  const w = cryptoWork(op, bytes);
  return 1000 * ((w.sha ?? 0) / rates.sha256 + (w.cbcEnc ?? 0) / rates.cbcEnc + (w.cbcDec ?? 0) / rates.cbcDec + (w.gcm ?? 0) / rates.gcm)
    + (w.rsaPriv ?? 0) * rates.rsaSignMs + (w.rsaPub ?? 0) * rates.rsaVerifyMs;
}
