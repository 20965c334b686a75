// Roots and pins through the WebAssembly build under Node (issue 12, SPEC section 5): a
// stranger's self-signed certificate with cA=TRUE, passed as a pin, does not make the
// certificate it issues for victim@bank.example trusted, in openMessage, openMessageAsync
// and recipientStatus; passed as a root (`trust`) it does; the report says which.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, after, test } from 'node:test';
import { RSA_2048, keptKeySync } from '../../scripts/lib/pki.mjs';
import { ROOT, openssl } from '../shared.mjs';

const PKG = path.join(ROOT, 'addin', 'pkg');
let core;
let dir;
const f = (n) => path.join(dir, n);

before(async () => {
  core = await import(path.join(PKG, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(PKG, 'cachet_bg.wasm')) });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-wasm-trust-'));
  // The stranger: `openssl req -x509`, cA=TRUE, its own address. Its key and the victim's are
  // RSA-2048 keys kept between runs (scripts/lib/pki.mjs): what is tested is the certificates.
  keptKeySync(RSA_2048, f('stranger.key'));
  keptKeySync(RSA_2048, f('victim.key'));
  openssl(['req', '-x509', '-key', f('stranger.key'), '-sha256', '-days', '365', '-out', f('stranger.pem'),
    '-subj', '/CN=Stranger', '-addext', 'subjectAltName=email:stranger@evil.example', '-addext', 'basicConstraints=critical,CA:TRUE']);
  // What it issues for someone else.
  fs.writeFileSync(f('victim.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:victim@bank.example\n');
  openssl(['req', '-new', '-key', f('victim.key'), '-out', f('victim.csr'), '-subj', '/CN=Victim Bank']);
  openssl(['x509', '-req', '-in', f('victim.csr'), '-CA', f('stranger.pem'), '-CAkey', f('stranger.key'), '-set_serial', '9', '-days', '365', '-extfile', f('victim.ext'), '-out', f('victim.pem')]);
  fs.writeFileSync(f('content.txt'), 'Content-Type: text/plain\r\n\r\nPlease pay the invoice to the new account.\r\n');
  openssl(['cms', '-sign', '-md', 'sha256', '-in', f('content.txt'), '-signer', f('victim.pem'), '-inkey', f('victim.key'), '-certfile', f('stranger.pem'), '-out', f('signed.eml')]);
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const b64 = (file) => fs.readFileSync(file, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');

function message(from = 'victim@bank.example') {
  const head = `From: Bank <${from}>\r\nTo: <bob@example.net>\r\nSubject: new account\r\n`;
  return new Uint8Array(Buffer.concat([Buffer.from(head), fs.readFileSync(f('signed.eml'))]));
}

function openSync(bytes, options) {
  return core.openMessage(bytes, options).report;
}

async function openAsync(bytes, options) {
  return (await core.openMessageAsync(bytes, options)).report;
}

test('a pinned stranger CA does not vouch for what it issues; as a root it does', async () => {
  const at = Math.floor(Date.now() / 1000);
  for (const open of [openSync, openAsync]) {
    const pinned = await open(message(), { at, pins: [b64(f('stranger.pem'))] });
    assert.equal(pinned.status, 'valid-unknown-ca', JSON.stringify(pinned, null, 2));
    assert.equal(pinned.layers[0].signers[0].chain.status, 'unknown-ca');
    assert.equal(pinned.layers[0].signers[0].chain.trusted_by, undefined);

    const root = await open(message(), { at, trust: [b64(f('stranger.pem'))] });
    assert.equal(root.status, 'valid', JSON.stringify(root, null, 2));
    assert.equal(root.layers[0].signers[0].chain.trusted_by, 'root');

    // The leaf itself pinned: valid as a pin, for its own address only.
    const leaf = await open(message(), { at, pins: [b64(f('victim.pem'))] });
    assert.equal(leaf.status, 'valid', JSON.stringify(leaf, null, 2));
    assert.equal(leaf.layers[0].signers[0].chain.trusted_by, 'pin');
    assert.equal(leaf.layers[0].signers[0].chain.path[0].trusted_as, 'pin');
    const other = await open(message('ceo@bank.example'), { at, pins: [b64(f('victim.pem'))] });
    assert.equal(other.status, 'address-mismatch');
    assert.equal(other.layers[0].signers[0].chain.status, 'unknown-ca');
  }
});

test('recipientStatus: a pinned stranger CA leaves its issue untrusted; pins and roots are apart', () => {
  const at = Math.floor(Date.now() / 1000);
  const status = (extra) => {
    const options = { recipients: ['victim@bank.example'], contacts: [{ address: 'victim@bank.example', certificates: [b64(f('victim.pem'))] }], known: [], at, ...extra };
    return core.recipientStatus(options)[0];
  };
  const pinned = status({ pins: [b64(f('stranger.pem'))] });
  assert.equal(pinned.status, 'untrusted', JSON.stringify(pinned));
  assert.equal(status({ trust: [b64(f('stranger.pem'))] }).status, 'ready');
  assert.equal(status({ pins: [b64(f('victim.pem'))] }).status, 'ready');
  // A pin is for the addresses it names: not for another recipient holding the same certificate.
  const elsewhere = core.recipientStatus({ recipients: ['ceo@bank.example'], contacts: [{ address: 'ceo@bank.example', certificates: [b64(f('victim.pem'))] }], pins: [b64(f('victim.pem'))], known: [], at })[0];
  assert.notEqual(elsewhere.status, 'ready');
});
