// One test PKI builder for the tests, the benchmark and the demo identities: a CA and S/MIME
// identities (certificate, key, PKCS#12) made with the openssl command line. RSA key generation
// dominates the time, so the keys are kept between runs (`keptKey`, the Rust test kit's pool)
// and the ones still to make are generated side by side.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * openssl's environment: an empty default certificate bundle (SSL_CERT_FILE). `openssl x509`
 * reads the system's whole bundle on every start, about 20 ms of CPU a call where signing or
 * printing a certificate takes a few; what is made and checked here never chains to a public
 * root, and every verification names its CA (-CAfile). The same empty file as the Rust test
 * kit's (crate/testkit/src/lib.rs).
 */
let noRoots = null;
function envForOpenssl() {
  if (noRoots === null) {
    noRoots = path.join(os.tmpdir(), 'cachet-test-no-roots.pem');
    if (!fs.existsSync(noRoots) || fs.statSync(noRoots).size !== 0) fs.writeFileSync(noRoots, '');
  }
  return { ...process.env, SSL_CERT_FILE: noRoots };
}

/** Run openssl; returns stdout as text (throws with stderr and an install hint on failure). */
export function openssl(args, { cwd, input } = {}) {
  const r = spawnSync('openssl', args, { cwd, input, env: envForOpenssl(), encoding: input === undefined ? 'utf8' : undefined, maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`cannot run openssl (install the Debian package "openssl"): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** openssl as a child process, awaited. */
export function opensslAsync(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], env: envForOpenssl() });
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

/** openssl genpkey arguments (after `genpkey`, before `-out`) for a key spec: 'rsa:2048', 'rsa:3072', 'ec:P-256', 'ec:P-384'. */
function genpkeyArgs(spec) {
  const [kind, param] = spec.split(':');
  if (kind === 'rsa') return ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${param ?? 2048}`];
  if (kind === 'ec') return ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${param ?? 'P-256'}`];
  throw new Error(`unknown key spec ${spec}`);
}

/**
 * The folder of kept keys, the one the Rust test kit uses (crate/testkit/src/keys.rs): the
 * system's temp folder, `cachet-test-keys/`, with the same file names, so both take the same keys.
 */
export const KEPT_KEYS = path.join(os.tmpdir(), 'cachet-test-keys');

/** How many keys of each kind this process has taken. */
const taken = new Map();

/** The kept file of the next key of this kind for this process, and a fresh name to make it under. */
function nextKept(genpkey) {
  const kind = genpkey.join('_').replace(/[^A-Za-z0-9-]/g, '_');
  const index = taken.get(kind) ?? 0;
  taken.set(kind, index + 1);
  fs.mkdirSync(KEPT_KEYS, { recursive: true });
  return {
    kept: path.join(KEPT_KEYS, `${kind}-${index}.pem`),
    fresh: path.join(KEPT_KEYS, `${kind}-${index}.${process.pid}-${crypto.randomUUID()}.new`),
  };
}

/** Put the key made as `fresh` in place as `kept` (another process's key may be there first: it is as good). */
function keep(fresh, kept) {
  try {
    fs.linkSync(fresh, kept);
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
  } finally {
    fs.rmSync(fresh, { force: true });
  }
}

/**
 * A private key made by `openssl genpkey ARGS`, copied to `to` (PEM, unencrypted PKCS#8), kept
 * between runs as the Rust test kit keeps its keys: each call in a process gives another key (a
 * counter per kind), the same calls in a later run (or another test process) give the same keys
 * again. A new key is written under a name of its own and linked into place, so a process making
 * the same key at the same time never sees half a file. Certificates and PKCS#12 files stay fresh.
 */
export async function keptKey(genpkey, to) {
  const { kept, fresh } = nextKept(genpkey);
  if (!fs.existsSync(kept)) {
    try {
      await opensslAsync(['genpkey', ...genpkey, '-out', fresh]);
    } catch (e) {
      fs.rmSync(fresh, { force: true });
      throw e;
    }
    keep(fresh, kept);
  }
  fs.copyFileSync(kept, to);
}

/** `keptKey`, synchronously. */
export function keptKeySync(genpkey, to) {
  const { kept, fresh } = nextKept(genpkey);
  if (!fs.existsSync(kept)) {
    try {
      openssl(['genpkey', ...genpkey, '-out', fresh]);
    } catch (e) {
      fs.rmSync(fresh, { force: true });
      throw e;
    }
    keep(fresh, kept);
  }
  fs.copyFileSync(kept, to);
}

/** The `openssl genpkey` arguments of an RSA-2048 key (what the demo identities and most test identities have). */
export const RSA_2048 = ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];

/** The base64 body of a PEM file (one certificate): what the core's JSON options take. */
export function pemBase64(file) {
  return fs.readFileSync(file, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

/**
 * Make a CA and one identity per person in `dir`.
 *   ca: { cn, o?, days?, key? }  people: [{ name, cn?, email, key?, days?, serial?, keyUsage?, extra?, subject?, p12? }]
 *   password: the PKCS#12 password (also written to `<dir>/password`), or null for no .p12 files;
 *   a person with `p12: false` gets none either (a recipient only needs a certificate and a key).
 * Files: ca.key, ca.pem, and per person <name>.key, <name>.pem, <name>.p12 (with the CA).
 * Returns { dir, file(name), ca: {key, pem}, people: {name: {key, pem, p12, email}} }.
 */
export async function makePki(dir, { ca = {}, people = [], password = 'test-password', days = 365 } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const f = (n) => path.join(dir, n);
  const names = ['ca', ...people.map((p) => p.name)];
  const specs = [ca.key ?? 'rsa:2048', ...people.map((p) => p.key ?? 'rsa:2048')];
  await Promise.all(names.map((n, i) => keptKey(genpkeyArgs(specs[i]), f(`${n}.key`))));
  openssl(['req', '-x509', '-new', '-key', f('ca.key'), '-sha256', '-days', String(ca.days ?? 3650), '-out', f('ca.pem'),
    '-subj', `${ca.o ? `/O=${ca.o}` : ''}/CN=${ca.cn ?? 'Cachet Test CA'}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectKeyIdentifier=hash']);
  if (password !== null) fs.writeFileSync(f('password'), password);
  const out = { dir, file: f, ca: { key: f('ca.key'), pem: f('ca.pem') }, people: {} };
  let serial = 100;
  for (const p of people) {
    // One `openssl req` signs the leaf with the CA (-CA, OpenSSL 3): the certificate `req -new`
    // then `x509 -req -extfile` made, byte for byte, in one process. The extensions are read from
    // a configuration file's section, as -extfile reads them; the file has no other settings, so
    // nothing from the system's openssl.cnf is added.
    fs.writeFileSync(f(`${p.name}.cnf`), `[req]\ndistinguished_name = dn\n[dn]\n[leaf]\n${leafExtensions(p.email, p)}\n`);
    openssl(['req', '-new', '-key', f(`${p.name}.key`), '-subj', p.subject ?? `/CN=${p.cn ?? p.name}`, '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-sha256',
      '-set_serial', String(p.serial ?? serial++), '-days', String(p.days ?? days), '-config', f(`${p.name}.cnf`), '-extensions', 'leaf', '-out', f(`${p.name}.pem`)]);
    fs.rmSync(f(`${p.name}.cnf`));
    const entry = { key: f(`${p.name}.key`), pem: f(`${p.name}.pem`), email: p.email, p12: null };
    if (password !== null && p.p12 !== false) {
      openssl(['pkcs12', '-export', '-inkey', entry.key, '-in', entry.pem, '-certfile', f('ca.pem'), '-name', p.cn ?? p.name,
        '-passout', `pass:${password}`, '-out', f(`${p.name}.p12`)]);
      entry.p12 = f(`${p.name}.p12`);
    }
    out.people[p.name] = entry;
  }
  return out;
}
