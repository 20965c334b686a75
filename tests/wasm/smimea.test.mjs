// SMIMEA discovery through the Wasm build under Node (issue 19): `smimeaQuery` gives the owner
// name (checked against Node's SHA-256) and a padded query the dev server's fixture resolver
// (scripts/devdns.mjs) reads; `smimeaRead` reads the fixture's answers (a DANE-EE certificate
// made by openssl, with and without the AD bit, usage 2, a cut answer, a pointer loop) into
// plain JavaScript values; failures are thrown as `{code, message, hint}`, a bad time as usage.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { answer, parseQuery } from '../../scripts/devdns.mjs';
import { ROOT, makePki } from '../shared.mjs';

const PKG = path.join(ROOT, 'addin', 'pkg');
let core;
let dir;
let der;
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  core = await import(path.join(PKG, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(PKG, 'cachet_bg.wasm')) });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-wasm-smimea-'));
  await makePki(dir, { ca: { cn: 'SMIMEA Test Root' }, people: [{ name: 'alice', email: 'alice@example.org' }], password: null });
  der = Buffer.from(fs.readFileSync(path.join(dir, 'alice.pem'), 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The fixture resolver's answer to the core's own query for `address`. */
function resolve(address, entry) {
  const q = Buffer.from(core.smimeaQuery(address).query_base64url, 'base64url');
  const parsed = parseQuery(q);
  assert.ok(parsed, 'the fixture reads the core’s query');
  return new Uint8Array(answer(q, parsed, entry));
}

test('smimeaQuery: the owner name, and a padded query for type SMIMEA', () => {
  const q = core.smimeaQuery('alice@example.org');
  const hash = crypto.createHash('sha256').update('alice').digest('hex').slice(0, 56);
  assert.equal(q.name, `${hash}._smimecert.example.org`);
  const bytes = Buffer.from(q.query_base64url, 'base64url');
  assert.equal(bytes.length % 128, 0);
  assert.deepEqual(parseQuery(bytes), { id: 0, name: q.name, type: 53, end: 12 + q.name.length + 2 + 4 });
  assert.throws(() => core.smimeaQuery('not an address'), (e) => e.code === 'usage' && /not an e-mail address/.test(e.message) && e.hint.length > 0);
});

test('smimeaRead: a DANE-EE certificate is found; the AD bit alone decides "dnssec-validated"', () => {
  for (const ad of [true, false]) {
    const l = core.smimeaRead('alice@example.org', resolve('alice@example.org', { records: [{ usage: 3, selector: 0, matching: 0, data: der }], ad }), now());
    assert.equal(l.outcome, 'found');
    assert.equal(l.dnssec_validated, ad);
    assert.equal(l.trust, ad ? 'dnssec-validated' : 'found-in-dns');
    assert.deepEqual(Buffer.from(l.certificates[0].der_base64, 'base64'), der);
    assert.deepEqual(l.certificates[0].facts.emails, ['alice@example.org']);
    assert.equal(l.certificates[0].expiry.state, 'valid');
  }
  const wrong = core.smimeaRead('alice@example.org', resolve('alice@example.org', { records: [{ usage: 2, selector: 0, matching: 0, data: der }] }), now());
  assert.equal(wrong.outcome, 'no-usable-record');
  assert.match(wrong.rejected[0].reason, /usage 2 is not DANE-EE/);
  const nx = core.smimeaRead('alice@example.org', resolve('alice@example.org', null), now());
  assert.equal(nx.outcome, 'not-found');
});

test('smimeaRead: cut answers and pointer loops are errors with a sentence; a bad time is a usage error', () => {
  const entry = { records: [{ usage: 3, selector: 0, matching: 0, data: der }] };
  assert.throws(() => core.smimeaRead('alice@example.org', resolve('alice@example.org', { ...entry, mode: 'truncated' }), now()), (e) => e.code === 'malformed' && e.message === "The resolver's answer is cut short.");
  assert.throws(() => core.smimeaRead('alice@example.org', resolve('alice@example.org', { ...entry, mode: 'loop' }), now()), (e) => e.code === 'malformed' && /points in a loop/.test(e.message));
  assert.throws(() => core.smimeaRead('alice@example.org', resolve('alice@example.org', entry), 0), (e) => e.code === 'usage');
});
