// Issue 19, discovery, the shell's parts under Node: the DNS-over-HTTPS client
// (addin/src/hosts/doh.ts) against the dev server's fixture resolver (scripts/devdns.mjs) and
// hostile HTTP answers; the resolver setting of cachet-config.json; Graph's S/MIME filter with
// paging over the dev mailbox; and the harvest loop (addin/src/keyring/harvest.ts) with a
// scripted core: what is stored, what is skipped and why, the newest certificate per address,
// encrypted mail never opened, Cancel.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { devDnsRoutes, ownerName } from '../../scripts/devdns.mjs';
import { devMailRoutes } from '../../scripts/devmail.mjs';
import { createDevServer, listen } from '../../scripts/serve.mjs';
import { importTs } from '../ts.mjs';

const doh = await importTs('addin/src/hosts/doh.ts');
const graphMod = await importTs('addin/src/hosts/graph.ts');
const officeGraph = await importTs('addin/src/hosts/office-graph.ts');
const harvest = await importTs('addin/src/keyring/harvest.ts');
const sessionMod = await importTs('addin/src/keyring/session.ts');

const zone = new Map();
let server, base, root;

/** A minimal SMIMEA query for `name` (what the core sends; the fixture reads only the question). */
function query(name) {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([Buffer.from([0, 0, 1, 0x20, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 53, 0, 1])]).toString('base64url');
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-discovery-shell-'));
  const slow = { method: 'GET', path: '/slow-dns', handle: () => undefined };
  const stalls = {
    method: 'GET', path: '/stalling-dns',
    handle: (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/dns-message' });
      res.write(Buffer.alloc(12));
    },
  };
  const html = { method: 'GET', path: '/html-dns', handle: (req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end('<p>captive portal</p>'); } };
  const chunked = {
    method: 'GET', path: '/chunked-dns',
    handle: (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/dns-message' });
      for (let i = 0; i < 9; i++) res.write(Buffer.alloc(8000));
      res.end();
    },
  };
  server = createDevServer({ routes: [slow, stalls, html, chunked, ...devDnsRoutes({ zone }), ...devMailRoutes({ root })] });
  base = await listen(server, { host: '127.0.0.1', port: 0 });
});

after(async () => {
  server.closeAllConnections?.();
  await new Promise((r) => server.close(r));
  fs.rmSync(root, { recursive: true, force: true });
});

test('the owner name is the SHA-256 of the local part, 28 octets, then _smimecert and the domain', () => {
  const want = crypto.createHash('sha256').update('Hugh.Jackman').digest('hex').slice(0, 56);
  assert.equal(ownerName('Hugh.Jackman@Example.COM'), `${want}._smimecert.example.com`);
});

