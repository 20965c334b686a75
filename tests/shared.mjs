// The JavaScript test kit: where the shared corpus lives (and honest skips), running openssl as the
// reference peer, and the one test PKI builder.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openssl as runOpenssl } from '../scripts/lib/pki.mjs';

// One test PKI builder for every suite (and the benchmark and demo identities).
export { leafExtensions, makePki, pemBase64 } from '../scripts/lib/pki.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The shared folder beside the checkout (env CACHET_SHARED, else ../shared), or null. */
export function sharedDir() {
  const dir = process.env.CACHET_SHARED ? path.resolve(process.env.CACHET_SHARED) : path.resolve(ROOT, '..', 'shared');
  return fs.existsSync(dir) ? dir : null;
}

/**
 * The path of a file in the shared folder, or null after marking the test skipped with the reason.
 * `t` is the node:test context.
 */
export function sharedFile(t, rel) {
  const dir = sharedDir();
  if (dir === null) {
    skipOrFail(t, `the shared folder (env CACHET_SHARED or ../shared beside the repository) is missing, so ${rel} is not available`);
    return null;
  }
  const file = path.join(dir, rel);
  if (!fs.existsSync(file)) {
    skipOrFail(t, `${rel} is not in the shared folder ${dir}`);
    return null;
  }
  return file;
}

/** Under CI=true missing test data is an error: CI runs everything. */
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/** Mark the test skipped with the reason, or fail it under CI=true. */
export function skipOrFail(t, reason) {
  if (IN_CI) throw new Error(`cannot run under CI=true: ${reason}`);
  t.skip(`skipped: ${reason}`);
}

/** Run openssl with the given arguments; returns stdout (throws with stderr on failure). */
export function openssl(args, input) {
  return runOpenssl(args, { input });
}

/** What openssl says about a certificate file (the reference the core is compared with). */
export function opensslFacts(file, inform = 'PEM') {
  const base = ['x509', '-in', file, '-inform', inform, '-noout'];
  const fp = openssl([...base, '-fingerprint', '-sha256']).trim();
  const serial = openssl([...base, '-serial']).trim();
  const emails = openssl([...base, '-email']).split('\n').map((s) => s.trim()).filter(Boolean);
  const subject = openssl([...base, '-subject', '-nameopt', 'RFC2253']).trim();
  const end = openssl([...base, '-enddate', '-dateopt', 'iso_8601']).trim();
  const text = openssl([...base, '-text']);
  const bits = text.match(/Public-Key: \((\d+) bit\)/);
  const cn = subject.match(/(?:^subject=|,)CN=((?:\\,|[^,])+)/);
  return {
    sha256: fp.replace(/^sha256 Fingerprint=/i, ''),
    serial: serial.replace(/^serial=/, ''),
    emails,
    commonName: cn ? cn[1].replace(/\\(.)/g, '$1') : null,
    notAfter: new Date(end.replace(/^notAfter=/, '').replace(' ', 'T')).getTime(),
    bits: bits ? Number(bits[1]) : null,
  };
}
