#!/usr/bin/env node
// Regenerates the test vectors of this folder (see README.md): a small fixed PKI, then one
// file per vector, each with a header saying how it was made, what Cachet must answer and
// with which roots, pins, identities and validation time. Run by hand only:
//
//   node tests/vectors/make.mjs            # from the repository root
//   node tests/vectors/make.mjs --add unsupported   # only the DSA/Ed25519 vectors, the rest kept
//
// It needs openssl, the NSS tools (certutil, cmsutil, pk12util), gpgsm and Python 3 with
// the cryptography package. Keys and signatures are random, so every run gives new bytes;
// the expectations (the table below) stay the same. Commit the result.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-vectors-'));
const w = (name) => path.join(WORK, name);

/** Every vector is validated at this time unless it says otherwise. */
const AT = '2030-06-01T00:00:00Z';
const PASSWORD = 'test-password';
/** Validity of the PKI: long enough that the vectors never expire in reality. */
const NOT_BEFORE = '20260101000000Z';
const NOT_AFTER = '20460101000000Z';

// ---------------------------------------------------------------------------------------
// Running tools, recording each command as it was run (relative file names, in WORK).

let log = [];
const tools = new Set();

function quote(a) {
  return /^[A-Za-z0-9_./:=@,+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function version(tool) {
  const q = {
    openssl: ['openssl', ['version']],
    cmsutil: ['sh', ['-c', 'dpkg-query -W -f "NSS tools \\${Version}" libnss3-tools 2>/dev/null || echo NSS tools']],
    certutil: null,
    pk12util: null,
    gpgsm: ['gpgsm', ['--version']],
    python3: ['python3', ['-c', 'import cryptography, sys; print("Python", sys.version.split()[0], "cryptography", cryptography.__version__)']],
  }[tool];
  if (!q) return null;
  const r = spawnSync(q[0], q[1], { encoding: 'utf8' });
  return (r.stdout || '').split('\n')[0].trim();
}

/** Run a tool in WORK; returns stdout (a Buffer). Throws with stderr on failure. */
function run(tool, args, { input, record = true, env } = {}) {
  if (record) log.push(`${tool} ${args.map(quote).join(' ')}${input !== undefined && typeof input === 'string' && input.length < 40 ? ` <<< ${quote(input.trimEnd())}` : ''}`);
  tools.add(tool);
  const r = spawnSync(tool, args, { cwd: WORK, input, env: env ?? process.env, maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`cannot run ${tool}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Like run, but returns { ok, out } instead of throwing (for peers' verdicts). */
function attempt(tool, args, { input } = {}) {
  const r = spawnSync(tool, args, { cwd: WORK, input, maxBuffer: 1 << 26 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.replace(/\s+/g, ' ').trim();
  return { ok: r.status === 0, text, stdout: r.stdout };
}

/** Write a file in WORK and record its content. */
function write(name, data, { record = true } = {}) {
  fs.writeFileSync(w(name), data);
  if (record) log.push(`write ${name}: ${JSON.stringify(Buffer.isBuffer(data) ? `<${data.length} bytes>` : data)}`);
}

function read(name) {
  return fs.readFileSync(w(name));
}

// ---------------------------------------------------------------------------------------
// Vector files: `key: value` header lines, one empty line, then the data byte for byte.

const written = [];

function vectorFile(rel, header, data) {
  const lines = [];
  const add = (k, v) => {
    if (v === undefined || v === null || v === '') return;
    for (const x of Array.isArray(v) ? v : [v]) {
      const s = String(x);
      if (s.includes('\n')) throw new Error(`${rel}: header value with a line break: ${k}`);
      lines.push(`${k}: ${s}`);
    }
  };
  // A vector whose verdict differs from its producer's own check must say why.
  if (header.peer && !header.why) {
    const peerGood = /=> (Verification successful|decrypted)$/.test(header.peer);
    const green = header.expect === 'valid' || header.expect === 'unsigned' || (header.expect === 'valid-unknown-ca' && header.peer.includes('-noverify'));
    if (peerGood !== green) throw new Error(`${rel}: Cachet's expected ${header.expect} differs from the peer (${header.peer}); add a why`);
  }
  add('kind', header.kind);
  add('comment', header.comment);
  add('expect', header.expect);
  add('layers', header.layers);
  add('diagnosis', header.diagnosis);
  add('repair', header.repairs);
  add('check', header.check);
  add('error', header.error);
  add('at', header.at);
  add('trust', header.trust);
  add('pin', header.pin);
  add('identity', header.identity);
  add('password', header.password);
  add('message-password', header.messagePassword);
  add('needs', header.needs);
  add('known-failure', header.knownFailure);
  add('fixed-with', header.fixedWith);
  add('why', header.why);
  add('peer', header.peer);
  add('source', header.source);
  add('tool', [...new Set(header.tools ?? [])].map(version).filter(Boolean));
  add('command', header.commands);
  const file = path.join(HERE, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat([Buffer.from(`${lines.join('\n')}\n\n`), Buffer.from(data)]));
  written.push({ rel, header });
}

/** Start recording the commands of one vector. */
function begin() {
  log = [];
  tools.clear();
}

function commands() {
  return [...log];
}

// ---------------------------------------------------------------------------------------
// The PKI: a root, an intermediate, leaves. `openssl ca` sets exact validity dates.

const CA_CNF = `[ ca ]
default_ca = vectors
[ vectors ]
database = index.txt
new_certs_dir = issued
serial = serial.txt
default_md = sha256
policy = any
unique_subject = no
email_in_dn = yes
[ any ]
commonName = supplied
organizationName = optional
emailAddress = optional
`;

const pki = {}; // name -> { cert, key, p12, email, log }

function keyArgs(kind) {
  return {
    rsa2048: ['-newkey', 'rsa:2048'],
    rsa1024: ['-newkey', 'rsa:1024'],
    pss: ['-newkey', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:2048'],
    p256: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    p384: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
    // Algorithms Cachet does not implement (see unsupportedVectors).
    dsa: ['-newkey', 'dsa:dsa-params.pem'],
    ed25519: ['-newkey', 'ed25519'],
  }[kind];
}

function leafExt(email, kind) {
  const enc = kind === 'p256' || kind === 'p384' ? 'keyAgreement' : kind === 'pss' ? '' : 'keyEncipherment';
  return `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation${enc ? `,${enc}` : ''}\nextendedKeyUsage=emailProtection\nsubjectAltName=email:${email}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`;
}

/**
 * Make a certificate. `issuer`: a pki name, or null for self-signed. `ext`: extension text.
 * Dates: [start, end] in openssl's YYYYMMDDHHMMSSZ form.
 */
function makeCert(name, { subj, kind = 'rsa2048', issuer, ext, dates = [NOT_BEFORE, NOT_AFTER], md = 'sha256', email = null, p12 = true }) {
  begin();
  write(`${name}.ext`, ext);
  run('openssl', ['req', '-new', '-nodes', ...keyArgs(kind), '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
  const ca = issuer ? ['-cert', `${issuer}.pem`, '-keyfile', `${issuer}.key`] : ['-selfsign', '-keyfile', `${name}.key`];
  run('openssl', ['ca', '-batch', '-config', 'ca.cnf', '-notext', '-md', md, '-startdate', dates[0], '-enddate', dates[1], ...ca, '-extfile', `${name}.ext`, '-in', `${name}.csr`, '-out', `${name}.pem`]);
  if (p12) {
    const chain = [];
    for (let i = issuer; i; i = pki[i].issuer) chain.push(`${i}.pem`);
    if (chain.length) write(`${name}-chain.pem`, Buffer.concat(chain.map((c) => read(c))), { record: false });
    run('openssl', ['pkcs12', '-export', '-name', name, '-inkey', `${name}.key`, '-in', `${name}.pem`, ...(chain.length ? ['-certfile', `${name}-chain.pem`] : []), '-passout', `pass:${PASSWORD}`, '-out', `${name}.p12`]);
    if (chain.length) log.push(`cat ${chain.join(' ')} > ${name}-chain.pem  # (before the pkcs12 command)`);
  }
  pki[name] = { name, issuer, email, kind, log: [`write ca.cnf: ${JSON.stringify(CA_CNF)}`, ...commands()], tools: [...tools] };
  return pki[name];
}

function leaf(name, email, { kind = 'rsa2048', issuer = 'intermediate', ext, dates, md, cn } = {}) {
  return makeCert(name, { subj: `/CN=${cn ?? name}/O=Cachet Test Vectors`, kind, issuer, ext: ext ?? leafExt(email, kind), dates, md, email });
}

function buildPki() {
  write('ca.cnf', CA_CNF, { record: false });
  fs.mkdirSync(w('issued'));
  write('index.txt', '', { record: false });
  write('serial.txt', '1000\n', { record: false });
  const caExt = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n';
  makeCert('root', { subj: '/CN=Cachet Vectors Root CA/O=Cachet Test Vectors', issuer: null, ext: caExt, p12: false });
  makeCert('intermediate', { subj: '/CN=Cachet Vectors Intermediate CA/O=Cachet Test Vectors', issuer: 'root', ext: 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n', p12: false });
  makeCert('other-root', { subj: '/CN=Some Other Root CA/O=Not Trusted Here', issuer: null, ext: caExt, p12: false });
  leaf('alice-rsa', 'alice@example.org');
  leaf('bob-rsa', 'bob@example.net');
  leaf('bob-old', 'bob@example.net', { cn: 'bob-rsa (2026 key, replaced)' });
  leaf('carol-p256', 'carol@example.org', { kind: 'p256' });
  leaf('dave-p384', 'dave@example.org', { kind: 'p384' });
  leaf('erin-pss', 'erin@example.org', { kind: 'pss' });
  leaf('frank-expired', 'frank@example.org', { dates: ['20200101000000Z', '20250101000000Z'] });
  leaf('grace-not-yet-valid', 'grace@example.org', { dates: ['20350101000000Z', '20450101000000Z'] });
  leaf('heidi-keyenc-only', 'heidi@example.org', { ext: 'basicConstraints=CA:FALSE\nkeyUsage=critical,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:heidi@example.org\n' });
  leaf('ivan-serverauth', 'ivan@example.org', { ext: 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=email:ivan@example.org\n' });
  leaf('judy-rsa1024', 'judy@example.org', { kind: 'rsa1024' });
  leaf('mallet-sha1-cert', 'mallet@example.org', { md: 'sha1' });
  leaf('ca-signer', 'casigner@example.org', { issuer: 'root', ext: 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyCertSign\nsubjectAltName=email:casigner@example.org\n' });
  leaf('oscar-other-root', 'oscar@example.org', { issuer: 'other-root' });
  // Self-signed, cA=FALSE: the certificate a user pins ("trust this certificate").
  leaf('pat-self-signed', 'pat@example.org', { issuer: null, ext: 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:pat@example.org\nsubjectKeyIdentifier=hash\n' });
}

const PKI_NOTES = {
  root: 'The root CA of the vectors: every `trust:` line names it (RSA-2048, self-signed, cA=TRUE).',
  intermediate: 'Intermediate CA (pathlen 0) issued by the root; issues the leaves.',
  'other-root': 'A root nobody trusts here; issues oscar-other-root.',
  'alice-rsa': 'Alice, RSA-2048, digitalSignature+nonRepudiation+keyEncipherment, EKU emailProtection.',
  'bob-rsa': 'Bob, RSA-2048: the usual decrypting identity.',
  'bob-old': "Bob's older RSA-2048 key for the same address (kept after renewal; decrypts old mail).",
  'carol-p256': 'Carol, ECDSA/ECDH P-256 (keyAgreement).',
  'dave-p384': 'Dave, ECDSA/ECDH P-384 (keyAgreement).',
  'erin-pss': 'Erin, an RSASSA-PSS key (id-RSASSA-PSS SubjectPublicKeyInfo).',
  'frank-expired': 'Frank, valid 2020-01-01..2025-01-01: expired at every vector time.',
  'grace-not-yet-valid': 'Grace, valid 2035-01-01..2045-01-01: not yet valid at 2030.',
  'heidi-keyenc-only': 'Heidi, keyUsage keyEncipherment only: not for signing.',
  'ivan-serverauth': 'Ivan, EKU serverAuth only: not for e-mail.',
  'judy-rsa1024': 'Judy, RSA-1024: weak.',
  'mallet-sha1-cert': 'Mallet, RSA-2048, but the intermediate signed this certificate with SHA-1.',
  'ca-signer': 'A CA certificate (cA=TRUE, keyCertSign+digitalSignature) with an e-mail address, issued by the root: never a mail signer.',
  'oscar-other-root': 'Oscar, issued by other-root (not trusted by the vectors).',
  'pat-self-signed': 'Pat, self-signed with cA=FALSE: usable only when pinned.',
  'dsa-root': 'A DSA-2048 root CA (self-signed, dsa_with_SHA256): an algorithm Cachet does not implement.',
  'victor-dsa': 'Victor, a DSA-2048 signing key (digitalSignature+nonRepudiation) issued by dsa-root.',
  'ed25519-root': 'An Ed25519 root CA (self-signed): an algorithm Cachet does not implement.',
  'wendy-under-ed25519': 'Wendy, an ordinary RSA-2048 key, whose certificate ed25519-root signed with Ed25519.',
};

function writePki() {
  for (const [name, p] of Object.entries(pki)) {
    const facts = [];
    if (p.email) facts.push(`/0/emails/0 = ${p.email}`);
    vectorFile(`pki/${name}.cert.vec`, {
      kind: 'certificate',
      comment: PKI_NOTES[name],
      check: facts,
      tools: p.tools,
      commands: p.log,
    }, read(`${name}.pem`));
    if (fs.existsSync(w(`${name}.p12`))) {
      vectorFile(`pki/${name}.p12.vec`, {
        kind: 'identity',
        comment: `${PKI_NOTES[name]} PKCS#12 from openssl pkcs12 -export (OpenSSL 3 defaults: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC, SHA-256 MAC), with the issuing chain.`,
        check: p.email ? [`/0/emails/0 = ${p.email}`] : [],
        password: PASSWORD,
        tools: p.tools,
        commands: p.log,
      }, read(`${name}.p12`));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Messages.

const CRLF = (s) => s.replace(/\r?\n/g, '\r\n');

function mailHeaders(from, to, subject) {
  return CRLF(`From: ${from}\nTo: ${to}\nSubject: ${subject}\nDate: Sat, 05 Dec 2026 12:00:00 +0000\nMessage-ID: <${subject.replace(/[^a-z0-9-]/gi, '')}@vectors.example.org>\n`);
}

const TEXT = CRLF('Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\nHello Bob,\n\nthe quarterly figures are attached in spirit.\nLine two.\n\nAlice\n');

const ALICE = 'Alice <alice@example.org>';
const BOB = 'Bob <bob@example.net>';

/** The S/MIME output of an openssl cms command (MIME-Version ... body) with mail headers in front. */
function withHeaders(headers, smime) {
  log.push('assemble: the mail headers (From, To, Subject, Date, Message-ID) in front of the openssl output, every line ending made CRLF (openssl writes base64 lines with LF)');
  return Buffer.from(CRLF(headers + Buffer.from(smime).toString('latin1')), 'latin1');
}

const root = 'pki/root.cert.vec';
const std = { at: AT, trust: [root] };

/** Sign `content` with openssl cms (clear-signed unless opaque); returns the S/MIME entity. */
function opensslSign({ signer = 'alice-rsa', md = 'sha256', opaque = false, extra = [], content = TEXT, certfile = 'intermediate.pem', signers = [] }) {
  write('content.txt', content);
  const more = signers.flatMap((s) => ['-signer', `${s}.pem`, '-inkey', `${s}.key`]);
  run('openssl', ['cms', '-sign', '-binary', '-crlfeol', ...(opaque ? ['-nodetach'] : []), '-md', md, '-in', 'content.txt', '-signer', `${signer}.pem`, '-inkey', `${signer}.key`, ...more, ...(certfile ? ['-certfile', certfile] : []), ...extra, '-out', 'signed.eml']);
  return read('signed.eml');
}

/** What `openssl cms -verify` says about a message at the vector's time, trusting the root. */
function opensslVerify(file, at = AT, { purpose = 'smimesign', trust = true, ca = 'root.pem' } = {}) {
  const t = String(Math.floor(Date.parse(at) / 1000));
  const args = ['cms', '-verify', '-in', file, '-attime', t, '-purpose', purpose, '-out', 'verified.out', ...(trust ? ['-CAfile', ca] : ['-noverify'])];
  const r = attempt('openssl', args);
  return `openssl ${args.map(quote).join(' ')} => ${r.ok ? 'Verification successful' : `fails: ${opensslReason(r.text)}`}`;
}

/** The reason in an openssl error output, without process-specific addresses. */
function opensslReason(text) {
  const verify = text.match(/Verify error:\s*([^:]+?)(?=\s*(?:[0-9A-F]{16}:|$))/);
  if (verify) return verify[1].trim();
  const reasons = [...text.matchAll(/:error:[0-9A-F]+:[^:]+:[^:]+:([^:]+):/g)].map((m) => m[1].trim());
  return reasons.length ? [...new Set(reasons)].join('; ') : text.replace(/[0-9A-F]{16}:/g, '').slice(0, 160);
}

function msgVector(rel, header, data) {
  vectorFile(rel, { kind: 'message', tools: [...tools], commands: commands(), ...header }, data);
}

function signedVectors() {
  // --- valid, every digest and signature algorithm -----------------------------------
  const algs = [
    ['valid-rsa-sha256-clear', { md: 'sha256' }, 'SHA-256', 'Clear-signed (multipart/signed), RSA PKCS#1 v1.5 with SHA-256, chain root > intermediate > alice.'],
    ['valid-rsa-sha384-opaque', { md: 'sha384', opaque: true }, 'SHA-384', 'Opaque (application/pkcs7-mime signed-data), RSA PKCS#1 v1.5 with SHA-384.'],
    ['valid-rsa-sha512-clear', { md: 'sha512' }, 'SHA-512', 'Clear-signed, RSA PKCS#1 v1.5 with SHA-512.'],
    ['valid-rsa-pss-sha256', { extra: ['-keyopt', 'rsa_padding_mode:pss'] }, 'SHA-256', "RSASSA-PSS signature (salt = digest length) with Alice's ordinary RSA key."],
    ['valid-pss-key-sha256', { signer: 'erin-pss', extra: ['-keyopt', 'rsa_padding_mode:pss'] }, 'SHA-256', 'A certificate whose key is id-RSASSA-PSS; the signature is RSASSA-PSS.', 'erin@example.org'],
    ['valid-ecdsa-p256-sha256', { signer: 'carol-p256' }, 'SHA-256', 'ECDSA P-256 with SHA-256.', 'carol@example.org'],
    ['valid-ecdsa-p384-sha384-opaque', { signer: 'dave-p384', md: 'sha384', opaque: true }, 'SHA-384', 'ECDSA P-384 with SHA-384, opaque.', 'dave@example.org'],
  ];
  for (const [name, opts, digest, comment, email] of algs) {
    begin();
    const from = email ? `<${email}>` : ALICE;
    const msg = withHeaders(mailHeaders(from, BOB, name), opensslSign(opts));
    write('msg.eml', msg, { record: false });
    msgVector(`signed/${name}.vec`, { comment, expect: 'valid', layers: 'signed:valid', check: [`/layers/0/signers/0/digest_algorithm = ${digest}`, '/layers/0/signers/0/signature = good', '/layers/0/signers/0/chain/status = trusted'], ...std, peer: opensslVerify('msg.eml') }, msg);
  }

  // --- valid-unknown-ca ---------------------------------------------------------------
  begin();
  let msg = withHeaders(mailHeaders(ALICE, BOB, 'valid-unknown-ca-no-root'), opensslSign({}));
  write('msg.eml', msg, { record: false });
  msgVector('signed/valid-unknown-ca-no-root.vec', { comment: 'A good signature, but no root is trusted.', expect: 'valid-unknown-ca', layers: 'signed:valid-unknown-ca', check: '/layers/0/signers/0/signature = good', at: AT, peer: opensslVerify('msg.eml', AT, { trust: false }) }, msg);

  begin();
  write('root-and-intermediate.pem', Buffer.concat([read('intermediate.pem'), read('root.pem')]));
  msg = withHeaders(mailHeaders(ALICE, BOB, 'valid-unknown-ca-root-in-message'), opensslSign({ certfile: 'root-and-intermediate.pem' }));
  msgVector('signed/valid-unknown-ca-root-in-message.vec', { comment: 'The message carries the root itself: a certificate that arrives in a message is never an anchor.', expect: 'valid-unknown-ca', layers: 'signed:valid-unknown-ca', at: AT }, msg);

  begin();
  msg = withHeaders(mailHeaders('<oscar@example.org>', BOB, 'valid-unknown-ca-other-root'), opensslSign({ signer: 'oscar-other-root', certfile: 'other-root.pem' }));
  write('msg.eml', msg, { record: false });
  msgVector('signed/valid-unknown-ca-other-root.vec', { comment: 'Signed under a root the user has not trusted (the trusted root is another one).', expect: 'valid-unknown-ca', layers: 'signed:valid-unknown-ca', ...std, peer: opensslVerify('msg.eml') }, msg);

  // --- address binding ------------------------------------------------------------------
  begin();
  msg = withHeaders(mailHeaders('Alice <ALICE@Example.ORG>', BOB, 'valid-from-case'), opensslSign({}));
  msgVector('signed/valid-from-address-case.vec', { comment: 'The From address differs from the certificate only in ASCII case: a match.', expect: 'valid', layers: 'signed:valid', ...std }, msg);

  begin();
  msg = withHeaders(mailHeaders('Alice <mallory@example.org>', BOB, 'address-mismatch'), opensslSign({}));
  write('msg.eml', msg, { record: false });
  msgVector('signed/address-mismatch.vec', { comment: "Alice's valid signature under a From naming another address (the From header is outside the signature).", expect: 'address-mismatch', layers: 'signed:address-mismatch', check: '/layers/0/signers/0/address/matches = false', ...std, peer: opensslVerify('msg.eml'), why: 'openssl cms -verify does not compare the From address; Cachet must (SPEC 1).' }, msg);

  begin();
  msg = withHeaders(mailHeaders('alice@example.org, mallory@example.net', BOB, 'from-two-addresses'), opensslSign({}));
  msgVector('signed/address-mismatch-two-from-addresses.vec', { comment: 'A From header with two addresses, the first being the signer: the signer cannot be bound to one sender, never valid (SPEC 1).', expect: 'address-mismatch', layers: 'signed:address-mismatch', ...std }, msg);

  begin();
  msg = withHeaders(mailHeaders('"alice@example.org" <mallory@example.net>', BOB, 'from-display-name'), opensslSign({}));
  msgVector('signed/address-mismatch-display-name.vec', { comment: "The signer's address appears only in the From display name; the real address is another: never valid.", expect: 'address-mismatch', layers: 'signed:address-mismatch', ...std }, msg);

  // --- tampered ---------------------------------------------------------------------
  const base = () => withHeaders(mailHeaders(ALICE, BOB, 'tampered'), opensslSign({})).toString('latin1');
  const edit = (text, from, to, what) => {
    if (!text.includes(from)) throw new Error(`edit: ${JSON.stringify(from)} not found`);
    log.push(`edit: ${what}: replace ${JSON.stringify(from)} by ${JSON.stringify(to)} (first occurrence)`);
    return Buffer.from(text.replace(from, to), 'latin1');
  };
  begin();
  msg = edit(base(), 'quarterly figures', 'quarterly fiGures', 'a changed word in the signed part');
  write('msg.eml', msg, { record: false });
  msgVector('signed/tampered-changed-word.vec', { comment: 'One word of the signed text changed after signing.', expect: 'tampered', layers: 'signed:tampered', diagnosis: 'changed', check: '/layers/0/signers/0/signature = digest-mismatch', ...std, peer: opensslVerify('msg.eml') }, msg);

  begin();
  msg = edit(base(), 'Alice\r\n\r\n--', 'Alice\r\n\r\n-- \r\nThis e-mail and any attachments are confidential.\r\n\r\n--', 'a server appends a disclaimer to the signed text part');
  write('msg.eml', msg, { record: false });
  msgVector('signed/tampered-appended-disclaimer.vec', { comment: 'A mail server appended a disclaimer to the signed text: tampered, with the appended text and the fact that the original still verifies.', expect: 'tampered', layers: 'signed:tampered', diagnosis: 'appended-text', check: ['/diagnosis/0/id = appended-text', '/diagnosis/0/appended_text ~ This e-mail and any attachments are confidential.', '/diagnosis/0/original_verifies = true'], ...std, peer: opensslVerify('msg.eml') }, msg);

  begin();
  const mixed = CRLF('Content-Type: multipart/mixed; boundary="inner"\n\n--inner\nContent-Type: text/plain; charset=us-ascii\n\nThe signed body.\n--inner--\n');
  const signedMixed = withHeaders(mailHeaders(ALICE, BOB, 'appended-part'), opensslSign({ content: mixed })).toString('latin1');
  msg = edit(signedMixed, '--inner--', '--inner\r\nContent-Type: text/plain\r\n\r\nDisclaimer: sent from our network.\r\n--inner--', 'a server adds a part inside the signed multipart');
  msgVector('signed/tampered-appended-part.vec', { comment: 'A server added a part inside the signed multipart/mixed: tampered, with the added part named and the original verifying.', expect: 'tampered', layers: 'signed:tampered', diagnosis: 'appended-part', check: '/diagnosis/0/original_verifies = true', ...std }, msg);

  // --- bad-signature ------------------------------------------------------------------
  begin();
  write('content.txt', TEXT);
  run('openssl', ['cms', '-sign', '-binary', '-md', 'sha256', '-in', 'content.txt', '-signer', 'alice-rsa.pem', '-inkey', 'alice-rsa.key', '-certfile', 'intermediate.pem', '-outform', 'DER', '-out', 'sig.der']);
  const der = read('sig.der');
  der[der.length - 1] ^= 0x01;
  log.push('edit: flip the lowest bit of the last byte of sig.der (the end of the RSA signature value)');
  msg = multipartSigned(mailHeaders(ALICE, BOB, 'bad-signature'), TEXT, der, 'sha-256');
  write('msg.eml', msg, { record: false });
  msgVector('signed/bad-signature.vec', { comment: 'The signature value does not verify (one bit flipped); the content digest still matches.', expect: 'bad-signature', layers: 'signed:bad-signature', check: '/layers/0/signers/0/signature = bad', ...std, peer: opensslVerify('msg.eml') }, msg);

  // --- dates ------------------------------------------------------------------------
  begin();
  msg = withHeaders(mailHeaders('<frank@example.org>', BOB, 'expired'), opensslSign({ signer: 'frank-expired' }));
  write('msg.eml', msg, { record: false });
  msgVector('signed/expired.vec', { comment: "Frank's certificate expired in 2025; signed (signingTime) after that.", expect: 'expired', layers: 'signed:expired', check: '/layers/0/signers/0/valid_at_signing_time = false', ...std, peer: opensslVerify('msg.eml') }, msg);

  begin();
  msg = withHeaders(mailHeaders(ALICE, BOB, 'expired-since-signing'), opensslSign({}));
  write('msg.eml', msg, { record: false });
  msgVector('signed/expired-since-signing.vec', { comment: "Old mail: Alice's certificate was valid when she signed (2026), but validation is at 2050, after it expired. signingTime never rescues it; the details say it was valid then.", expect: 'expired', layers: 'signed:expired', check: '/layers/0/signers/0/valid_at_signing_time = true', at: '2050-01-01T00:00:00Z', trust: [root], peer: opensslVerify('msg.eml', '2050-01-01T00:00:00Z') }, msg);

  begin();
  msg = withHeaders(mailHeaders('<grace@example.org>', BOB, 'not-yet-valid'), opensslSign({ signer: 'grace-not-yet-valid' }));
  write('msg.eml', msg, { record: false });
  msgVector('signed/not-yet-valid.vec', { comment: "Grace's certificate is valid from 2035 only.", expect: 'not-yet-valid', layers: 'signed:not-yet-valid', ...std, peer: opensslVerify('msg.eml') }, msg);

  // --- usage ------------------------------------------------------------------------
  for (const [name, signer, email, comment] of [
    ['wrong-usage-keyusage', 'heidi-keyenc-only', 'heidi@example.org', 'keyUsage has keyEncipherment only (no digitalSignature or nonRepudiation).'],
    ['wrong-usage-eku-serverauth', 'ivan-serverauth', 'ivan@example.org', 'extendedKeyUsage serverAuth only (no emailProtection).'],
    ['wrong-usage-ca-as-signer', 'ca-signer', 'casigner@example.org', 'The signer certificate is a CA certificate (cA=TRUE), issued by the trusted root: a CA certificate is not a mail signer (SPEC 1).'],
  ]) {
    begin();
    msg = withHeaders(mailHeaders(`<${email}>`, BOB, name), opensslSign({ signer, certfile: signer === 'ca-signer' ? null : 'intermediate.pem' }));
    write('msg.eml', msg, { record: false });
    const peer = opensslVerify('msg.eml');
    msgVector(`signed/${name}.vec`, { comment, expect: 'wrong-usage', layers: 'signed:wrong-usage', ...std, peer, why: peer.includes('Verification successful') ? 'openssl accepts this signer; Cachet follows SPEC 1 (never valid).' : undefined }, msg);
  }

  // --- weak algorithms ----------------------------------------------------------------
  for (const [name, opts, email, comment, why] of [
    ['weak-algorithm-sha1', { md: 'sha1' }, null, 'SHA-1 digest: verified, flagged weak (SPEC 4).', 'openssl accepts SHA-1; Cachet verifies it but never shows it as valid.'],
    ['weak-algorithm-rsa1024', { signer: 'judy-rsa1024' }, 'judy@example.org', 'RSA-1024 signer key: flagged weak (SPEC 4).', 'openssl accepts RSA-1024; Cachet flags it.'],
    ['weak-algorithm-sha1-certificate', { signer: 'mallet-sha1-cert' }, 'mallet@example.org', "The signer's certificate is signed with SHA-1 (sha1WithRSAEncryption) by the intermediate.", 'openssl at security level 1 accepts a SHA-1 certificate signature; Cachet flags it.'],
  ]) {
    begin();
    msg = withHeaders(mailHeaders(email ? `<${email}>` : ALICE, BOB, name), opensslSign(opts));
    write('msg.eml', msg, { record: false });
    msgVector(`signed/${name}.vec`, { comment, expect: 'weak-algorithm', layers: 'signed:weak-algorithm', ...std, peer: opensslVerify('msg.eml'), why }, msg);
  }
  begin();
  msg = withHeaders(mailHeaders(ALICE, BOB, 'weak-md5'), opensslSign({ md: 'md5' }));
  write('msg.eml', msg, { record: false });
  msgVector('signed/weak-algorithm-md5.vec', { comment: 'MD5 digest: refused (SPEC 4); never valid.', expect: 'weak-algorithm', layers: 'signed:weak-algorithm', ...std, peer: opensslVerify('msg.eml'), why: 'openssl verifies an MD5 signature; Cachet refuses MD5.' }, msg);

  // --- partially signed ---------------------------------------------------------------
  begin();
  const clear = opensslSign({}).toString('latin1');
  const inner = clear.replace(/^MIME-Version: 1.0\r\n/, '');
  log.push('edit: wrap the signed entity (without its MIME-Version line) as the first part of a multipart/mixed whose second part is an unsigned text');
  msg = Buffer.from(`${mailHeaders(ALICE, BOB, 'partially-signed')}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\n${inner}\r\n--outer\r\nContent-Type: text/plain\r\n\r\nUnsigned footer added later.\r\n--outer--\r\n`, 'latin1');
  msgVector('signed/partially-signed-mixed.vec', { comment: 'A valid signed part inside an unsigned multipart/mixed with an unsigned footer part.', expect: 'partially-signed', layers: 'signed:valid', diagnosis: 'appended-part', check: '/layers/0/covers = 1', ...std }, msg);

  begin();
  const fwd = withHeaders(mailHeaders(ALICE, BOB, 'forwarded'), opensslSign({})).toString('latin1');
  log.push('edit: forward the signed message as a message/rfc822 part after an unsigned text part');
  msg = Buffer.from(`${mailHeaders('Bob <bob@example.net>', 'Carol <carol@example.org>', 'Fwd: forwarded')}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="fwd"\r\n\r\n--fwd\r\nContent-Type: text/plain\r\n\r\nSee Alice's message below.\r\n--fwd\r\nContent-Type: message/rfc822\r\n\r\n${fwd}\r\n--fwd--\r\n`, 'latin1');
  msgVector('signed/partially-signed-forwarded.vec', { comment: "Bob forwards Alice's signed mail as a message/rfc822 attachment next to his own unsigned text: only the forwarded part is signed.", expect: 'partially-signed', layers: 'signed:valid', diagnosis: 'forwarded-message', check: ['/layers/0/covers = 2', "/diagnosis/0/appended_text ~ See Alice's message below."], ...std }, msg);

  // --- several signers, no signer, unsigned, malformed --------------------------------
  begin();
  msg = withHeaders(mailHeaders(ALICE, BOB, 'two-signers'), opensslSign({ signers: ['carol-p256'] }));
  msgVector('signed/several-signers-worst.vec', { comment: 'Two SignerInfos (Alice RSA, Carol P-256) under From: Alice. Each signer is reported; Carol does not match the From, so the headline (the worst) is address-mismatch.', expect: 'address-mismatch', layers: 'signed:address-mismatch', check: ['/layers/0/signers/0/certificate/emails/0 = carol@example.org', '/layers/0/signers/0/status = address-mismatch', '/layers/0/signers/1/certificate/emails/0 = alice@example.org', '/layers/0/signers/1/status = valid'], ...std }, msg);

  begin();
  run('openssl', ['crl2pkcs7', '-nocrl', '-certfile', 'alice-rsa.pem', '-outform', 'DER', '-out', 'certs-only.der']);
  msg = multipartSigned(mailHeaders(ALICE, BOB, 'no-signer'), TEXT, read('certs-only.der'), 'sha-256');
  msgVector('signed/no-signer.vec', { comment: 'A multipart/signed whose signature is a SignedData with certificates but no SignerInfo.', expect: 'no-signer', ...std }, msg);

  begin();
  msg = Buffer.from(mailHeaders(ALICE, BOB, 'unsigned') + 'MIME-Version: 1.0\r\n' + TEXT);
  msgVector('signed/unsigned.vec', { comment: 'A plain message: no S/MIME at all.', expect: 'unsigned', layers: '', ...std }, msg);

  begin();
  write('content.txt', TEXT);
  run('openssl', ['cms', '-sign', '-binary', '-md', 'sha256', '-in', 'content.txt', '-signer', 'alice-rsa.pem', '-inkey', 'alice-rsa.key', '-outform', 'DER', '-out', 'sig.der']);
  const garbage = Buffer.from(read('sig.der'));
  garbage.fill(0x41, 0, 24);
  log.push('edit: overwrite the first 24 bytes of sig.der with 0x41');
  msg = multipartSigned(mailHeaders(ALICE, BOB, 'malformed-signature'), TEXT, garbage, 'sha-256');
  msgVector('signed/malformed-signature-der.vec', { comment: 'The signature part is not DER (its first bytes overwritten).', expect: 'malformed', check: '/error/code = malformed', ...std }, msg);

  begin();
  const opaque = withHeaders(mailHeaders(ALICE, BOB, 'malformed-truncated'), opensslSign({ opaque: true })).toString('latin1');
  const cut = opaque.length - 400;
  log.push('edit: cut the last 400 bytes of the base64 body (a truncated opaque signed message)');
  msg = Buffer.from(opaque.slice(0, cut).replace(/[A-Za-z0-9+/=]*$/, '') + '\r\n', 'latin1');
  msgVector('signed/malformed-truncated-opaque.vec', { comment: 'An opaque signed message cut short.', expect: 'malformed', ...std }, msg);

  begin();
  const three = withHeaders(mailHeaders(ALICE, BOB, 'three-parts'), opensslSign({})).toString('latin1');
  const boundary = three.match(/boundary="([^"]+)"/)[1];
  msg = edit(three, `\r\n--${boundary}--`, `\r\n--${boundary}\r\nContent-Type: text/plain\r\n\r\nA third part outside the signature.\r\n--${boundary}--`, 'add a third body part to the multipart/signed');
  msgVector('signed/malformed-multipart-signed-three-parts.vec', { comment: 'A multipart/signed with three body parts: RFC 1847 allows exactly two; never valid (SPEC 1).', expect: 'malformed', ...std }, msg);
}

// ---------------------------------------------------------------------------------------
// Encrypted messages (SPEC 2): every cipher and key transport, every outcome.

const BOB_ID = { identity: ['pki/bob-rsa.p12.vec'], password: PASSWORD };

/** openssl cms -encrypt of content.txt (S/MIME output) to the recipients' certificates. */
function opensslEncrypt({ to = ['bob-rsa'], cipher = '-aes256', extra = [], content = TEXT, input = 'content.txt', der = false }) {
  if (input === 'content.txt') write('content.txt', content);
  const recips = extra.includes('-recip') ? [] : to.map((t) => `${t}.pem`);
  run('openssl', ['cms', '-encrypt', '-binary', ...(der ? ['-outform', 'DER'] : ['-crlfeol']), cipher, ...extra, '-in', input, '-out', der ? 'enc.der' : 'enc.eml', ...recips]);
  return read(der ? 'enc.der' : 'enc.eml');
}

/** What openssl cms -decrypt says with Bob's key. */
function opensslDecrypt(file, who = 'bob-rsa', inform = 'SMIME') {
  const args = ['cms', '-decrypt', '-inform', inform, '-in', file, '-recip', `${who}.pem`, '-inkey', `${who}.key`, '-out', 'decrypted.out'];
  const r = attempt('openssl', args);
  return `openssl ${args.map(quote).join(' ')} => ${r.ok ? 'decrypted' : `fails: ${opensslReason(r.text)}`}`;
}

function encryptedVectors() {
  const dec = (cipher, integrity) => ['/layers/0/encryption/content_cipher = ' + cipher, `/layers/0/encryption/integrity_protected = ${integrity}`];
  for (const [name, flag, cipher, comment] of [
    ['aes128-cbc', '-aes128', 'aes128-cbc', 'EnvelopedData, AES-128-CBC, RSA PKCS#1 v1.5 key transport.'],
    ['aes192-cbc', '-aes192', 'aes192-cbc', 'EnvelopedData, AES-192-CBC.'],
    ['aes256-cbc', '-aes256', 'aes256-cbc', 'EnvelopedData, AES-256-CBC.'],
    ['aes128-gcm', '-aes-128-gcm', 'aes128-gcm', 'AuthEnvelopedData, AES-128-GCM (integrity-protected).'],
    ['aes256-gcm', '-aes-256-gcm', 'aes256-gcm', 'AuthEnvelopedData, AES-256-GCM (integrity-protected).'],
  ]) {
    begin();
    const msg = withHeaders(mailHeaders(ALICE, BOB, `decrypted-${name}`), opensslEncrypt({ cipher: flag }));
    write('msg.eml', msg, { record: false });
    msgVector(`encrypted/decrypted-${name}.vec`, { comment: `${comment} Decrypted, not signed: headline unsigned.`, expect: 'unsigned', layers: 'encrypted:decrypted', check: dec(cipher, cipher.endsWith('gcm')), at: AT, ...BOB_ID, peer: opensslDecrypt('msg.eml') }, msg);
  }
  for (const [name, extra, cipher, comment] of [
    ['oaep-sha1-aes256-cbc', ['-recip', 'bob-rsa.pem', '-keyopt', 'rsa_padding_mode:oaep'], 'aes256-cbc', 'RSAES-OAEP key transport (SHA-1, MGF1-SHA-1), AES-256-CBC.'],
    ['oaep-sha256-aes256-gcm', ['-recip', 'bob-rsa.pem', '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256'], 'aes256-gcm', 'RSAES-OAEP key transport (SHA-256, MGF1-SHA-256), AES-256-GCM.'],
  ]) {
    begin();
    const msg = withHeaders(mailHeaders(ALICE, BOB, name), opensslEncrypt({ cipher: cipher === 'aes256-gcm' ? '-aes-256-gcm' : '-aes256', extra }));
    write('msg.eml', msg, { record: false });
    msgVector(`encrypted/decrypted-${name}.vec`, { comment, expect: 'unsigned', layers: 'encrypted:decrypted', check: dec(cipher, cipher.endsWith('gcm')), at: AT, ...BOB_ID, peer: opensslDecrypt('msg.eml') }, msg);
  }
  for (const [name, who, email, extra, comment] of [
    ['ecdh-p256-aes256-cbc', 'carol-p256', 'carol@example.org', [], 'ECDH key agreement (ephemeral-static, P-256, OpenSSL default KDF), AES-256-CBC, key wrap AES-256.'],
    ['ecdh-p384-sha384-kdf', 'dave-p384', 'dave@example.org', ['-keyopt', 'ecdh_kdf_md:sha384'], 'ECDH key agreement, P-384 with the SHA-384 KDF (dhSinglePass-stdDH-sha384kdf), AES-256-CBC.'],
  ]) {
    begin();
    const msg = withHeaders(mailHeaders(ALICE, `<${email}>`, name), opensslEncrypt({ to: [who], extra: extra.length ? ['-recip', `${who}.pem`, ...extra] : [] }));
    write('msg.eml', msg, { record: false });
    msgVector(`encrypted/decrypted-${name}.vec`, { comment, expect: 'unsigned', layers: 'encrypted:decrypted', check: dec('aes256-cbc', false), at: AT, identity: [`pki/${who}.p12.vec`], password: PASSWORD, peer: opensslDecrypt('msg.eml', who) }, msg);
  }
  begin();
  let msg = withHeaders(mailHeaders(ALICE, BOB, 'ber-stream'), opensslEncrypt({ extra: ['-stream'] }));
  msgVector('encrypted/decrypted-ber-indefinite-length.vec', { comment: 'openssl -stream: BER with indefinite lengths and chunked content.', expect: 'unsigned', layers: 'encrypted:decrypted', at: AT, ...BOB_ID }, msg);

  begin();
  msg = withHeaders(mailHeaders(ALICE, BOB, 'two-recipients'), opensslEncrypt({ to: ['alice-rsa', 'bob-rsa'] }));
  msgVector('encrypted/decrypted-second-recipient.vec', { comment: "Encrypted to Alice and Bob; Bob's RecipientInfo is the second.", expect: 'unsigned', layers: 'encrypted:decrypted', check: '/layers/0/encryption/recipients/1/issuer_and_serial/issuer ~ Cachet Vectors Intermediate CA', at: AT, ...BOB_ID }, msg);

  begin();
  msg = withHeaders(mailHeaders(ALICE, BOB, 'old-key'), opensslEncrypt({ to: ['bob-old'] }));
  msgVector('encrypted/decrypted-with-older-key.vec', { comment: "Encrypted to Bob's old certificate; Bob holds his current and his old identity: keys kept after renewal decrypt old mail.", expect: 'unsigned', layers: 'encrypted:decrypted', at: AT, identity: ['pki/bob-rsa.p12.vec', 'pki/bob-old.p12.vec'], password: PASSWORD }, msg);

  begin();
  msg = withHeaders(mailHeaders(ALICE, BOB, 'legacy-p12'), opensslEncrypt({}));
  msgVector('encrypted/decrypted-with-legacy-p12.vec', { comment: "Decrypted with Bob's key from a legacy PKCS#12 (3DES/RC2-40, SHA-1 MAC).", expect: 'unsigned', layers: 'encrypted:decrypted', at: AT, identity: ['peers/bob-openssl-legacy.p12.vec'], password: PASSWORD }, msg);

  // weak ciphers
  begin();
  msg = withHeaders(mailHeaders(ALICE, BOB, 'des3'), opensslEncrypt({ cipher: '-des3' }));
  write('msg.eml', msg, { record: false });
  msgVector('encrypted/weak-cipher-3des.vec', { comment: '3DES (des-ede3-cbc): decrypts, with a warning (SPEC 2).', expect: 'weak-cipher', check: '/layers/0/encryption/content_cipher = des-ede3-cbc', at: AT, ...BOB_ID, peer: opensslDecrypt('msg.eml'), why: 'openssl decrypts 3DES silently; Cachet decrypts and warns.' }, msg);
  for (const [name, flag, word] of [['rc2-40', '-rc2-40', 'RC2'], ['des', '-des', 'DES']]) {
    begin();
    msg = withHeaders(mailHeaders(ALICE, BOB, name), opensslEncrypt({ cipher: flag, extra: ['-provider', 'legacy', '-provider', 'default'] }));
    msgVector(`encrypted/weak-cipher-${name}-refused.vec`, { comment: `${word}: refused (SPEC 4: RC2 and DES only when the user opens legacy mail explicitly); nothing is shown.`, expect: 'weak-cipher', check: `/error/message ~ ${word}`, at: AT, ...BOB_ID, why: `openssl (legacy provider) decrypts ${word}; Cachet refuses it.` }, msg);
  }

  // no-key
  begin();
  msg = withHeaders(mailHeaders(ALICE, BOB, 'no-key'), opensslEncrypt({}));
  msgVector('encrypted/no-key-other-identity.vec', { comment: "Encrypted to Bob, opened with Carol's identity: no-key, naming Bob's certificate (issuer and serial) and hinting at a backup.", expect: 'no-key', layers: 'encrypted:no-key', diagnosis: 'no-key', check: ['/layers/0/encryption/recipients/0/issuer_and_serial/serial = ' + serialOf('bob-rsa'), '/layers/0/encryption/recipients/0/issuer_and_serial/issuer ~ Cachet Vectors Intermediate CA'], at: AT, identity: ['pki/carol-p256.p12.vec'], password: PASSWORD }, msg);
  msgVector('encrypted/no-key-without-identity.vec', { comment: 'The same message opened with no identity at all.', expect: 'no-key', layers: 'encrypted:no-key', at: AT, commands: commands() }, msg);

  // integrity-failure
  begin();
  write('content.txt', TEXT);
  let der = opensslEncrypt({ der: true });
  const cbc = Buffer.from(der);
  cbc[cbc.length - 17] ^= 0xff;
  log.push('edit: xor 0xff into the byte 17 from the end of enc.der (the last byte of the penultimate CBC block: the padding of the last block breaks)');
  msg = pkcs7Mime(mailHeaders(ALICE, BOB, 'cbc-padding'), cbc, 'enveloped-data');
  msgVector('encrypted/integrity-failure-cbc-padding.vec', { comment: 'AES-256-CBC whose padding no longer checks: integrity-failure, no partial plaintext.', expect: 'integrity-failure', at: AT, ...BOB_ID }, msg);

  begin();
  der = opensslEncrypt({ der: true, cipher: '-aes-256-gcm' });
  const gcm = Buffer.from(der);
  gcm[gcm.length - 30] ^= 0x01;
  log.push('edit: flip the lowest bit of the byte 30 from the end of enc.der (inside the GCM ciphertext)');
  msg = pkcs7Mime(mailHeaders(ALICE, BOB, 'gcm-tag'), gcm, 'authEnveloped-data');
  msgVector('encrypted/integrity-failure-gcm-tag.vec', { comment: 'AES-256-GCM with one ciphertext bit flipped: the tag fails.', expect: 'integrity-failure', check: '/layers/0/encryption/integrity_protected = true', at: AT, ...BOB_ID }, msg);

  begin();
  der = opensslEncrypt({ der: true });
  const kt = Buffer.from(der);
  const at = kt.indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00])) + 40;
  kt[at] ^= 0x01;
  log.push('edit: flip the lowest bit of the 37th byte of the 256-byte encryptedKey (OCTET STRING 04 82 01 00) in enc.der');
  msg = pkcs7Mime(mailHeaders(ALICE, BOB, 'key-transport'), kt, 'enveloped-data');
  msgVector('encrypted/integrity-failure-key-transport.vec', { comment: 'The RSA PKCS#1 v1.5 encrypted key is damaged: implicit rejection gives a wrong key, and the answer is the same integrity-failure as for the content (RFC 3218), with no error object telling them apart.', expect: 'integrity-failure', check: '/error = null', at: AT, ...BOB_ID }, msg);

  begin();
  der = opensslEncrypt({ der: true });
  log.push('edit: cut the last 40 bytes of enc.der');
  msg = pkcs7Mime(mailHeaders(ALICE, BOB, 'truncated'), der.subarray(0, der.length - 40), 'enveloped-data');
  msgVector('encrypted/malformed-truncated-envelope.vec', { comment: 'A truncated EnvelopedData.', expect: 'malformed', layers: 'encrypted:malformed', at: AT, ...BOB_ID }, msg);

  begin();
  der = opensslEncrypt({ der: true, cipher: '-aes-256-gcm' });
  const b64 = der.toString('base64').replace(/(.{76})/g, '$1\r\n');
  log.push('assemble: the AuthEnvelopedData as the first part of a multipart/mixed, next to an unencrypted text part');
  msg = Buffer.from(`${mailHeaders(ALICE, BOB, 'partially-encrypted')}MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/pkcs7-mime; smime-type=authEnveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--b\r\nContent-Type: text/plain\r\n\r\nClick here to confirm your password.\r\n--b--\r\n`);
  msgVector('encrypted/partially-encrypted.vec', { comment: 'An encrypted part next to an unencrypted part anyone could have added (EFAIL-style): decrypted, and the diagnosis names the unencrypted text.', expect: 'unsigned', layers: 'encrypted:decrypted', diagnosis: 'partially-encrypted', check: '/diagnosis/0/appended_text ~ Click here to confirm your password.', at: AT, ...BOB_ID }, msg);

  // nesting
  begin();
  opensslSign({});
  msg = withHeaders(mailHeaders(ALICE, BOB, 'signed-then-encrypted'), opensslEncrypt({ input: 'signed.eml' }));
  msgVector('encrypted/signed-then-encrypted.vec', { comment: 'Clear-signed by Alice, then encrypted to Bob (sign first, then encrypt).', expect: 'valid', layers: 'encrypted:decrypted signed:valid', ...std, ...BOB_ID }, msg);
  msgVector('encrypted/signed-then-encrypted-no-key.vec', { comment: 'The same message without the key: the signature inside cannot be reached.', expect: 'no-key', layers: 'encrypted:no-key', ...std, commands: commands() }, msg);

  begin();
  opensslSign({ opaque: true });
  const middle = opensslEncrypt({ input: 'signed.eml', cipher: '-aes-256-gcm' }).toString('latin1').replace(/\r?\n/g, '\r\n').replace(/(\r\n)+$/, '\r\n');
  write('enc-trimmed.eml', middle, { record: false });
  log.push('edit: enc.eml with every line ending made CRLF and without its trailing empty line > enc-trimmed.eml');
  run('openssl', ['cms', '-sign', '-binary', '-crlfeol', '-md', 'sha256', '-in', 'enc-trimmed.eml', '-signer', 'alice-rsa.pem', '-inkey', 'alice-rsa.key', '-certfile', 'intermediate.pem', '-out', 'triple.eml']);
  msg = withHeaders(mailHeaders(ALICE, BOB, 'triple-wrapped'), read('triple.eml'));
  write('msg.eml', msg, { record: false });
  msgVector('encrypted/triple-wrapped.vec', { comment: 'Triple wrapping: opaque-signed, encrypted (AES-256-GCM), clear-signed again.', expect: 'valid', layers: 'signed:valid encrypted:decrypted signed:valid', ...std, ...BOB_ID, peer: opensslVerify('msg.eml') }, msg);
}

function serialOf(name) {
  return String(run('openssl', ['x509', '-noout', '-serial', '-in', `${name}.pem`], { record: false })).trim().replace(/^serial=/, '');
}

// ---------------------------------------------------------------------------------------
// Other producers: NSS, gpgsm, Python cryptography; PKCS#12 files from each.

function peerVectors() {
  // NSS: a database holding Alice's and Bob's identities.
  begin();
  fs.mkdirSync(w('nssdb'));
  run('certutil', ['-N', '-d', 'nssdb', '--empty-password']);
  for (const who of ['alice-rsa', 'bob-rsa']) run('pk12util', ['-i', `${who}.p12`, '-d', 'nssdb', '-W', PASSWORD]);
  run('certutil', ['-M', '-d', 'nssdb', '-n', 'Cachet Vectors Root CA - Cachet Test Vectors', '-t', 'C,C,C']);
  const nssSetup = commands();
  write('content.txt', TEXT);
  run('cmsutil', ['-S', '-N', 'alice-rsa', '-T', '-G', '-P', '-H', 'SHA256', '-d', 'nssdb', '-i', 'content.txt', '-o', 'nss-sig.der']);
  let msg = multipartSigned(mailHeaders(ALICE, BOB, 'nss-signed'), TEXT, read('nss-sig.der'), 'sha-256');
  msgVector('peers/nss-cmsutil-signed.vec', { comment: 'Detached signature by NSS cmsutil (-T, with signingTime and SMIMECapabilities), wrapped into multipart/signed.', expect: 'valid', layers: 'signed:valid', ...std }, msg);

  begin();
  log.push(...nssSetup);
  write('content.txt', TEXT);
  run('cmsutil', ['-E', '-r', 'bob@example.net', '-d', 'nssdb', '-i', 'content.txt', '-o', 'nss-enc.der']);
  msg = pkcs7Mime(mailHeaders(ALICE, BOB, 'nss-encrypted'), read('nss-enc.der'), 'enveloped-data');
  msgVector('peers/nss-cmsutil-encrypted.vec', { comment: 'EnvelopedData by NSS cmsutil -E (BER, indefinite lengths).', expect: 'unsigned', layers: 'encrypted:decrypted', at: AT, ...BOB_ID }, msg);

  begin();
  log.push(...nssSetup);
  run('pk12util', ['-o', 'bob-nss.p12', '-n', 'bob-rsa', '-d', 'nssdb', '-W', PASSWORD]);
  vectorFile('peers/bob-nss-pk12util.p12.vec', { kind: 'identity', comment: "Bob's identity exported by NSS pk12util (its default PBE and MAC).", check: ['/0/emails/0 = bob@example.net'], password: PASSWORD, tools: [...tools], commands: commands() }, read('bob-nss.p12'));

  begin();
  msg = withHeaders(mailHeaders(ALICE, BOB, 'nss-p12'), opensslEncrypt({}));
  msgVector('peers/decrypted-with-nss-p12.vec', { comment: "Encrypted to Bob by openssl, decrypted with the key from NSS's PKCS#12 export.", expect: 'unsigned', layers: 'encrypted:decrypted', at: AT, identity: ['peers/bob-nss-pk12util.p12.vec'], password: PASSWORD }, msg);

  // OpenSSL legacy PKCS#12.
  begin();
  run('openssl', ['pkcs12', '-export', '-legacy', '-name', 'bob-rsa', '-inkey', 'bob-rsa.key', '-in', 'bob-rsa.pem', '-passout', `pass:${PASSWORD}`, '-out', 'bob-legacy.p12']);
  vectorFile('peers/bob-openssl-legacy.p12.vec', { kind: 'identity', comment: "Bob's identity as a legacy PKCS#12 (openssl -legacy: RC2-40 for the certificate, 3DES for the key, SHA-1 MAC), as old Windows and OpenSSL 1.x write.", check: ['/0/emails/0 = bob@example.net'], password: PASSWORD, tools: [...tools], commands: commands() }, read('bob-legacy.p12'));
  vectorFile('peers/bob-wrong-password.p12.vec', { kind: 'identity', comment: 'The legacy PKCS#12 with a wrong password: a typed error, never a panic.', error: 'wrong-password', password: 'not-the-password', tools: [...tools], commands: commands() }, read('bob-legacy.p12'));

  // gpgsm: Alice's key imported from a legacy PKCS#12 (gpgsm 2.2 reads only those).
  begin();
  fs.mkdirSync(w('gnupg'), { mode: 0o700 });
  write('gnupg/gpgsm.conf', 'disable-crl-checks\ndisable-dirmngr\n');
  write('gnupg/gpg-agent.conf', 'allow-loopback-pinentry\n');
  const g = (args, input) => run('gpgsm', ['--homedir', 'gnupg', '--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', ...args], { input: input ?? 'pw\n' });
  run('openssl', ['pkcs12', '-export', '-legacy', '-inkey', 'alice-rsa.key', '-in', 'alice-rsa.pem', '-passout', 'pass:pw', '-out', 'alice-legacy.p12']);
  g(['--import', 'root.pem']);
  g(['--import', 'intermediate.pem']);
  g(['--import', 'bob-rsa.pem']);
  g(['--import', 'alice-legacy.p12']);
  const fp = String(run('openssl', ['x509', '-noout', '-fingerprint', '-sha1', '-in', 'root.pem'])).trim().split('=')[1];
  write('gnupg/trustlist.txt', `${fp} S relax\n`);
  const gpgSetup = commands();
  write('content.txt', TEXT);
  g(['--include-certs', '-1', '-u', 'alice@example.org', '--detach-sign', '-o', 'gpgsm-sig.der', 'content.txt']);
  msg = multipartSigned(mailHeaders(ALICE, BOB, 'gpgsm-signed'), TEXT, read('gpgsm-sig.der'), 'sha-256');
  msgVector('peers/gpgsm-signed.vec', { comment: 'Detached signature by gpgsm (GnuPG), wrapped into multipart/signed.', expect: 'valid', layers: 'signed:valid', ...std }, msg);

  begin();
  log.push(...gpgSetup);
  write('content.txt', TEXT);
  g(['-r', 'bob@example.net', '--encrypt', '-o', 'gpgsm-enc.der', 'content.txt']);
  msg = pkcs7Mime(mailHeaders(ALICE, BOB, 'gpgsm-encrypted'), read('gpgsm-enc.der'), 'enveloped-data');
  msgVector('peers/gpgsm-encrypted.vec', { comment: 'EnvelopedData by gpgsm --encrypt.', expect: 'unsigned', layers: 'encrypted:decrypted', at: AT, ...BOB_ID }, msg);
  spawnSync('gpgconf', ['--homedir', 'gnupg', '--kill', 'gpg-agent'], { cwd: WORK });

  // Python cryptography.
  begin();
  write('content.txt', TEXT);
  write('py-sign.py', PY_SIGN);
  run('python3', ['py-sign.py']);
  msg = withHeaders(mailHeaders(ALICE, BOB, 'python-signed'), read('py-signed.eml'));
  msgVector('peers/python-cryptography-signed.vec', { comment: 'Clear-signed (S/MIME, detached) by Python cryptography PKCS7SignatureBuilder, SHA-256.', expect: 'valid', layers: 'signed:valid', ...std }, msg);

  begin();
  write('content.txt', TEXT);
  write('py-encrypt.py', PY_ENCRYPT);
  run('python3', ['py-encrypt.py']);
  msg = pkcs7Mime(mailHeaders(ALICE, BOB, 'python-encrypted'), read('py-enc.der'), 'enveloped-data');
  msgVector('peers/python-cryptography-encrypted.vec', { comment: 'EnvelopedData by Python cryptography PKCS7EnvelopeBuilder, AES-128-CBC.', expect: 'unsigned', layers: 'encrypted:decrypted', check: '/layers/0/encryption/content_cipher = aes128-cbc', at: AT, ...BOB_ID }, msg);

  begin();
  write('py-p12.py', PY_P12);
  run('python3', ['py-p12.py']);
  vectorFile('peers/bob-python-cryptography.p12.vec', { kind: 'identity', comment: "Bob's identity serialised by Python cryptography (BestAvailableEncryption).", check: ['/0/emails/0 = bob@example.net'], password: PASSWORD, tools: [...tools], commands: commands() }, read('bob-py.p12'));
}

const PY_SIGN = `from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
cert = x509.load_pem_x509_certificate(open('alice-rsa.pem', 'rb').read())
key = serialization.load_pem_private_key(open('alice-rsa.key', 'rb').read(), None)
inter = x509.load_pem_x509_certificate(open('intermediate.pem', 'rb').read())
b = pkcs7.PKCS7SignatureBuilder().set_data(open('content.txt', 'rb').read()).add_signer(cert, key, hashes.SHA256()).add_certificate(inter)
open('py-signed.eml', 'wb').write(b.sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]))
`;
const PY_ENCRYPT = `from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7
cert = x509.load_pem_x509_certificate(open('bob-rsa.pem', 'rb').read())
b = pkcs7.PKCS7EnvelopeBuilder().set_data(open('content.txt', 'rb').read()).add_recipient(cert).set_content_encryption_algorithm(algorithms.AES128)
open('py-enc.der', 'wb').write(b.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))
`;
const PY_P12 = `from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
cert = x509.load_pem_x509_certificate(open('bob-rsa.pem', 'rb').read())
key = serialization.load_pem_private_key(open('bob-rsa.key', 'rb').read(), None)
open('bob-py.p12', 'wb').write(pkcs12.serialize_key_and_certificates(b'bob-rsa', key, cert, None, serialization.BestAvailableEncryption(b'${PASSWORD}')))
`;

// ---------------------------------------------------------------------------------------
// Pins (SPEC 5): a pinned certificate is trusted as itself for its own addresses, never
// as an issuer (the core's pins, the CLI's --pin).

function pinVectors() {
  const pin = { at: AT, needs: 'pin' };
  begin();
  let msg = withHeaders(mailHeaders(ALICE, BOB, 'pin-leaf'), opensslSign({}));
  msgVector('pins/pinned-leaf-valid.vec', { comment: "Alice's certificate pinned (no root trusted): valid for her own address.", expect: 'valid', layers: 'signed:valid', pin: ['pki/alice-rsa.cert.vec'], ...pin }, msg);
  msgVector('pins/pinned-intermediate-is-not-an-issuer.vec', { comment: 'The intermediate CA pinned (no root trusted): a pin is never an issuer, so Alice stays unknown.', expect: 'valid-unknown-ca', layers: 'signed:valid-unknown-ca', pin: ['pki/intermediate.cert.vec'], ...pin, commands: commands() }, msg);

  begin();
  msg = withHeaders(mailHeaders('Pat <pat@example.org>', BOB, 'pin-self-signed'), opensslSign({ signer: 'pat-self-signed', certfile: null }));
  msgVector('pins/pinned-self-signed-valid.vec', { comment: "Pat's self-signed certificate (cA=FALSE), pinned: valid.", expect: 'valid', layers: 'signed:valid', pin: ['pki/pat-self-signed.cert.vec'], ...pin }, msg);
  msgVector('signed/valid-unknown-ca-self-signed.vec', { comment: "Pat's self-signed certificate, neither pinned nor a root: valid-unknown-ca (the user may pin it).", expect: 'valid-unknown-ca', layers: 'signed:valid-unknown-ca', ...std, commands: commands() }, msg);

  begin();
  msg = withHeaders(mailHeaders('Pat <mallory@example.org>', BOB, 'pin-other-address'), opensslSign({ signer: 'pat-self-signed', certfile: null }));
  msgVector('pins/pinned-for-another-address.vec', { comment: "Pat's pinned certificate under a From naming another address: a pin counts only for the addresses it names.", expect: 'address-mismatch', layers: 'signed:address-mismatch', pin: ['pki/pat-self-signed.cert.vec'], ...pin }, msg);

  begin();
  msg = withHeaders(mailHeaders('<frank@example.org>', BOB, 'pin-expired'), opensslSign({ signer: 'frank-expired' }));
  msgVector('pins/pinned-but-expired.vec', { comment: "Frank's expired certificate pinned: a pin does not rescue dates.", expect: 'expired', layers: 'signed:expired', pin: ['pki/frank-expired.cert.vec'], ...pin }, msg);
}

// ---------------------------------------------------------------------------------------
// Algorithms Cachet does not implement (SPEC 4 lists RSA and ECDSA): a DSA signer and an
// Ed25519 certificate authority. Each is a clear weak-algorithm verdict naming the algorithm
// ("not supported"), never wrong-usage. Their own small PKI (DSA and Ed25519 roots), so they
// can be added without remaking the others: `node tests/vectors/make.mjs --add unsupported`.
// (OpenSSL 3.0 cannot write an Ed25519 CMS signature; Ed25519 signers are in the corpus.)

const DSA_PARAMS = ['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-out', 'dsa-params.pem'];

function buildUnsupportedPki() {
  run('openssl', DSA_PARAMS, { record: false });
  const params = `openssl ${DSA_PARAMS.join(' ')}`;
  const caExt = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n';
  const signExt = (email) => `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\nsubjectAltName=email:${email}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`;
  makeCert('dsa-root', { subj: '/CN=Cachet Vectors DSA Root CA/O=Cachet Test Vectors', kind: 'dsa', issuer: null, ext: caExt, p12: false });
  makeCert('victor-dsa', { subj: '/CN=victor-dsa/O=Cachet Test Vectors', kind: 'dsa', issuer: 'dsa-root', ext: signExt('victor@example.org'), email: 'victor@example.org', p12: false });
  for (const n of ['dsa-root', 'victor-dsa']) pki[n].log.splice(1, 0, `${params}  # (DSA domain parameters, once)`);
  makeCert('ed25519-root', { subj: '/CN=Cachet Vectors Ed25519 Root CA/O=Cachet Test Vectors', kind: 'ed25519', issuer: null, ext: caExt, md: 'default', p12: false });
  makeCert('wendy-under-ed25519', { subj: '/CN=wendy-under-ed25519/O=Cachet Test Vectors', issuer: 'ed25519-root', ext: leafExt('wendy@example.org', 'rsa2048'), md: 'default', email: 'wendy@example.org', p12: false });
}

function unsupportedVectors() {
  begin();
  let msg = withHeaders(mailHeaders('Victor <victor@example.org>', BOB, 'dsa-signer'), opensslSign({ signer: 'victor-dsa', certfile: null }));
  write('msg.eml', msg, { record: false });
  msgVector('signed/weak-algorithm-dsa-signer.vec', {
    comment: 'A DSA signer (dsa_with_SHA256) under a DSA root, both trusted: Cachet does not implement DSA, so neither the signature nor the root\'s signature on the certificate can be checked. Algorithm not supported: weak-algorithm naming DSA, never wrong-usage.',
    expect: 'weak-algorithm',
    layers: 'signed:weak-algorithm',
    check: ['/layers/0/signers/0/signature = unsupported', '/layers/0/signers/0/details/0 ~ Algorithm not supported: Cachet does not implement DSA', '/layers/0/signers/0/chain/status = weak-algorithm', '/layers/0/signers/0/chain/algorithm ~ DSA (not supported)'],
    at: AT,
    trust: ['pki/dsa-root.cert.vec'],
    why: 'openssl implements DSA and verifies it; Cachet does not (SPEC 4), and says so rather than showing it as valid.',
    peer: opensslVerify('msg.eml', AT, { ca: 'dsa-root.pem' }),
  }, msg);

  begin();
  msg = withHeaders(mailHeaders('Wendy <wendy@example.org>', BOB, 'ed25519-issuer'), opensslSign({ signer: 'wendy-under-ed25519', certfile: null }));
  write('msg.eml', msg, { record: false });
  msgVector('signed/weak-algorithm-ed25519-issuer.vec', {
    comment: "An RSA signer whose certificate an Ed25519 root signed: the message's signature verifies, but Cachet does not implement Ed25519, so the certificate's signature cannot be checked. Algorithm not supported: weak-algorithm naming Ed25519, never wrong-usage.",
    expect: 'weak-algorithm',
    layers: 'signed:weak-algorithm',
    check: ['/layers/0/signers/0/signature = good', '/layers/0/signers/0/chain/status = weak-algorithm', '/layers/0/signers/0/chain/algorithm = Ed25519 (not supported)', '/layers/0/signers/0/chain/details/0 ~ an algorithm Cachet does not support'],
    at: AT,
    trust: ['pki/ed25519-root.cert.vec'],
    why: 'openssl implements Ed25519 and accepts the path; Cachet does not (SPEC 4), and says so rather than showing it as valid.',
    peer: opensslVerify('msg.eml', AT, { ca: 'ed25519-root.pem' }),
  }, msg);
}

// ---------------------------------------------------------------------------------------
// Hostile inputs: the hand-made fuzz regressions of crate/tests/vectors/fuzz, through
// `open` (messages) and PKCS#12 import. Expectation: no panic, a malformed verdict or a
// typed error.

function hostileVectors() {
  const fuzz = path.join(REPO, 'crate', 'tests', 'vectors', 'fuzz');
  const expectOf = {
    'open/hand-empty-signature-part.eml': 'malformed',
    'open/hand-pkcs7-mime-truncated.eml': 'malformed',
    'decrypt/hand-authenveloped-no-recipients.eml': 'malformed',
    'decrypt/hand-enveloped-truncated.eml': 'malformed',
    'mime_parse/hand-nesting-40-deep.eml': 'malformed',
    'mime_parse/hand-odd-headers.eml': 'unsigned',
  };
  for (const [rel, expect] of Object.entries(expectOf)) {
    begin();
    const data = fs.readFileSync(path.join(fuzz, rel));
    msgVector(`hostile/fuzz-${rel.replace(/\//g, '-').replace(/\.eml$/, '')}.vec`, { comment: `A hand-made hostile input of the fuzz regressions (${rel}): no panic, ${expect}.`, expect, at: AT, ...(rel.startsWith('decrypt/') ? BOB_ID : {}), trust: [root], source: `crate/tests/vectors/fuzz/${rel} (copied byte for byte)` }, data);
  }
  for (const f of fs.readdirSync(path.join(fuzz, 'cms_signed')).sort()) {
    begin();
    // A SignedData with no content and no SignerInfo is read as a certificate bundle (as
    // certs-only is): nothing is signed, so unsigned; the other two do not parse.
    const bundle = f === 'hand-signeddata-empty-sets.der';
    const msg = pkcs7Mime(mailHeaders(ALICE, BOB, f), fs.readFileSync(path.join(fuzz, 'cms_signed', f)), 'signed-data');
    msgVector(`hostile/fuzz-cms_signed-${f.replace(/\.der$/, '')}.vec`, { comment: `The hostile CMS blob ${f} of the fuzz regressions, as an opaque signed message: no panic, ${bundle ? 'unsigned (no content and no SignerInfo: read as a certificate bundle, nothing signed)' : 'malformed'}.`, expect: bundle ? 'unsigned' : 'malformed', ...std, source: `crate/tests/vectors/fuzz/cms_signed/${f}` }, msg);
  }
  for (const f of fs.readdirSync(path.join(fuzz, 'pkcs12')).sort()) {
    begin();
    vectorFile(`hostile/fuzz-pkcs12-${f.replace(/\.p12$/, '')}.p12.vec`, { kind: 'identity', comment: `The hostile PKCS#12 ${f} of the fuzz regressions (see its README): a typed error, never a panic.`, error: 'bad-pkcs12', password: 'fuzz-test-password', source: `crate/tests/vectors/fuzz/pkcs12/${f} (copied byte for byte)` }, fs.readFileSync(path.join(fuzz, 'pkcs12', f)));
  }
}

// ---------------------------------------------------------------------------------------
// Issue 17: what real clients, gateways and B2B products write, and the repairs Cachet
// reports for it (`repairs` in the report). Each repair also comes tampered: leniency never
// turns a changed message into a good one. Tools: openssl for signing and encrypting, and
// Python scripts writing raw DER where no installed tool writes the form (OpenSSL here is
// built without zlib, writes only 16-byte GCM tags, always adds contentType, and cannot put
// a password recipient next to AES-GCM).

/** Python: DER helpers shared by the scripts below (written as der.py). */
const PY_DER = `def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + body
def oid(dotted):
    p = [int(x) for x in dotted.split('.')]
    out = bytes([40 * p[0] + p[1]])
    for v in p[2:]:
        enc = [v & 0x7f]
        v >>= 7
        while v:
            enc.append(0x80 | (v & 0x7f))
            v >>= 7
        out += bytes(reversed(enc))
    return tlv(0x06, out)
def integer(v):
    return tlv(0x02, v.to_bytes(v.bit_length() // 8 + 1, 'big', signed=True))
def seq(*xs):
    return tlv(0x30, b''.join(xs))
def octets(b):
    return tlv(0x04, b)
NULL = b'\\x05\\x00'
def issuer_and_serial(cert):
    from cryptography.hazmat.primitives.serialization import Encoding
    return seq(cert.issuer.public_bytes(), integer(cert.serial_number))
`;

/** Python: CompressedData (RFC 3274, zlib) of content.txt, as a ContentInfo and bare. */
const PY_COMPRESS = `import sys, zlib
from der import *
data = open(sys.argv[1], 'rb').read()
cd = seq(integer(0), seq(oid('1.2.840.113549.1.9.16.3.8')), seq(oid('1.2.840.113549.1.7.1'), tlv(0xa0, octets(zlib.compress(data)))))
open('compressed-bare.der', 'wb').write(cd)
open('compressed.der', 'wb').write(seq(oid('1.2.840.113549.1.9.16.1.9'), tlv(0xa0, cd)))
`;

/** Python: AuthEnvelopedData (RFC 5083/5084) of content.txt to bob-rsa.pem, AES-256-GCM
 *  with a tag of argv[1] bytes (a truncated GCM tag is GCM with that tag length). */
const PY_GCM = `import os, sys
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from der import *
taglen = int(sys.argv[1])
cert = x509.load_pem_x509_certificate(open('bob-rsa.pem', 'rb').read())
cek, nonce = os.urandom(32), os.urandom(12)
sealed = AESGCM(cek).encrypt(nonce, open('content.txt', 'rb').read(), None)
ct, tag = sealed[:-16], sealed[-16:][:taglen]
ktri = seq(integer(0), issuer_and_serial(cert), seq(oid('1.2.840.113549.1.1.1'), NULL), octets(cert.public_key().encrypt(cek, padding.PKCS1v15())))
params = seq(octets(nonce), *([] if taglen == 12 else [integer(taglen)]))
eci = seq(oid('1.2.840.113549.1.7.1'), seq(oid('2.16.840.1.101.3.4.1.46'), params), tlv(0x80, ct))
aed = seq(integer(0), tlv(0x31, ktri), eci, octets(tag))
open('gcm.der', 'wb').write(seq(oid('1.2.840.113549.1.9.16.1.23'), tlv(0xa0, aed)))
`;

/** Python: AuthEnvelopedData (AES-256-GCM) of content.txt for a password (RFC 3211:
 *  PBKDF2-HMAC-SHA256, 2048 iterations, the PWRI-KEK wrap with AES-256-CBC). */
const PY_PWRI_GCM = `import os, sys
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from der import *
password = open('password.txt', 'rb').read().rstrip(b'\\n')
salt, iters, iv = os.urandom(8), 2048, os.urandom(16)
kek = PBKDF2HMAC(hashes.SHA256(), 32, salt, iters).derive(password)
cek, nonce = os.urandom(32), os.urandom(12)
# RFC 3211 2.3.1: length, check bytes, key, padding to whole blocks (two at least), then CBC twice.
block = bytes([len(cek)]) + bytes(b ^ 0xff for b in cek[:3]) + cek
block += os.urandom(-len(block) % 16 or 0)
block += os.urandom(max(0, 32 - len(block)))
once = Cipher(algorithms.AES(kek), modes.CBC(iv)).encryptor().update(block)
twice = Cipher(algorithms.AES(kek), modes.CBC(once[-16:])).encryptor().update(once)
kdf = oid('1.2.840.113549.1.5.12') + seq(octets(salt), integer(iters), seq(oid('1.2.840.113549.2.9'), NULL))
pwri = tlv(0xa3, integer(0) + tlv(0xa0, kdf) + seq(oid('1.2.840.113549.1.9.16.3.9'), seq(oid('2.16.840.1.101.3.4.1.42'), octets(iv))) + octets(twice))
sealed = AESGCM(cek).encrypt(nonce, open('content.txt', 'rb').read(), None)
eci = seq(oid('1.2.840.113549.1.7.1'), seq(oid('2.16.840.1.101.3.4.1.46'), seq(octets(nonce), integer(16))), tlv(0x80, sealed[:-16]))
aed = seq(integer(0), tlv(0x31, pwri), eci, octets(sealed[-16:]))
open('pwri-gcm.der', 'wb').write(seq(oid('1.2.840.113549.1.9.16.1.23'), tlv(0xa0, aed)))
`;

/** Python: a detached SignedData over content.txt by Alice whose signed attributes are
 *  messageDigest and signingTime only (no contentType), as old signers wrote them. */
const PY_NO_CONTENT_TYPE = `import hashlib
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from der import *
cert = x509.load_pem_x509_certificate(open('alice-rsa.pem', 'rb').read())
inter = x509.load_pem_x509_certificate(open('intermediate.pem', 'rb').read())
key = serialization.load_pem_private_key(open('alice-rsa.key', 'rb').read(), None)
digest = hashlib.sha256(open('content.txt', 'rb').read()).digest()
attrs = sorted([
    seq(oid('1.2.840.113549.1.9.4'), tlv(0x31, octets(digest))),
    seq(oid('1.2.840.113549.1.9.5'), tlv(0x31, tlv(0x17, b'261205120000Z'))),
])
signed = tlv(0x31, b''.join(attrs))
sig = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
sha256 = seq(oid('2.16.840.1.101.3.4.2.1'))
si = seq(integer(1), issuer_and_serial(cert), sha256, tlv(0xa0, b''.join(attrs)), seq(oid('1.2.840.113549.1.1.1'), NULL), octets(sig))
certs = cert.public_bytes(serialization.Encoding.DER) + inter.public_bytes(serialization.Encoding.DER)
sd = seq(integer(1), tlv(0x31, sha256), seq(oid('1.2.840.113549.1.7.1')), tlv(0xa0, certs), tlv(0x31, si))
open('no-content-type.der', 'wb').write(seq(oid('1.2.840.113549.1.7.2'), tlv(0xa0, sd)))
`;

/** Write and record the Python DER helpers and one script. */
function python(script, name, args = []) {
  write('der.py', PY_DER);
  write(name, script);
  run('python3', [name, ...args]);
}

/** `openssl cms -verify` of a detached DER signature over content.txt (the producer's own check). */
function opensslVerifyDetached(sig, at = AT, content = 'content.txt') {
  const t = String(Math.floor(Date.parse(at) / 1000));
  const args = ['cms', '-verify', '-inform', 'DER', '-in', sig, '-content', content, '-binary', '-attime', t, '-purpose', 'smimesign', '-CAfile', 'root.pem', '-out', 'verified.out'];
  const r = attempt('openssl', args);
  return `openssl ${args.map(quote).join(' ')} => ${r.ok ? 'Verification successful' : `fails: ${opensslReason(r.text)}`}`;
}

/** A multipart/signed whose signature part is raw DER: no Content-Transfer-Encoding, and
 *  (as AS2 products write it) an empty line before the closing boundary. `eol` ends the
 *  header lines of the message (the body stays CRLF). */
function multipartSignedBinary(headers, content, der, eol = '\r\n') {
  log.push(`assemble: multipart/signed of the content and the raw DER signature (no Content-Transfer-Encoding, an empty line after the DER), mail headers in front${eol === '\n' ? ', the header lines ending in LF alone' : ''}`);
  const top = `${headers}MIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="as2-boundary"\r\n`.replace(/\r\n/g, eol);
  return Buffer.concat([Buffer.from(`${top}\r\n--as2-boundary\r\n${content}\r\n--as2-boundary\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\n\r\n`, 'latin1'), der, Buffer.from('\r\n\r\n--as2-boundary--\r\n', 'latin1')]);
}

function lenientVectors() {
  const tamper = (buf, from, to) => {
    const text = Buffer.from(buf).toString('latin1');
    if (!text.includes(from)) throw new Error(`tamper: ${from} not found`);
    log.push(`edit: replace ${JSON.stringify(from)} by ${JSON.stringify(to)} (first occurrence): changed after signing`);
    return Buffer.from(text.replace(from, to), 'latin1');
  };

  // --- a binary signature part (AS2) ---------------------------------------------------
  begin();
  write('content.txt', TEXT);
  run('openssl', ['cms', '-sign', '-binary', '-md', 'sha256', '-in', 'content.txt', '-signer', 'alice-rsa.pem', '-inkey', 'alice-rsa.key', '-certfile', 'intermediate.pem', '-outform', 'DER', '-out', 'sig.der']);
  const peerBinary = opensslVerifyDetached('sig.der');
  let msg = multipartSignedBinary(mailHeaders(ALICE, BOB, 'as2-binary'), TEXT, read('sig.der'));
  const whyBinary = peerBinary.endsWith('Verification successful') ? undefined : 'openssl checks the detached DER itself; Cachet reads it from the binary part.';
  msgVector('lenient/signature-binary.vec', { why: whyBinary, comment: 'AS2 style: the signature part is raw DER with no Content-Transfer-Encoding, followed by an empty line before the boundary. Read as DER; the repair is reported.', expect: 'valid', layers: 'signed:valid', repairs: ['signature-binary'], ...std, peer: peerBinary }, msg);
  msgVector('lenient/signature-binary-tampered.vec', { comment: 'The binary signature of signature-binary.vec, with the signed text changed: the repair does not hide it.', expect: 'tampered', layers: 'signed:tampered', repairs: ['signature-binary'], ...std }, tamper(msg, 'quarterly figures', 'quarterly fiGures'));
  const flipped = Buffer.from(read('sig.der'));
  flipped[flipped.length - 1] ^= 0x01;
  log.push('edit: flip the lowest bit of the last byte of sig.der (the end of the RSA signature value)');
  msgVector('lenient/signature-binary-bad-signature.vec', { comment: 'The binary signature part with one bit of the signature value flipped: the repair reads it, and it is still bad-signature.', expect: 'bad-signature', layers: 'signed:bad-signature', repairs: ['signature-binary'], ...std }, multipartSignedBinary(mailHeaders(ALICE, BOB, 'as2-binary-bad'), TEXT, flipped));
  msg = multipartSignedBinary(mailHeaders(ALICE, BOB, 'as2-binary-lf'), TEXT, read('sig.der'), '\n');
  msgVector('lenient/signature-binary-lf-headers.vec', { comment: 'The binary signature part in a message whose header lines end in LF alone (a CRLF empty line and body): the DER bytes 0x0A are not line breaks, the rest is read in CRLF form.', expect: 'valid', layers: 'signed:valid', repairs: ['signature-binary', 'line-endings-mixed'], ...std, peer: peerBinary }, msg);

  begin();
  write('content.txt', TEXT);
  run('openssl', ['cms', '-sign', '-binary', '-md', 'sha256', '-in', 'content.txt', '-signer', 'alice-rsa.pem', '-inkey', 'alice-rsa.key', '-certfile', 'intermediate.pem', '-outform', 'DER', '-out', 'sig.der']);
  msg = Buffer.from(multipartSigned(mailHeaders(ALICE, BOB, 'base64-unlabelled'), TEXT, read('sig.der'), 'sha-256').toString('latin1').replace('Content-Transfer-Encoding: base64\r\n', ''), 'latin1');
  log.push('edit: remove the Content-Transfer-Encoding: base64 line of the signature part');
  msgVector('lenient/base64-unlabelled.vec', { comment: 'The signature part is base64 without a Content-Transfer-Encoding header (7bit by default): decoded as base64, reported.', expect: 'valid', layers: 'signed:valid', repairs: ['base64-unlabelled'], ...std, peer: opensslVerifyDetached('sig.der') }, msg);
  msgVector('lenient/base64-unlabelled-tampered.vec', { comment: 'base64-unlabelled.vec with the signed text changed: still tampered.', expect: 'tampered', layers: 'signed:tampered', repairs: ['base64-unlabelled'], ...std }, tamper(msg, 'quarterly figures', 'quarterly fiGures'));

  // --- binary signed content (AS2 payloads signed byte for byte, lines ending in LF) -----
  begin();
  const EDI = 'Content-Type: application/edi-x12\n\nISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER\nGS*PO*SENDER*RECEIVER*20261205*1200*1*X*004010\n';
  write('payload.txt', EDI);
  run('openssl', ['cms', '-sign', '-binary', '-md', 'sha256', '-in', 'payload.txt', '-signer', 'alice-rsa.pem', '-inkey', 'alice-rsa.key', '-certfile', 'intermediate.pem', '-outform', 'DER', '-out', 'payload.der']);
  const peerPayload = opensslVerifyDetached('payload.der', AT, 'payload.txt');
  msg = multipartSigned(mailHeaders(ALICE, BOB, 'as2-binary-content'), EDI, read('payload.der'), 'sha-256');
  msgVector('lenient/signed-content-binary.vec', { comment: 'AS2 style: the signed part (an EDI payload) was signed byte for byte with its LF line ends (openssl cms -sign -binary), not in CRLF form: its CRLF form does not match, the bytes as received do.', expect: 'valid', layers: 'signed:valid', repairs: ['signed-content-binary'], ...std, peer: peerPayload }, msg);
  msgVector('lenient/signed-content-binary-tampered.vec', { comment: 'signed-content-binary.vec with the payload changed: neither form matches, tampered.', expect: 'tampered', layers: 'signed:tampered', ...std }, tamper(msg, 'GS*PO', 'GS*PX'));

  // --- mixed line endings --------------------------------------------------------------
  begin();
  const clear = opensslSign({}).toString('latin1').replace(/\r?\n/g, '\r\n');
  const head = mailHeaders(ALICE, BOB, 'mixed-line-endings').replace(/\r\n/g, '\n');
  const split = clear.indexOf('\r\n\r\n');
  log.push('assemble: the mail headers and the header lines of the openssl output with LF line endings, then a CRLF empty line and the body in CRLF (a tool that writes headers and body separately)');
  msg = Buffer.from(head + clear.slice(0, split).replace(/\r\n/g, '\n') + '\n\r\n' + clear.slice(split + 4), 'latin1');
  write('msg.eml', msg, { record: false });
  msgVector('lenient/line-endings-mixed.vec', { comment: 'Header lines end in LF, the empty line and the body in CRLF: read, and the signature checked over the CRLF form.', expect: 'valid', layers: 'signed:valid', repairs: ['line-endings-mixed'], ...std, peer: opensslVerify('msg.eml') }, msg);
  msgVector('lenient/line-endings-mixed-tampered.vec', { comment: 'line-endings-mixed.vec with the signed text changed: still tampered.', expect: 'tampered', layers: 'signed:tampered', repairs: ['line-endings-mixed'], ...std }, tamper(msg, 'quarterly figures', 'quarterly fiGures'));

  // --- the legacy x-pkcs7 types (openssl smime writes them) -------------------------------
  begin();
  write('content.txt', TEXT);
  run('openssl', ['smime', '-sign', '-binary', '-md', 'sha256', '-in', 'content.txt', '-signer', 'alice-rsa.pem', '-inkey', 'alice-rsa.key', '-certfile', 'intermediate.pem', '-out', 'smime.eml']);
  msg = withHeaders(mailHeaders(ALICE, BOB, 'legacy-x-pkcs7'), read('smime.eml'));
  write('msg.eml', msg, { record: false });
  msgVector('lenient/legacy-x-pkcs7.vec', { comment: 'openssl smime (the old command) writes application/x-pkcs7-signature: read (RFC 8551 3.1), reported as legacy.', expect: 'valid', layers: 'signed:valid', repairs: ['legacy-x-pkcs7-type'], ...std, peer: opensslVerify('msg.eml') }, msg);
  msgVector('lenient/legacy-x-pkcs7-tampered.vec', { comment: 'legacy-x-pkcs7.vec with the signed text changed: still tampered.', expect: 'tampered', layers: 'signed:tampered', repairs: ['legacy-x-pkcs7-type'], ...std }, tamper(msg, 'quarterly figures', 'quarterly fiGures'));

  // --- signed attributes without contentType ---------------------------------------------
  begin();
  write('content.txt', TEXT);
  python(PY_NO_CONTENT_TYPE, 'no-content-type.py');
  msg = multipartSigned(mailHeaders(ALICE, BOB, 'no-content-type'), TEXT, read('no-content-type.der'), 'sha-256');
  write('msg.eml', msg, { record: false });
  // OpenSSL's PKCS#7 verifier (openssl smime) accepts it; its CMS verifier (openssl cms) does not.
  const peerNoCt = (() => {
    const args = ['smime', '-verify', '-in', 'msg.eml', '-attime', String(Math.floor(Date.parse(AT) / 1000)), '-purpose', 'smimesign', '-CAfile', 'root.pem', '-out', 'verified.out'];
    const r = attempt('openssl', args);
    return `openssl ${args.map(quote).join(' ')} => ${r.ok ? 'Verification successful' : `fails: ${opensslReason(r.text)}`}`;
  })();
  msgVector('lenient/content-type-attribute-missing.vec', { why: peerNoCt.endsWith('Verification successful') ? undefined : 'openssl smime refuses it here; Cachet reads it as openssl smime (PKCS#7) does elsewhere.', comment: 'Signed attributes with messageDigest and signingTime but no contentType (RFC 5652 requires it; OpenSSL verifies such signatures): verified as OpenSSL does, and reported.', expect: 'valid', layers: 'signed:valid', repairs: ['content-type-attribute-missing'], check: '/layers/0/signers/0/details/0 ~ contentType attribute missing', ...std, peer: peerNoCt }, msg);
  msgVector('lenient/content-type-attribute-missing-tampered.vec', { comment: 'content-type-attribute-missing.vec with the signed text changed: still tampered.', expect: 'tampered', layers: 'signed:tampered', repairs: ['content-type-attribute-missing'], ...std }, tamper(msg, 'quarterly figures', 'quarterly fiGures'));

  // --- GCM tags of 12..16 bytes (RFC 5084) -----------------------------------------------
  for (const n of [12, 14]) {
    begin();
    write('content.txt', TEXT);
    python(PY_GCM, 'gcm.py', [String(n)]);
    const der = read('gcm.der');
    msg = pkcs7Mime(mailHeaders(ALICE, BOB, `gcm-tag-${n}`), der, 'authEnveloped-data');
    write('msg.eml', msg, { record: false });
    const peer = opensslDecrypt('msg.eml');
    msgVector(`lenient/gcm-tag-${n}.vec`, { why: peer.endsWith('=> decrypted') ? undefined : 'OpenSSL 3.0 cannot read GCMParameters whose ICV length is left out, as DER requires for its default (12); it reads the same form with an explicit length (gcm-tag-14.vec).', comment: `AuthEnvelopedData with AES-256-GCM and a ${n}-byte tag (${n === 12 ? "RFC 5084's default ICV length" : 'an ICV length RFC 5084 allows'}): decrypted, the short tag reported.`, expect: 'unsigned', layers: 'encrypted:decrypted', repairs: ['gcm-tag-length'], check: ['/layers/0/encryption/content_cipher = aes256-gcm', '/layers/0/encryption/integrity_protected = true'], at: AT, ...BOB_ID, peer }, msg);
    if (n === 12) {
      const bad = Buffer.from(der);
      bad[bad.length - 20] ^= 0x01;
      log.push('edit: flip the lowest bit of the byte 20 from the end of gcm.der (the end of the ciphertext, before the 12-byte tag)');
      msgVector('lenient/gcm-tag-12-tampered.vec', { comment: 'gcm-tag-12.vec with one ciphertext bit flipped: the 12-byte tag fails, integrity-failure.', expect: 'integrity-failure', layers: 'encrypted:integrity-failure', at: AT, ...BOB_ID }, pkcs7Mime(mailHeaders(ALICE, BOB, 'gcm-tag-12-tampered'), bad, 'authEnveloped-data'));
    }
  }

  // --- CompressedData (RFC 3274) ----------------------------------------------------------
  begin();
  write('content.txt', TEXT);
  python(PY_COMPRESS, 'compress.py', ['content.txt']);
  run('openssl', ['cms', '-sign', '-nodetach', '-binary', '-md', 'sha256', '-econtent_type', '1.2.840.113549.1.9.16.1.9', '-inform', 'DER', '-in', 'compressed-bare.der', '-signer', 'alice-rsa.pem', '-inkey', 'alice-rsa.key', '-certfile', 'intermediate.pem', '-outform', 'DER', '-out', 'signed-compressed.der']);
  const sc = read('signed-compressed.der');
  msg = pkcs7Mime(mailHeaders(ALICE, BOB, 'compressed-in-signed'), sc, 'signed-data');
  write('msg.eml', msg, { record: false });
  msgVector('lenient/compressed-in-signed-data.vec', { comment: 'AS2 style: SignedData whose eContent is CompressedData (eContentType id-ct-compressedData): verified, then decompressed.', expect: 'valid', layers: 'signed:valid', repairs: ['compressed'], ...std, peer: opensslVerify('msg.eml') }, msg);
  const scBad = Buffer.from(sc);
  const zAt = scBad.indexOf(Buffer.from([0x78, 0x9c])) + 10;
  scBad[zAt] ^= 0x01;
  log.push('edit: flip the lowest bit of the 9th byte after the zlib header (78 9c) in signed-compressed.der');
  msgVector('lenient/compressed-in-signed-data-tampered.vec', { comment: 'compressed-in-signed-data.vec with one bit of the compressed content changed: the signature covers the compressed bytes, so tampered (and nothing is decompressed into a good verdict).', expect: 'tampered', layers: 'signed:tampered', ...std }, pkcs7Mime(mailHeaders(ALICE, BOB, 'compressed-in-signed-tampered'), scBad, 'signed-data'));

  begin();
  write('content.txt', TEXT);
  python(PY_COMPRESS, 'compress.py', ['content.txt']);
  const compressedEntity = `Content-Type: application/pkcs7-mime; smime-type=compressed-data; name=smime.p7z\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7z\r\n\r\n${read('compressed.der').toString('base64').replace(/(.{76})/g, '$1\r\n').replace(/\r\n$/, '')}\r\n`;
  log.push('assemble: compressed.der as an application/pkcs7-mime; smime-type=compressed-data entity (base64) > entity.txt');
  write('entity.txt', compressedEntity, { record: false });
  const signedEntity = opensslSign({ content: compressedEntity });
  msg = withHeaders(mailHeaders(ALICE, BOB, 'compressed-inside-clear-signed'), signedEntity);
  write('msg.eml', msg, { record: false });
  msgVector('lenient/compressed-inside-clear-signed.vec', { comment: 'A compressed-data entity (RFC 3274) clear-signed by openssl: verified, then decompressed.', expect: 'valid', layers: 'signed:valid', repairs: ['compressed'], ...std, peer: opensslVerify('msg.eml') }, msg);
  msg = withHeaders(mailHeaders(ALICE, BOB, 'compressed-inside-enveloped'), opensslEncrypt({ input: 'entity.txt' }));
  write('msg.eml', msg, { record: false });
  msgVector('lenient/compressed-inside-enveloped.vec', { comment: 'A compressed-data entity encrypted to Bob by openssl (AES-256-CBC): decrypted, then decompressed.', expect: 'unsigned', layers: 'encrypted:decrypted', repairs: ['compressed'], at: AT, ...BOB_ID, peer: opensslDecrypt('msg.eml') }, msg);

  begin();
  write('payload.txt', EDI);
  run('openssl', ['cms', '-sign', '-binary', '-md', 'sha256', '-in', 'payload.txt', '-signer', 'alice-rsa.pem', '-inkey', 'alice-rsa.key', '-certfile', 'intermediate.pem', '-out', 'signed-payload.eml']);
  python(PY_COMPRESS, 'compress.py', ['signed-payload.eml']);
  msg = pkcs7Mime(mailHeaders(ALICE, BOB, 'as2-signed-then-compressed'), read('compressed.der'), 'compressed-data');
  msgVector('lenient/compressed-after-signing-binary.vec', { comment: 'AS2 style: an EDI payload signed as binary (LF line ends) by openssl, then the signed entity compressed (RFC 3274): decompressed byte for byte, and the signature checked over the bytes as received.', expect: 'valid', layers: 'signed:valid', repairs: ['compressed', 'signed-content-binary'], ...std }, msg);

  // --- password-encrypted mail (RFC 3211) ---------------------------------------------------
  const MSG_PW = 'correct horse battery staple';
  begin();
  write('content.txt', TEXT);
  run('openssl', ['cms', '-encrypt', '-binary', '-aes256', '-pwri_password', MSG_PW, '-in', 'content.txt', '-out', 'pwri.eml']);
  msg = withHeaders(mailHeaders(ALICE, BOB, 'password-aes256-cbc'), read('pwri.eml'));
  write('msg.eml', msg, { record: false });
  const pwPeer = (() => {
    const args = ['cms', '-decrypt', '-in', 'msg.eml', '-pwri_password', MSG_PW, '-out', 'decrypted.out'];
    const r = attempt('openssl', args);
    return `openssl ${args.map(quote).join(' ')} => ${r.ok ? 'decrypted' : `fails: ${opensslReason(r.text)}`}`;
  })();
  msgVector('lenient/password-aes256-cbc.vec', { comment: 'EnvelopedData with a PasswordRecipientInfo (openssl -pwri_password: PBKDF2, the RFC 3211 key wrap, AES-256-CBC), opened with the password.', expect: 'unsigned', layers: 'encrypted:decrypted', check: '/layers/0/encryption/recipients/0/subject_key_identifier/key_id = password', at: AT, messagePassword: MSG_PW, peer: pwPeer }, msg);
  msgVector('lenient/password-needed.vec', { comment: 'The same message with no password: needs-password (a state of its own, not malformed, not no-key).', expect: 'needs-password', layers: 'encrypted:needs-password', diagnosis: 'needs-password', at: AT, commands: commands() }, msg);
  msgVector('lenient/password-wrong.vec', { comment: 'The same message with a wrong password: needs-password again, saying the password does not open it.', expect: 'needs-password', layers: 'encrypted:needs-password', check: '/diagnosis/0/message ~ does not open', at: AT, messagePassword: 'not the password', commands: commands() }, msg);

  begin();
  write('content.txt', TEXT);
  run('openssl', ['cms', '-encrypt', '-binary', '-des3', '-pwri_password', MSG_PW, '-in', 'content.txt', '-out', 'pwri3.eml']);
  msg = withHeaders(mailHeaders(ALICE, BOB, 'password-des3'), read('pwri3.eml'));
  msgVector('lenient/password-des3.vec', { comment: 'A PasswordRecipientInfo whose key wrap and content use 3DES (openssl -des3 -pwri_password): opened with the password, and weak-cipher as any 3DES message.', expect: 'weak-cipher', layers: 'encrypted:weak-cipher', at: AT, messagePassword: MSG_PW, why: 'openssl decrypts 3DES silently; Cachet decrypts and warns (SPEC 2).' }, msg);

  begin();
  write('content.txt', TEXT);
  write('password.txt', `${MSG_PW}\n`);
  python(PY_PWRI_GCM, 'pwri-gcm.py');
  msg = pkcs7Mime(mailHeaders(ALICE, BOB, 'password-aes256-gcm'), read('pwri-gcm.der'), 'authEnveloped-data');
  msgVector('lenient/password-aes256-gcm.vec', { comment: 'AuthEnvelopedData (AES-256-GCM) with a PasswordRecipientInfo (PBKDF2-HMAC-SHA256, key wrap AES-256-CBC), written by a Python script (OpenSSL 3.0 cannot put a password recipient next to AES-GCM): opened with the password.', expect: 'unsigned', layers: 'encrypted:decrypted', check: '/layers/0/encryption/integrity_protected = true', at: AT, messagePassword: MSG_PW }, msg);

  // --- import formats ---------------------------------------------------------------------
  begin();
  run('openssl', ['x509', '-in', 'root.pem', '-outform', 'DER', '-out', 'root.der']);
  const b64 = (buf, width) => buf.toString('base64').replace(new RegExp(`(.{${width}})`, 'g'), '$1\n').replace(/\n$/, '');
  write('root-76.pem', `-----BEGIN CERTIFICATE-----\n${b64(read('root.der'), 76)}\n-----END CERTIFICATE-----\n`, { record: false });
  log.push('assemble: root.der as PEM with 76-character lines (as base64 tools and Windows write it) > root-76.pem');
  vectorFile('lenient/root-pem-76-columns.cert.vec', { kind: 'certificate', comment: 'The root as PEM with 76-character lines (RFC 7468 strict form has 64): read on import and by --trust.', check: '/0/subject ~ Cachet Vectors Root CA', tools: [...tools], commands: commands() }, read('root-76.pem'));
  begin();
  run('openssl', ['crl2pkcs7', '-nocrl', '-certfile', 'alice-rsa.pem', '-certfile', 'intermediate.pem', '-outform', 'DER', '-out', 'bundle.p7b']);
  vectorFile('lenient/bundle-der.p7b.cert.vec', { kind: 'certificate', comment: 'A certs-only PKCS#7 bundle (.p7b, DER) with Alice and the intermediate: both read.', check: ['/0/emails/0 = alice@example.org', '/1/subject ~ Cachet Vectors Intermediate CA'], tools: [...tools], commands: commands() }, read('bundle.p7b'));
  begin();
  run('openssl', ['crl2pkcs7', '-nocrl', '-certfile', 'root.pem', '-out', 'root.p7c']);
  vectorFile('lenient/root-pem.p7c.cert.vec', { kind: 'certificate', comment: 'The root as a certs-only PKCS#7 in PEM (-----BEGIN PKCS7-----, .p7c): read on import and by --trust.', check: '/0/subject ~ Cachet Vectors Root CA', tools: [...tools], commands: commands() }, read('root.p7c'));
  begin();
  msg = withHeaders(mailHeaders(ALICE, BOB, 'trust-76-columns'), opensslSign({}));
  msgVector('lenient/trust-pem-76-columns.vec', { comment: 'Verified with --trust given the 76-column PEM root (and, in trust-p7c.vec, the PKCS7 root).', expect: 'valid', layers: 'signed:valid', at: AT, trust: ['lenient/root-pem-76-columns.cert.vec'] }, msg);
  msgVector('lenient/trust-p7c.vec', { comment: 'Verified with --trust given the root as a PEM certs-only PKCS#7 (.p7c).', expect: 'valid', layers: 'signed:valid', at: AT, trust: ['lenient/root-pem.p7c.cert.vec'], commands: commands() }, msg);
  begin();
  run('openssl', ['pkcs12', '-export', '-name', 'bob-rsa', '-inkey', 'bob-rsa.key', '-in', 'bob-rsa.pem', '-passout', `pass:${PASSWORD}`, '-out', 'bob.p12']);
  write('bob.p12.pem', `-----BEGIN PKCS12-----\n${b64(read('bob.p12'), 64)}\n-----END PKCS12-----\n`, { record: false });
  log.push('assemble: bob.p12 as PEM (-----BEGIN PKCS12-----, 64 columns) > bob.p12.pem');
  vectorFile('lenient/bob-pem-armoured.p12.vec', { kind: 'identity', comment: "Bob's PKCS#12 armoured as PEM (a PKCS12 block): imported.", check: ['/0/emails/0 = bob@example.net'], password: PASSWORD, tools: [...tools], commands: commands() }, read('bob.p12.pem'));
  begin();
  msg = withHeaders(mailHeaders(ALICE, BOB, 'pem-p12'), opensslEncrypt({}));
  msgVector('lenient/decrypted-with-pem-armoured-p12.vec', { comment: "Encrypted to Bob, decrypted with the key from the PEM-armoured PKCS#12.", expect: 'unsigned', layers: 'encrypted:decrypted', at: AT, identity: ['lenient/bob-pem-armoured.p12.vec'], password: PASSWORD }, msg);
}

/** A multipart/signed message from a detached DER signature and the signed entity. */
function multipartSigned(headers, content, der, micalg) {
  const b64 = der.toString('base64').replace(/(.{76})/g, '$1\r\n').replace(/\r\n$/, '');
  log.push(`assemble: multipart/signed (protocol="application/pkcs7-signature"; micalg=${micalg}) of the content and the base64 of the DER signature, mail headers in front`);
  return Buffer.from(`${headers}MIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=${micalg}; boundary="----vector-boundary"\r\n\r\n------vector-boundary\r\n${content}\r\n------vector-boundary\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7s\r\n\r\n${b64}\r\n------vector-boundary--\r\n`, 'latin1');
}

/** A message whose body is a CMS blob. */
function pkcs7Mime(headers, der, smimeType) {
  const b64 = der.toString('base64').replace(/(.{76})/g, '$1\r\n').replace(/\r\n$/, '');
  log.push(`assemble: application/pkcs7-mime; smime-type=${smimeType} with the base64 of the DER, mail headers in front`);
  return Buffer.from(`${headers}MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=${smimeType}; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7m\r\n\r\n${b64}\r\n`, 'latin1');
}

/** TABLE.md: every vector with its expectation, in one page. */
function writeTable() {
  const cell = (x) => String(x ?? '').replace(/\|/g, '\\|');
  const rows = written.sort((a, b) => a.rel.localeCompare(b.rel)).map(({ rel, header: h }) => {
    const inputs = [...(h.trust ?? []).map((t) => `trust ${path.basename(t, '.vec')}`), ...(h.pin ?? []).map((t) => `pin ${path.basename(t, '.vec')}`), ...(h.identity ?? []).map((t) => `identity ${path.basename(t, '.vec')}`)].join(', ');
    const note = [h.needs ? `needs ${h.needs}` : '', h.knownFailure ? `KNOWN FAILURE${h.fixedWith ? ` (until the core has ${h.fixedWith})` : ''}: ${h.knownFailure}` : '', h.why ? `why: ${h.why}` : ''].filter(Boolean).join('; ');
    return `| \`${rel}\` | ${h.kind} | ${cell(h.expect ?? (h.error ? `error ${h.error}` : 'imports'))} | ${cell(h.layers)} | ${cell(h.at)} | ${cell(inputs)} | ${cell(note)} |`;
  });
  fs.writeFileSync(path.join(HERE, 'TABLE.md'), `# The vectors at a glance\n\nWritten by \`make.mjs\` (do not edit by hand); the headers of the files are authoritative.\n\n| file | kind | expect | layers | at | inputs | notes |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
}

/** The list of vectors for the native runner (crate/tests/vectors.rs): one test each. */
function writeRustList() {
  const rows = written.map(({ rel }) => rel).sort().map((rel) => `    ${rel.replace(/\.vec$/, '').replace(/[^A-Za-z0-9]+/g, '_')} => "${rel}",`);
  fs.writeFileSync(path.join(REPO, 'crate', 'tests', 'vectors', 'list.rs'), `// Written by tests/vectors/make.mjs: one test per vector file (crate/tests/vectors.rs).\nvectors! {\n${rows.join('\n')}\n}\n`);
}

/**
 * `--only lenient`: make the vectors of lenientVectors() alone, with the PKI already in
 * pki/ (its certificates, and its keys out of the PKCS#12 vectors), leaving every other
 * vector as it is; TABLE.md and the native list are written again from every file.
 */
function loadPki() {
  log = [];
  for (const name of ['root', 'intermediate', 'alice-rsa', 'bob-rsa']) {
    const vec = (rel) => {
      const bytes = fs.readFileSync(path.join(HERE, rel));
      return bytes.subarray(bytes.indexOf('\n\n') + 2);
    };
    fs.writeFileSync(w(`${name}.pem`), vec(`pki/${name}.cert.vec`));
    if (fs.existsSync(path.join(HERE, `pki/${name}.p12.vec`))) {
      fs.writeFileSync(w(`${name}.p12`), vec(`pki/${name}.p12.vec`));
      run('openssl', ['pkcs12', '-in', `${name}.p12`, '-nocerts', '-nodes', '-passin', `pass:${PASSWORD}`, '-out', `${name}.key`], { record: false });
    }
  }
}

/** The header of a vector file on disk, in the shape writeTable() reads. */
function headerOf(rel) {
  const bytes = fs.readFileSync(path.join(HERE, rel));
  const h = {};
  const many = new Set(['trust', 'pin', 'identity']);
  const names = { 'known-failure': 'knownFailure', 'fixed-with': 'fixedWith' };
  for (const line of bytes.subarray(0, bytes.indexOf('\n\n')).toString('utf8').split('\n')) {
    const at = line.indexOf(': ');
    const [k, v] = [line.slice(0, at), line.slice(at + 2)];
    const key = names[k] ?? k;
    if (many.has(k)) (h[key] ??= []).push(v);
    else h[key] ??= v;
  }
  return h;
}

function allVectorFiles(dir = HERE) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allVectorFiles(path.join(dir, e.name)) : e.name.endsWith('.vec') ? [path.relative(HERE, path.join(dir, e.name))] : []));
}

main();

function main() {
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
  try {
    // `--add unsupported`: only the vectors of unsupportedVectors (with their own PKI) are
    // made; every other vector file is kept byte for byte.
    const add = process.argv.indexOf('--add');
    if (add >= 0) {
      if (process.argv[add + 1] !== 'unsupported') throw new Error('usage: make.mjs [--add unsupported]');
      write('ca.cnf', CA_CNF, { record: false });
      fs.mkdirSync(w('issued'));
      write('index.txt', '', { record: false });
      write('serial.txt', '2000\n', { record: false });
      buildUnsupportedPki();
      writePki();
      unsupportedVectors();
      const added = written.length;
      written.length = 0;
      for (const rel of allVectorFiles()) written.push({ rel, header: headerOf(rel) });
      writeRustList();
      writeTable();
      console.log(`${added} vectors added under ${path.relative(REPO, HERE)}/ (the others kept)`);
      return;
    }
    if (only === 'lenient') {
      fs.rmSync(path.join(HERE, 'lenient'), { recursive: true, force: true });
      loadPki();
      lenientVectors();
      const made = written.length;
      written.length = 0;
      for (const rel of allVectorFiles()) written.push({ rel, header: headerOf(rel) });
      writeRustList();
      writeTable();
      console.log(`${made} vectors written under ${path.relative(REPO, HERE)}/lenient/ (the others kept)`);
      return;
    }
    if (only) throw new Error(`--only ${only}: only 'lenient' can be made alone`);
    for (const d of ['pki', 'signed', 'encrypted', 'peers', 'pins', 'hostile', 'lenient']) fs.rmSync(path.join(HERE, d), { recursive: true, force: true });
    buildPki();
    buildUnsupportedPki();
    writePki();
    signedVectors();
    unsupportedVectors();
    peerVectors();
    encryptedVectors();
    pinVectors();
    hostileVectors();
    lenientVectors();
    writeRustList();
    writeTable();
    console.log(`${written.length} vectors written under ${path.relative(REPO, HERE)}/`);
  } finally {
    fs.rmSync(WORK, { recursive: true, force: true });
  }
}