test('dohQuery carries the answer bytes, and refuses HTTP errors, other content, oversized answers and silence', async () => {
  const name = ownerName('carol@example.org');
  zone.set('carol@example.org', { records: [{ usage: 3, selector: 0, matching: 0, data: Buffer.from([0x30, 0]) }], ad: true });
  const answer = await doh.dohQuery(`${base}/dns-query`, query(name));
  assert.equal(answer[2] & 0x80, 0x80, 'a response');
  assert.equal(answer[3] & 0x20, 0x20, 'AD set');
  assert.equal(answer.readUInt16BE?.(6) ?? (answer[6] << 8) | answer[7], 1, 'one answer');
  zone.set('carol@example.org', { records: [], mode: 'http-error' });
  await assert.rejects(doh.dohQuery(`${base}/dns-query`, query(name)), (e) => e.name === 'DohError' && /answered 502/.test(e.message));
  zone.set('carol@example.org', { records: [{ usage: 3, selector: 0, matching: 0, data: Buffer.from([0x30, 0]) }], mode: 'oversized' });
  await assert.rejects(doh.dohQuery(`${base}/dns-query`, query(name)), (e) => e.name === 'DohError' && /larger than a DNS message can be \(70000 bytes/.test(e.message));
  // Without a Content-Length the reader stops at 65,535 bytes.
  await assert.rejects(doh.dohQuery(`${base}/chunked-dns`, query(name)), (e) => e.name === 'DohError' && /at most 65535 bytes/.test(e.message));
  await assert.rejects(doh.dohQuery(`${base}/html-dns`, query(name)), (e) => e.name === 'DohError' && /did not answer with a DNS message \(text\/html\)/.test(e.message));
  await assert.rejects(doh.dohQuery(`${base}/slow-dns`, query(name), fetch, 300), (e) => e.name === 'DohError' && /did not answer within 0.3 seconds/.test(e.message));
  await assert.rejects(doh.dohQuery(`${base}/stalling-dns`, query(name), fetch, 300), (e) => e.name === 'DohError' && /did not finish its answer within 0.3 seconds/.test(e.message));
  await assert.rejects(doh.dohQuery('http://resolver.example/dns-query', query(name)), (e) => e.name === 'DohError' && /must be an https URL/.test(e.message));
  // NXDOMAIN for a name not in the zone.
  const nx = await doh.dohQuery(`${base}/dns-query`, query(ownerName('nobody@example.org')));
  assert.equal(nx[3] & 0x0f, 3);
});

test('the resolver of cachet-config.json: https only (loopback http for development); the dev mailbox brings the dev resolver', () => {
  const { parseConfig, dohResolverOf } = officeGraph;
  assert.equal(parseConfig('{"dohResolver": "https://dns.example.net/dns-query"}').config.dohResolver, 'https://dns.example.net/dns-query');
  assert.match(parseConfig('{"dohResolver": "http://dns.example.net/dns-query"}').problem, /"dohResolver": The DNS-over-HTTPS resolver must be an https URL/);
  assert.match(parseConfig('{"dohResolver": "https://user:pw@dns.example.net/"}').problem, /may not carry credentials/);
  assert.match(parseConfig('{"dohResolver": 5}').problem, /must be a URL/);
  assert.equal(dohResolverOf(null, '?graph=dev', 'http://127.0.0.1:3000'), 'http://127.0.0.1:3000/dns-query');
  assert.equal(dohResolverOf(null, '?graph=dev', 'https://cachet.example.com'), undefined, 'the dev switch works on loopback only');
  assert.equal(dohResolverOf({ dohResolver: 'https://dns.example.net/q' }, '?graph=dev', 'http://127.0.0.1:3000'), 'https://dns.example.net/q');
  assert.equal(doh.DEFAULT_DOH_RESOLVER, 'https://cloudflare-dns.com/dns-query');
});

test('Graph’s S/MIME filter over the dev mailbox: only S/MIME mail, every page followed', async () => {
  const dir = path.join(root, 'alice@example.org', 'inbox');
  fs.mkdirSync(dir, { recursive: true });
  let n = 0;
  const put = (type) => fs.writeFileSync(path.join(dir, `${String(1_700_000_000_000 + n++).padStart(15, '0')}-${'0'.repeat(11)}${n % 10}.eml`), `From: <x${n}@example.org>\r\nSubject: m${n}\r\nContent-Type: ${type}\r\n\r\nx\r\n`);
  for (let i = 0; i < 3; i++) put('multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary=b');
  for (let i = 0; i < 2; i++) put('application/pkcs7-mime; smime-type=signed-data; name=smime.p7m');
  for (let i = 0; i < 4; i++) put('text/plain');
  const graph = new graphMod.GraphClient({ baseUrl: base, token: async () => 'dev:alice@example.org' });
  const pages = [];
  for await (const page of graph.smimeMessages('inbox', 2)) pages.push(page.map((m) => m.subject));
  // Clear-signed (3, two pages), then opaque (2, one page).
  assert.deepEqual(pages.map((p) => p.length), [2, 1, 2]);
  assert.equal(new Set(pages.flat()).size, 5);
  assert.ok(pages.flat().every((s) => Number(s.slice(1)) <= 5), 'no plain message');
  // A next link to another origin is not followed (the token goes nowhere else).
  const foreign = new graphMod.GraphClient({ baseUrl: base, token: async () => 'dev:alice@example.org' });
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    const res = await realFetch(url, init);
    const j = await res.json();
    return new Response(JSON.stringify({ ...j, '@odata.nextLink': 'https://evil.example/v1.0/me/messages' }), { status: 200, headers: { 'Content-Type': 'application/json' } });
  };
  try {
    const got = [];
    for await (const page of foreign.smimeMessages('inbox', 2)) got.push(page.length);
    assert.deepEqual(got, [2, 2], 'one page per message class, no foreign next page');
  } finally {
    globalThis.fetch = realFetch;
  }
});

test('smimeKind tells signed, encrypted and plain mail from the outer header', () => {
  const k = (h) => harvest.smimeKind(new TextEncoder().encode(`${h}\r\n\r\nbody`));
  assert.equal(k('Content-Type: multipart/signed;\r\n protocol="application/pkcs7-signature"; micalg=sha-256; boundary=x'), 'signed');
  assert.equal(k('Content-Type: application/pkcs7-mime; smime-type=signed-data'), 'signed');
  assert.equal(k('Content-Type: application/x-pkcs7-mime; smime-type="enveloped-data"'), 'encrypted');
  assert.equal(k('Content-Type: application/pkcs7-mime; smime-type=authEnveloped-data'), 'encrypted');
  assert.equal(k('Content-Type: text/plain'), 'none');
  assert.equal(k('Subject: Content-Type: multipart/signed; protocol="application/pkcs7-signature"'), 'none');
});

/** A report as the core gives it, for one signer. */
function report(status, address, sha256, notBefore, caps = ['aes256-cbc']) {
  const facts = { sha256, emails: [address], not_before: notBefore, not_after: '2030-01-01T00:00:00Z', subject: `CN=${address}`, issuer: 'CN=CA' };
  return {
    status,
    layers: [{ kind: 'signed', status, signers: [{ status, certificate: { sha256 }, address: { from: address, matches: status === 'valid' }, smime_capabilities: caps }] }],
    certificates: [{ facts, der_base64: Buffer.from(sha256).toString('base64') }],
  };
}

