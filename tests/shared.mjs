// The JavaScript test kit: where the shared corpus lives (and honest skips), running openssl as the
// reference peer, and the one test PKI builder.
import { spawnSync } from 'node:child_process';
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

/**
 * Build the native `cachet` CLI (debug) and return its path; throws with cargo's message when the
 * build fails. Built with `--tests`: that turns on the dev-dependencies' features, as the cargo
 * suite's `cargo test --workspace` does, so both builds resolve the same features and share one
 * compiled `cachet` library. A plain `cargo build -p cachet` resolves fewer features (proc-macro
 * crates differ), and each build would then recompile the library the other one left, on every
 * `npm test`, warm or not. During `npm test` the runner's own test compile has usually built all
 * of it already, and this returns at once.
 */
export function buildCli() {
  const r = spawnSync('cargo', ['build', '-q', '-p', 'cachet', '--bin', 'cachet', '--tests'], { cwd: ROOT, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run cargo to build the cachet CLI (install Rust with rustup): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`cargo build of the cachet CLI failed: ${r.stderr}`);
  const meta = spawnSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: ROOT, encoding: 'utf8' });
  if (meta.status !== 0) throw new Error(`cargo metadata failed: ${meta.stderr}`);
  return path.join(JSON.parse(meta.stdout).target_directory, 'debug', 'cachet');
}

/** Run openssl with the given arguments; returns stdout (throws with stderr on failure). */
export function openssl(args, input) {
  return runOpenssl(args, { input });
}

/**
 * What openssl says about a certificate file (the reference the core is compared with). One
 * `openssl x509` prints every fact, in the order of its options: the fingerprint line, the
 * serial line, one line per e-mail address, the subject line, the notAfter line, then the text.
 */
export function opensslFacts(file, inform = 'PEM') {
  const out = openssl(['x509', '-in', file, '-inform', inform, '-noout', '-fingerprint', '-sha256', '-serial', '-email',
    '-subject', '-nameopt', 'RFC2253', '-enddate', '-dateopt', 'iso_8601', '-text']);
  const lines = out.split('\n');
  const at = (re, from = 0) => {
    const i = lines.findIndex((l, n) => n >= from && re.test(l));
    if (i < 0) throw new Error(`openssl x509 printed no line matching ${re}:\n${out}`);
    return i;
  };
  const fpAt = at(/^sha256 Fingerprint=/i);
  const serialAt = at(/^serial=/, fpAt + 1);
  const subjectAt = at(/^subject=/, serialAt + 1);
  const endAt = at(/^notAfter=/, subjectAt + 1);
  const fp = lines[fpAt].trim();
  const serial = lines[serialAt].trim();
  const emails = lines.slice(serialAt + 1, subjectAt).map((s) => s.trim()).filter(Boolean);
  const subject = lines[subjectAt].trim();
  const end = lines[endAt].trim();
  const text = lines.slice(endAt + 1).join('\n');
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
