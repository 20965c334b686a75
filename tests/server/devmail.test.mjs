// The dev mailbox (scripts/devmail.mjs) mounted on the dev server, driven over HTTP both with
// raw requests and through the add-in's GraphClient (addin/src/hosts/graph.ts, bundled with
// esbuild for Node): authentication, sendMail delivery with Bcc removed, folders, $value,
// delete, drafts and Graph-style errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createDevServer, listen } from '../../scripts/serve.mjs';
import { devMailRoutes, parseAddresses, decodeWords } from '../../scripts/devmail.mjs';
import { importTs } from '../ts.mjs';

let root, dist, server, base, graph;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-devmail-'));
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-devmail-dist-'));
  server = createDevServer({ root: dist, routes: devMailRoutes({ root }) });
  base = await listen(server, { port: 0 });
  graph = await importTs('addin/src/hosts/graph.ts');
});

after(() => {
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(dist, { recursive: true, force: true });
});

const auth = (a) => ({ Authorization: `Bearer dev:${a}` });
const b64 = (s) => Buffer.from(s).toString('base64');

function message({ from = 'Alice <alice@example.org>', to = 'Bob <bob@example.org>', cc, bcc, subject = 'Hello' } = {}) {
  const lines = [`From: ${from}`, `To: ${to}`];
  if (cc) lines.push(`Cc: ${cc}`);
  if (bcc) lines.push(`Bcc: ${bcc}`);
  lines.push(`Subject: ${subject}`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Body line', '');
  return lines.join('\r\n');
}

async function send(as, mime, headers = {}) {
  return fetch(`${base}/v1.0/me/sendMail`, { method: 'POST', headers: { ...auth(as), 'Content-Type': 'text/plain', ...headers }, body: b64(mime) });
}

async function folder(as, name) {
  const r = await fetch(`${base}/v1.0/me/mailFolders/${name}/messages`, { headers: auth(as) });
  assert.equal(r.status, 200);
  return (await r.json()).value;
}

test('without a dev bearer token every route answers 401 with a Graph error', async () => {
  for (const [method, p] of [['GET', '/v1.0/me/messages'], ['POST', '/v1.0/me/sendMail'], ['GET', '/v1.0/me/mailFolders/inbox/messages'], ['DELETE', '/v1.0/me/messages/x']]) {
    for (const headers of [{}, { Authorization: 'Bearer eyJ.real.token' }, { Authorization: 'Bearer dev:not-an-address' }]) {
      const r = await fetch(`${base}${p}`, { method, headers });
      assert.equal(r.status, 401, `${method} ${p} ${JSON.stringify(headers)}`);
      assert.equal((await r.json()).error.code, 'InvalidAuthenticationToken');
    }
  }
});

test('sendMail delivers to To, Cc and Bcc inboxes, strips Bcc from delivered copies, keeps it in sentitems', async () => {
  const mime = message({
    from: 'Alice <alice@example.org>',
    to: '"Bob, the builder" <bob@example.org>',
    cc: 'carol@example.org',
    bcc: 'Dave <dave@example.org>,\r\n  erin@example.org',
    subject: '=?utf-8?B?w4lsw6lwaGFudA==?= report',
  });
  const r = await send('alice@example.org', mime);
  assert.equal(r.status, 202);
  for (const who of ['bob', 'carol', 'dave', 'erin']) {
    const inbox = await folder(`${who}@example.org`, 'inbox');
    assert.equal(inbox.length, 1, `${who} got ${inbox.length}`);
    const m = inbox[0];
    assert.equal(m.subject, 'Éléphant report');
    assert.deepEqual(m.from.emailAddress, { name: 'Alice', address: 'alice@example.org' });
    assert.deepEqual(m.toRecipients, [{ emailAddress: { name: 'Bob, the builder', address: 'bob@example.org' } }]);
    const raw = await fetch(`${base}/v1.0/me/messages/${m.id}/$value`, { headers: auth(`${who}@example.org`) });
    assert.equal(raw.headers.get('content-type'), 'message/rfc822');
    const text = await raw.text();
    assert.doesNotMatch(text, /^bcc:/im);
    assert.doesNotMatch(text, /erin@example\.org/);
    assert.equal(text, mime.replace('Bcc: Dave <dave@example.org>,\r\n  erin@example.org\r\n', ''));
  }
  const sent = await folder('alice@example.org', 'sentitems');
  assert.equal(sent.length, 1);
  const kept = await (await fetch(`${base}/v1.0/me/messages/${sent[0].id}/$value`, { headers: auth('alice@example.org') })).text();
  assert.equal(kept, mime);
  assert.equal((await folder('alice@example.org', 'inbox')).length, 0);
  // The mailbox is files on disk, one .eml per message.
  assert.equal(fs.readdirSync(path.join(root, 'bob@example.org', 'inbox')).filter((f) => f.endsWith('.eml')).length, 1);
});

test('bad input gives 400 with Graph error codes, nothing is stored', async () => {
  const before = fs.existsSync(path.join(root, 'zed@example.org'));
  const cases = [
    [{ 'Content-Type': 'application/json' }, JSON.stringify({ message: {} }), 'ErrorMimeContentInvalid'],
    [{}, 'not base64 !!!', 'ErrorMimeContentInvalidBase64String'],
    [{}, b64('no header block at all'), 'ErrorMimeContentInvalid'],
    [{}, b64('From: a@example.org\r\nSubject: x\r\n\r\nbody'), 'ErrorInvalidRecipients'],
    [{}, b64('To: zed@example.org\r\nSubject: x\r\n\r\nbody'), 'ErrorMimeContentInvalid'],
  ];
  for (const [headers, body, code] of cases) {
    const r = await fetch(`${base}/v1.0/me/sendMail`, { method: 'POST', headers: { ...auth('alice@example.org'), 'Content-Type': 'text/plain', ...headers }, body });
    assert.equal(r.status, 400, body);
    assert.equal((await r.json()).error.code, code);
  }
  assert.equal(fs.existsSync(path.join(root, 'zed@example.org')), before);
});

test('folders list newest first; /me/messages is inbox and sentitems; unknown folder 404', async () => {
  await send('frank@example.org', message({ from: 'frank@example.org', to: 'gina@example.org', subject: 'first' }));
  await send('frank@example.org', message({ from: 'frank@example.org', to: 'gina@example.org', subject: 'second' }));
  await send('gina@example.org', message({ from: 'gina@example.org', to: 'frank@example.org', subject: 'reply' }));
  assert.deepEqual((await folder('gina@example.org', 'inbox')).map((m) => m.subject), ['second', 'first']);
  const all = await (await fetch(`${base}/v1.0/me/messages`, { headers: auth('gina@example.org') })).json();
  assert.deepEqual(all.value.map((m) => m.subject), ['reply', 'second', 'first']);
  assert.ok(all.value.every((m) => !Number.isNaN(Date.parse(m.receivedDateTime))));
  const r = await fetch(`${base}/v1.0/me/mailFolders/..%2f..%2fetc/messages`, { headers: auth('gina@example.org') });
  assert.equal(r.status, 404);
});

test('messages are private to their mailbox; DELETE removes; bad ids 404', async () => {
  await send('hal@example.org', message({ from: 'hal@example.org', to: 'ivy@example.org', subject: 'private' }));
  const [m] = await folder('ivy@example.org', 'inbox');
  assert.equal((await fetch(`${base}/v1.0/me/messages/${m.id}/$value`, { headers: auth('hal@example.org') })).status, 404);
  assert.equal((await fetch(`${base}/v1.0/me/messages/..%2f..%2fx/$value`, { headers: auth('ivy@example.org') })).status, 404);
  const d = await fetch(`${base}/v1.0/me/messages/${m.id}`, { method: 'DELETE', headers: auth('ivy@example.org') });
  assert.equal(d.status, 204);
  assert.equal((await folder('ivy@example.org', 'inbox')).length, 0);
  assert.equal((await fetch(`${base}/v1.0/me/messages/${m.id}`, { method: 'DELETE', headers: auth('ivy@example.org') })).status, 404);
});

test('POST /me/messages with MIME creates a draft (201 with id)', async () => {
  const r = await fetch(`${base}/v1.0/me/messages`, { method: 'POST', headers: { ...auth('jo@example.org'), 'Content-Type': 'text/plain' }, body: b64(message({ from: 'jo@example.org', subject: 'draft' })) });
  assert.equal(r.status, 201);
  const { id } = await r.json();
  const drafts = await folder('jo@example.org', 'drafts');
  assert.deepEqual(drafts.map((m) => [m.id, m.subject]), [[id, 'draft']]);
  assert.equal((await folder('bob@example.org', 'inbox')).filter((m) => m.subject === 'draft').length, 0);
});

test('GraphClient against the dev mailbox: sendMime, list, getMime, createDraft, delete, permanentDelete, errors', async () => {
  const client = (a) => new graph.GraphClient({ baseUrl: `${base}/`, token: async () => `dev:${a}` });
  const kim = client('kim@example.org');
  const bytes = new Uint8Array(Buffer.from(message({ from: 'Kim <kim@example.org>', to: 'lee@example.org', subject: 'via client' }) + 'é'.repeat(40000)));
  await kim.sendMime(bytes);
  const lee = client('lee@example.org');
  const inbox = await lee.list('inbox');
  assert.equal(inbox.length, 1);
  assert.deepEqual({ ...inbox[0], id: '', received: '' }, { id: '', subject: 'via client', from: { name: 'Kim', address: 'kim@example.org' }, to: ['lee@example.org'], received: '', hasAttachments: false });
  assert.deepEqual(await lee.getMime(inbox[0].id), bytes);
  const draft = await kim.createDraft(bytes);
  assert.deepEqual((await kim.list('drafts')).map((m) => m.id), [draft]);
  await kim.delete(draft);
  assert.equal((await kim.list('drafts')).length, 0);
  const second = await kim.createDraft(bytes);
  await kim.permanentDelete(second);
  assert.equal((await kim.list('drafts')).length, 0);
  await assert.rejects(kim.permanentDelete(second), (e) => e.status === 404);
  await assert.rejects(kim.delete(draft), (e) => e instanceof graph.GraphError && e.status === 404 && e.code === 'ErrorItemNotFound');
  const nobody = new graph.GraphClient({ baseUrl: base, token: async () => 'not-dev' });
  await assert.rejects(nobody.list('inbox'), (e) => e.status === 401 && e.code === 'InvalidAuthenticationToken');
  const down = new graph.GraphClient({ baseUrl: 'http://127.0.0.1:9', token: async () => 'dev:kim@example.org' });
  await assert.rejects(down.list('inbox'), (e) => e.status === 0 && e.code === 'NetworkError');
});

test('address lists and encoded words are parsed as RFC 5322 / RFC 2047 say', () => {
  assert.deepEqual(parseAddresses('"Doe, Jane" <JANE@Example.org>, team: a@x.org, b@y.org;, (c) c@z.org'), [
    { name: 'Doe, Jane', address: 'jane@example.org' },
    { name: 'a@x.org', address: 'a@x.org' },
    { name: 'b@y.org', address: 'b@y.org' },
    { name: 'c@z.org', address: 'c@z.org' },
  ]);
  assert.equal(decodeWords('=?iso-8859-1?Q?Caf=E9_cr=E8me?= =?utf-8?B?IOKCrA==?='), 'Café crème €');
});

test('like Graph, a request body over 4 MB is answered 413 and nothing is delivered; 4 MB itself is taken', async () => {
  const { GRAPH_MAX_REQUEST } = await import('../../scripts/devmail.mjs');
  assert.equal(GRAPH_MAX_REQUEST, graph.GRAPH_MAX_REQUEST, 'the dev mailbox and the add-in agree on the limit');
  assert.equal(graph.GRAPH_MAX_MIME, 3 * 1024 * 1024);
  const head = message({ to: 'big@example.org', subject: 'Big' }).replace(/Body line\r\n$/, '');
  // The largest message whose base64 is exactly 4 MB, and one byte more.
  const fits = head + 'x'.repeat(graph.GRAPH_MAX_MIME - head.length);
  assert.equal(b64(fits).length, GRAPH_MAX_REQUEST);
  const ok = await send('alice@example.org', fits);
  assert.equal(ok.status, 202);
  assert.equal((await folder('big@example.org', 'inbox')).length, 1);
  const r = await send('alice@example.org', `${fits}xyz`);
  assert.equal(r.status, 413);
  assert.equal((await r.json()).error.code, 'RequestEntityTooLarge');
  assert.equal((await folder('big@example.org', 'inbox')).length, 1, 'the larger one was not delivered');
  // Through the add-in's Graph client the status comes back as a GraphError.
  const client = new graph.GraphClient({ baseUrl: base, token: async () => 'dev:alice@example.org' });
  await assert.rejects(client.sendMime(new Uint8Array(Buffer.from(`${fits}xyz`))), (e) => e.name === 'GraphError' && e.status === 413);
});
