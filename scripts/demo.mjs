// Demo identities for the dev mailbox: a demo CA and S/MIME identities (.p12) for
// alice@example.org and bob@example.net, made with openssl on first use and kept in the
// git-ignored dev mailbox folder (<mailbox root>/demo/). Everything is labelled DEMO: the
// CA is trusted only where a user imports it into the demo page; never use it for real mail.
//
//   node scripts/demo.mjs        (prints where the files are and their passwords)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { mailboxRoot } from './devmail.mjs';
import { RSA_2048, keptKeySync, leafExtensions, openssl } from './lib/pki.mjs';

export const DEMO_PEOPLE = [
  { address: 'alice@example.org', name: 'Alice DEMO' },
  { address: 'bob@example.net', name: 'Bob DEMO' },
];

/**
 * A new RSA-2048 key in `file`; with `keptKeys` (tests: many worlds, each with its demo PKI) one
 * kept between runs, as the test PKIs' keys are (lib/pki.mjs).
 */
function newKey(file, keptKeys) {
  if (keptKeys) keptKeySync(RSA_2048, file);
  else openssl(['genpkey', ...RSA_2048, '-out', file]);
}

/** Whether the demo in `dir` was made with kept keys (its demo.json says so). */
function demoKept(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'demo.json'), 'utf8')).keptKeys === true;
  } catch {
    return false;
  }
}

/**
 * Issue a demo identity signed by the demo CA in `dir`; returns its .p12 path. `keptKeys`: see
 * newKey; by default, as the demo in `dir` was made.
 */
export function issueIdentity(dir, { address, name, password, days = 365, file = `${address}.p12`, keptKeys = demoKept(dir) }) {
  const base = path.join(dir, `tmp-${crypto.randomBytes(4).toString('hex')}`);
  const ext = `${base}.ext`;
  fs.writeFileSync(ext, leafExtensions(address));
  try {
    newKey(`${base}.key`, keptKeys);
    openssl(['req', '-new', '-key', `${base}.key`, '-out', `${base}.csr`, '-subj', `/O=Cachet DEMO/CN=${name}/emailAddress=${address}`]);
    openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', path.join(dir, 'demo-ca.pem'), '-CAkey', path.join(dir, 'demo-ca.key'),
      '-set_serial', `0x${crypto.randomBytes(8).toString('hex')}`, '-days', String(days), '-sha256', '-extfile', ext, '-out', `${base}.pem`]);
    const p12 = path.join(dir, file);
    openssl(['pkcs12', '-export', '-inkey', `${base}.key`, '-in', `${base}.pem`, '-certfile', path.join(dir, 'demo-ca.pem'),
      '-name', name, '-out', p12, '-passout', `pass:${password}`]);
    return p12;
  } finally {
    for (const f of ['.key', '.csr', '.pem', '.ext']) fs.rmSync(`${base}${f}`, { force: true });
  }
}

/**
 * The demo CA and identities (made once). `keptKeys` (tests): their keys, and those of the
 * identities issueIdentity adds to this demo later, are kept between runs (see newKey).
 */
export function ensureDemo(root = mailboxRoot(), { keptKeys = false } = {}) {
  const dir = path.join(root, 'demo');
  const index = path.join(dir, 'demo.json');
  if (fs.existsSync(index)) return JSON.parse(fs.readFileSync(index, 'utf8'));
  fs.mkdirSync(dir, { recursive: true });
  newKey(path.join(dir, 'demo-ca.key'), keptKeys);
  openssl(['req', '-x509', '-new', '-key', path.join(dir, 'demo-ca.key'), '-out', path.join(dir, 'demo-ca.pem'),
    '-days', '825', '-sha256', '-subj', '/O=Cachet DEMO/CN=Cachet DEMO CA (not for real mail)',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const identities = DEMO_PEOPLE.map((p) => {
    const password = `demo-${crypto.randomBytes(6).toString('hex')}`;
    return { ...p, password, p12: issueIdentity(dir, { ...p, password, keptKeys }) };
  });
  const demo = { dir, ca: path.join(dir, 'demo-ca.pem'), identities, ...(keptKeys ? { keptKeys } : {}) };
  fs.writeFileSync(index, `${JSON.stringify(demo, null, 2)}\n`);
  return demo;
}

export function describeDemo(demo) {
  const lines = [`\nDEMO identities (demo CA, for trying Cachet only; files in ${demo.dir}):`];
  lines.push(`  DEMO CA certificate: ${demo.ca}  (Certificates > Import a certificate > Trust as root)`);
  for (const i of demo.identities) lines.push(`  ${i.address}: ${i.p12}  password ${i.password}`);
  lines.push('  Open the page, choose the mailbox of one address, import its .p12 under Certificates.');
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(describeDemo(ensureDemo()));
  } catch (e) {
    console.error(`Cannot make the demo identities: ${e.message}`);
    process.exit(1);
  }
}
