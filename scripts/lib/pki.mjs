// One test PKI builder for the tests, the benchmark and the demo identities: a CA and S/MIME
// identities (certificate, key, PKCS#12) made with the openssl command line. Keys are
// generated side by side (RSA key generation dominates the time).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
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

/** The base64 body of a PEM file (one certificate): what the core's JSON options take. */
export function pemBase64(file) {
  return fs.readFileSync(file, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

/**
 * Make a CA and one identity per person in `dir`.
 *   ca: { cn, o?, days?, key? }  people: [{ name, cn?, email, key?, days?, serial?, keyUsage?, extra?, subject? }]
 *   password: the PKCS#12 password (also written to `<dir>/password`), or null for no .p12 files.
 * Files: ca.key, ca.pem, and per person <name>.key, <name>.pem, <name>.p12 (with the CA).
 * Returns { dir, file(name), ca: {key, pem}, people: {name: {key, pem, p12, email}} }.
 */
export async function makePki(dir, { ca = {}, people = [], password = 'test-password', days = 365 } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const f = (n) => path.join(dir, n);
  const names = ['ca', ...people.map((p) => p.name)];
  const specs = [ca.key ?? 'rsa:2048', ...people.map((p) => p.key ?? 'rsa:2048')];
  await Promise.all(names.map((n, i) => opensslAsync(genpkeyArgs(specs[i], f(`${n}.key`)))));
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
