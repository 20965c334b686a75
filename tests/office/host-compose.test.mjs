// The draft of a message composed in the host's window (addin/src/ui/host-compose.ts): built
// into MIME by the core (Wasm under Node), and what is refused.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { ROOT } from '../shared.mjs';
import { importTs } from '../ts.mjs';

let hc, core;

before(async () => {
  hc = await importTs('addin/src/ui/host-compose.ts');
  const pkg = path.join(ROOT, 'addin', 'pkg');
  core = await import(path.join(pkg, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(pkg, 'cachet_bg.wasm')) });
});

const fields = (over = {}) => ({
  from: { name: 'Alice Example', address: 'alice@example.org' },
  to: [{ name: 'Bob, the builder', address: 'bob@example.net' }],
  cc: [{ name: 'Zoë', address: 'zoe@example.com' }],
  bcc: [],
  subject: 'Grüße',
  text: 'line one\r\nline two\r\n',
  html: null,
  attachments: [],
  inReplyTo: '<orig@example.net>',
  references: null,
  ...over,
});

test('a display name is kept only when it needs no quoting', () => {
  assert.equal(hc.mailbox({ name: 'Alice Example', address: 'a@x.org' }), 'Alice Example <a@x.org>');
  assert.equal(hc.mailbox({ name: 'Bob, the builder', address: 'b@x.org' }), 'b@x.org');
  assert.equal(hc.mailbox({ name: 'Eve <eve@evil.test>', address: 'e@x.org' }), 'e@x.org');
  assert.equal(hc.mailbox({ name: ' ', address: 'c@x.org' }), 'c@x.org');
  assert.equal(hc.mailbox({ name: 'C@X.org', address: 'c@x.org' }), 'c@x.org');
});

test('the core builds the draft of an envelope: names, Cc, reply and ids, no Bcc, CRLF text', () => {
  const env = fields();
  assert.deepEqual(hc.envelopeAddresses({ ...env, bcc: [{ name: '', address: 'Hidden@Example.com ' }] }), ['bob@example.net', 'zoe@example.com', 'hidden@example.com']);
  const draft = hc.draftOf(env, 'Mon, 30 Nov 2026 10:00:00 +0000', '<id1@example.org>');
  const mime = Buffer.from(core.composeMessage(JSON.stringify(draft)));
  const text = mime.toString('latin1');
  assert.match(text, /^From: Alice Example <alice@example\.org>\r$/m);
  assert.match(text, /^To: bob@example\.net\r$/m);
  assert.match(text, /^Cc: =\?UTF-8\?[BQ]\?[^?]+\?= <zoe@example\.com>\r$/m);
  assert.match(text, /^In-Reply-To: <orig@example\.net>\r$/m);
  assert.match(text, /^Message-ID: <id1@example\.org>\r$/m);
  assert.doesNotMatch(text, /^Bcc:/im);
  assert.match(text, /line one\r\nline two\r\n/);
});

test('attachments and Bcc are refused with a reason naming them; a plain message is not', () => {
  assert.deepEqual(hc.unsupported(fields()), []);
  const r = hc.unsupported(fields({ attachments: [{ name: 'report.pdf', contentType: 'application/pdf', bytes: new Uint8Array(3), inline: false, contentId: null }], bcc: [{ name: '', address: 'carol@example.com' }] }));
  assert.equal(r.length, 2);
  assert.match(r[0], /report\.pdf/);
  assert.match(r[1], /carol@example\.com/);
});
