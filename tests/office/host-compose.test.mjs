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
  const mime = Buffer.from(core.composeMessage(draft));
  const text = mime.toString('latin1');
  assert.match(text, /^From: Alice Example <alice@example\.org>\r$/m);
  assert.match(text, /^To: bob@example\.net\r$/m);
  assert.match(text, /^Cc: =\?UTF-8\?[BQ]\?[^?]+\?= <zoe@example\.com>\r$/m);
  assert.match(text, /^In-Reply-To: <orig@example\.net>\r$/m);
  assert.match(text, /^Message-ID: <id1@example\.org>\r$/m);
  assert.doesNotMatch(text, /^Bcc:/im);
  assert.match(text, /line one\r\nline two\r\n/);
});

test('HTML with an inline picture, a file, an attached message, References and the Bcc of its own copy all reach the core', () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
  const env = fields({
    to: [], cc: [], bcc: [{ name: 'Hidden', address: 'hidden@example.com' }],
    html: '<p>Hi</p><img src="cid:pic@x">',
    references: '<root@example.net> <orig@example.net>',
    attachments: [
      { name: 'pic.png', contentType: 'image/png', bytes: png, inline: true, contentId: 'pic@x' },
      { name: 'report.pdf', contentType: 'application/pdf', bytes: new Uint8Array([37, 80, 68, 70]), inline: false, contentId: null },
      { name: 'old.eml', contentType: 'message/rfc822', bytes: new TextEncoder().encode('Subject: old\r\n\r\nold text\r\n'), inline: false, contentId: null },
    ],
  });
  assert.deepEqual(hc.unsupported(env), [], 'nothing is refused any more');
  assert.equal(hc.contentSummary(env), 'formatted (HTML) text with its plain-text version; 1 picture in the text; 2 attachments: report.pdf, old.eml; a separate copy for each Bcc recipient (1), which names no other Bcc recipient');
  const draft = hc.draftOf(env, 'Mon, 30 Nov 2026 10:00:00 +0000', '<id2@example.org>');
  assert.equal(draft.attachments[0].contentId, 'pic@x');
  assert.equal(draft.attachments[1].contentId, undefined);
  const text = Buffer.from(core.composeMessage(draft)).toString('latin1');
  assert.match(text, /^Bcc: Hidden <hidden@example\.com>\r$/m, 'the blind recipient’s own copy names them alone');
  assert.doesNotMatch(text, /^(To|Cc):/m);
  assert.match(text, /^References: <root@example\.net> <orig@example\.net>\r$/m);
  assert.match(text, /^In-Reply-To: <orig@example\.net>\r$/m);
  assert.match(text, /multipart\/alternative[\s\S]*text\/plain[\s\S]*multipart\/related;\r\n type="text\/html"[\s\S]*text\/html[\s\S]*Content-ID: <pic@x>[\s\S]*application\/pdf[\s\S]*message\/rfc822; name="old\.eml"\r\nContent-Transfer-Encoding: 7bit\r\nContent-Disposition: attachment; filename="old\.eml"\r\n\r\nSubject: old\r\n\r\nold text\r\n/);
  assert.ok(text.includes(Buffer.from(png).toString('base64')), 'the picture’s bytes');
  // A plain-text message carries no HTML part.
  assert.doesNotMatch(Buffer.from(core.composeMessage(hc.draftOf(fields(), 'Mon, 30 Nov 2026 10:00:00 +0000', '<id3@example.org>'))).toString('latin1'), /text\/html/);
});