function world(messages, { cancelAfter = Infinity } = {}) {
  const opened = [];
  const learned = [];
  const byId = new Map(messages.map((m, i) => [`m${i}`, m]));
  const abort = new AbortController();
  const host = {
    capabilities: { searchMail: true },
    userAddress: () => 'Me@example.org',
    async *signedCandidates() {
      const refs = [...byId.keys()].map((id) => ({ id, folder: 'Inbox', subject: byId.get(id).subject, from: 'x@example.org' }));
      yield refs.slice(0, 2);
      yield refs.slice(2);
    },
    rawMessage: async (id) => new TextEncoder().encode(`Content-Type: ${byId.get(id).type ?? 'multipart/signed; protocol="application/pkcs7-signature"'}\r\n\r\n${id}`),
  };
  const core = {
    call: async (method, { mime }) => {
      assert.equal(method, 'open');
      const id = new TextDecoder().decode(mime).split('\r\n\r\n')[1];
      opened.push(id);
      if (opened.length >= cancelAfter) abort.abort();
      return { report: byId.get(id).report, content: null };
    },
  };
  const session = {
    openOptions: async () => ({ at: 1, trust: [], pins: [], known: [] }),
    // The certificates to keep, as the session picks them (no preferred encryption certificate here).
    learnable: async (r) => sessionMod.Session.signerCerts(r, true),
    learn: async (cert, caps) => {
      learned.push({ address: cert.address, sha256: cert.facts.sha256, caps });
      if (cert.address === 'kim@example.org') return { kind: 'changed', address: cert.address, old: { sha256: 'old' }, next: cert };
      if (cert.address === 'same@example.org') return { kind: 'same', address: cert.address };
      return { kind: 'stored', address: cert.address };
    },
  };
  return { host, core, session, opened, learned, abort };
}

test('harvest: valid signers only, the newest certificate per address, reasons for the rest, encrypted mail never opened', async () => {
  const w = world([
    { subject: 'old henry', report: report('valid', 'henry@example.org', 'h-old', '2020-01-01T00:00:00Z', ['aes128-cbc']) },
    { subject: 'new henry', report: report('valid', 'henry@example.org', 'h-new', '2024-01-01T00:00:00Z', ['aes256-gcm']) },
    { subject: 'tampered', report: report('tampered', 'ivan@example.org', 'i', '2024-01-01T00:00:00Z') },
    { subject: 'unknown ca', report: report('valid-unknown-ca', 'lena@example.org', 'l', '2024-01-01T00:00:00Z') },
    { subject: 'sealed', type: 'application/pkcs7-mime; smime-type=enveloped-data', report: null },
    { subject: 'kim', report: report('valid', 'kim@example.org', 'k2', '2024-01-01T00:00:00Z') },
    { subject: 'same', report: report('valid', 'same@example.org', 's', '2024-01-01T00:00:00Z') },
    { subject: 'plain', type: 'text/plain', report: null },
    { subject: 'mine, from Sent', report: report('valid', 'me@example.org', 'me', '2024-01-01T00:00:00Z') },
  ]);
  const seen = [];
  const s = await harvest.harvestMail(w, new AbortController().signal, (p) => seen.push(`${p.done}/${p.total}/${p.signed}`));
  assert.deepEqual(seen, ['1/9/1', '2/9/2', '3/9/3', '4/9/4', '5/9/4', '6/9/5', '7/9/6', '8/9/6', '9/9/7']);
  assert.deepEqual(w.opened, ['m0', 'm1', 'm2', 'm3', 'm5', 'm6', 'm8'], 'encrypted and plain mail is not handed to the core');
  assert.deepEqual(w.learned, [
    { address: 'henry@example.org', sha256: 'h-new', caps: ['aes256-gcm'] },
    { address: 'kim@example.org', sha256: 'k2', caps: ['aes256-cbc'] },
    { address: 'same@example.org', sha256: 's', caps: ['aes256-cbc'] },
  ]);
  assert.equal(s.found, 7);
  assert.deepEqual(s.stored, [{ address: 'henry@example.org', sha256: 'h-new' }]);
  assert.deepEqual(s.same, ['same@example.org']);
  assert.deepEqual(s.changed.map((c) => c.outcome.address), ['kim@example.org']);
  assert.deepEqual(s.skipped.map((k) => [k.reason, k.count]), [
    ['changed after signing', 1],
    ['the certificate’s issuer is not trusted here', 1],
    ['encrypted: open it to check the signature inside', 1],
    ['not signed', 1],
    ['your own signature (your certificates are under My certificates)', 1],
  ]);
  assert.equal(s.cancelled, false);
});

test('harvest: Cancel stops after the message in hand and keeps what was verified', async () => {
  const msgs = Array.from({ length: 6 }, (_, i) => ({ subject: `m${i}`, report: report('valid', `p${i}@example.org`, `s${i}`, '2024-01-01T00:00:00Z') }));
  const w = world(msgs, { cancelAfter: 2 });
  const s = await harvest.harvestMail(w, w.abort.signal);
  assert.equal(s.cancelled, true);
  assert.equal(s.scanned, 2);
  assert.deepEqual(s.stored.map((x) => x.address), ['p0@example.org', 'p1@example.org']);
});
