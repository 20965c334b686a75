// One test PKI builder for the tests, the benchmark and the demo identities: a CA and S/MIME
// identities (certificate, key, PKCS#12) made with the openssl command line. Keys are
// generated side by side (RSA key generation dominates the time), or, for tests that ask, taken
// from the keys kept between runs (pooledKey).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Run openssl; returns stdout as text (throws with stderr and an install hint on failure). */
export function openssl(args, { cwd, input } = {}) {
  const r = spawnSync('openssl', args, { cwd, input, encoding: input === undefined ? 'utf8' : undefined, maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`cannot run openssl (install the Debian package "openssl"): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** openssl as a child process, awaited. */
export function opensslAsync(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', (e) => reject(new Error(`cannot run openssl (install the Debian package "openssl"): ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`openssl ${args.join(' ')} failed: ${err}`))));
  });
}

/** The extensions of an S/MIME leaf certificate for `email` (openssl -extfile syntax). */
export function leafExtensions(email, { keyUsage = 'critical,digitalSignature,keyEncipherment', extra = [] } = {}) {
  return [
    'basicConstraints=critical,CA:FALSE',
    `keyUsage=${keyUsage}`,
    'extendedKeyUsage=emailProtection',
    `subjectAltName=email:${email}`,
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
    ...extra,
  ].join('\n');
}

/** openssl genpkey arguments for a key spec: 'rsa:2048', 'rsa:3072', 'ec:P-256', 'ec:P-384'. */
function genpkeyArgs(spec, out) {
  const [kind, param] = spec.split(':');
  if (kind === 'rsa') return ['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${param ?? 2048}`, '-out', out];
  if (kind === 'ec') return ['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${param ?? 'P-256'}`, '-out', out];
  throw new Error(`unknown key spec ${spec}`);
}

/**
 * Keys kept between runs, in the same folder and under the same names as the Rust test kit's
 * (crate/testkit/src/keys.rs): a key made by openssl genpkey is kept in the system's temp folder
 * (cachet-test-keys/) and the next run takes it again. Within one process every call gets a key
 * of its own (a counter per key kind), so two identities of one test never share a key; only
 * separate processes and runs do. Certificates and PKCS#12 files stay fresh.
 */
const POOL = path.join(os.tmpdir(), 'cachet-test-keys');
const taken = new Map();

/** The kept key file of the next call for `spec`, and the genpkey arguments that make it. */
function poolSlot(spec) {
  const genpkey = genpkeyArgs(spec, '').slice(1, -2);
  const kind = genpkey.join('_').replace(/[^A-Za-z0-9-]/g, '_');
  const index = taken.get(kind) ?? 0;
  taken.set(kind, index + 1);
  fs.mkdirSync(POOL, { recursive: true });
  const kept = path.join(POOL, `${kind}-${index}.pem`);
  return { kept, fresh: `${kept}.${process.pid}-${index}.new`, genpkey };
}

/** Put a freshly made key in place; when another process was first, its key is as good. */
function keep({ kept, fresh }) {
  try {
    fs.linkSync(fresh, kept);
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
  }
  fs.rmSync(fresh, { force: true });
}

/** A key for `spec` ('rsa:2048', 'ec:P-256', ...) copied to `to`: the next kept one (see POOL). */
export function pooledKey(spec, to) {
  const slot = poolSlot(spec);
  if (!fs.existsSync(slot.kept)) {
    openssl(['genpkey', ...slot.genpkey, '-out', slot.fresh]);
    keep(slot);
  }
  fs.copyFileSync(slot.kept, to);
}

/** pooledKey, with a key still to make made by an awaited child process (several side by side). */
export async function pooledKeyAsync(spec, to) {
  const slot = poolSlot(spec);
  if (!fs.existsSync(slot.kept)) {
    await opensslAsync(['genpkey', ...slot.genpkey, '-out', slot.fresh]);
    keep(slot);
  }
  fs.copyFileSync(slot.kept, to);
}

/** The base64 body of a PEM file (one certificate): what the core's JSON options take. */
export function pemBase64(file) {
  return fs.readFileSync(file, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

/**
 * Make a CA and one identity per person in `dir`.
 *   ca: { cn, o?, days?, key? }  people: [{ name, cn?, email, key?, days?, serial?, keyUsage?, extra?, subject? }]
 *   password: the PKCS#12 password (also written to `<dir>/password`), or null for no .p12 files.
 *   pooledKeys: take the keys from those kept between runs (pooledKey) instead of making them.
 * Files: ca.key, ca.pem, and per person <name>.key, <name>.pem, <name>.p12 (with the CA).
 * Returns { dir, file(name), ca: {key, pem}, people: {name: {key, pem, p12, email}} }.
 */
export async function makePki(dir, { ca = {}, people = [], password = 'test-password', days = 365, pooledKeys = false } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const f = (n) => path.join(dir, n);
  const names = ['ca', ...people.map((p) => p.name)];
  const specs = [ca.key ?? 'rsa:2048', ...people.map((p) => p.key ?? 'rsa:2048')];
  await Promise.all(names.map((n, i) => (pooledKeys ? pooledKeyAsync(specs[i], f(`${n}.key`)) : opensslAsync(genpkeyArgs(specs[i], f(`${n}.key`))))));
  openssl(['req', '-x509', '-new', '-key', f('ca.key'), '-sha256', '-days', String(ca.days ?? 3650), '-out', f('ca.pem'),
    '-subj', `${ca.o ? `/O=${ca.o}` : ''}/CN=${ca.cn ?? 'Cachet Test CA'}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash']);
  if (password !== null) fs.writeFileSync(f('password'), password);
  const out = { dir, file: f, ca: { key: f('ca.key'), pem: f('ca.pem') }, people: {} };
  let serial = 100;
  for (const p of people) {
    fs.writeFileSync(f(`${p.name}.ext`), leafExtensions(p.email, p));
    openssl(['req', '-new', '-key', f(`${p.name}.key`), '-out', f(`${p.name}.csr`), '-subj', p.subject ?? `/CN=${p.cn ?? p.name}`]);
    openssl(['x509', '-req', '-in', f(`${p.name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-sha256',
      '-set_serial', String(p.serial ?? serial++), '-days', String(p.days ?? days), '-extfile', f(`${p.name}.ext`), '-out', f(`${p.name}.pem`)]);
    fs.rmSync(f(`${p.name}.csr`));
    fs.rmSync(f(`${p.name}.ext`));
    const entry = { key: f(`${p.name}.key`), pem: f(`${p.name}.pem`), email: p.email, p12: null };
    if (password !== null) {
      openssl(['pkcs12', '-export', '-inkey', entry.key, '-in', entry.pem, '-certfile', f('ca.pem'), '-name', p.cn ?? p.name,
        '-passout', `pass:${password}`, '-out', f(`${p.name}.p12`)]);
      entry.p12 = f(`${p.name}.p12`);
    }
    out.people[p.name] = entry;
  }
  return out;
}
