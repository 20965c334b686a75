// The Thunderbird background's compose takeover (addin/src/hosts/thunderbird-compose.ts) with
// a fake messenger, core and session: Thunderbird sends by itself when neither Sign nor Encrypt
// is chosen; a locked identity refuses (nothing sent, the draft kept, the popup opened with the
// reasons); a signed message is built by the core and handed to the Experiment with its
// envelope, then the compose window is closed; HTML, attachments and References reach the
// core's draft; Bcc recipients get copies of their own (no Bcc header, not filed in Sent);
// replies to decrypted mail default to Encrypt and turning it off needs a confirmation; the
// original of a reply is read once per compose tab. The real thing runs in
// tests/thunderbird/thunderbird.test.mjs against an SMTP sink.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { importTs } from '../ts.mjs';

let tc;
before(async () => {
  tc = await importTs('addin/src/hosts/thunderbird-compose.ts');
  tc.ComposeTakeover.CLOSE_DELAY_MS = 0;
});

const bobIdentity = { id: 'B', retired: false, facts: [{ emails: ['bob@example.net'] }] };

function fakes({ signer = { handle: 1, record: { id: 'BOB-SHA' } }, attachments = [], identities = [bobIdentity], decrypted = [], detailsOf = details, footer = '', signError = null, headersApi = null } = {}) {
  const calls = [];
  const drafts = [];
  const envelopes = [];
  const fullReads = [];
  const headerReads = [];
  const m = {
    compose: {
      async getComposeDetails() { return detailsOf(); },
      async listAttachments() { return attachments; },
      async getAttachmentFile(id) { const a = attachments.find((x) => x.id === id); return new Blob([a.bytes], { type: a.type }); },
    },
    messages: {
      async get(id) { return { headerMessageId: `orig-${id}@example.org` }; },
      async getFull(id) { fullReads.push(id); return { headers: { references: [`<first@example.org> <orig-${id}@example.org>`] } }; },
      ...(headersApi ? { async getHeaders(id) { headerReads.push(id); return headersApi(id); } } : {}),
    },
    tabs: { async remove(id) { calls.push(`remove ${id}`); } },
    composeAction: { async openPopup(o) { calls.push(`openPopup ${JSON.stringify(o)}`); return true; } },
    cachetSend: { async sendRaw(identityId, envelope, message) { envelopes.push(envelope); calls.push(`sendRaw ${identityId} ${JSON.stringify(envelope.to)} ${new TextDecoder().decode(message)}`); } },
  };
  const core = {
    async call(method, params) {
      calls.push(`core ${method}`);
      if (method === 'composeMessage') drafts.push(params.draft);
      if (method === 'composeMessage') return new TextEncoder().encode(`plain:${params.draft.subject}:${params.draft.inReplyTo ?? ''}`);
      if (method === 'sign' && signError) throw signError;
      if (method === 'sign') return new TextEncoder().encode(`signed(${new TextDecoder().decode(params.mime)})`);
      throw new Error(`unexpected ${method}`);
    },
  };
  const session = { async signer(address) { calls.push(`signer ${address}`); return signer; } };
  const sent = [];
  const keep = { async footer() { return footer; }, async recordSent(addresses, sha) { sent.push([addresses, sha]); }, async requestSent() {} };
  const takeover = new tc.ComposeTakeover(m, core, session, async () => identities, async (ids) => ids.some((i) => decrypted.includes(i)), keep);
  return { takeover, calls, drafts, envelopes, sent, fullReads, headerReads };
}

function details(extra = {}) {
  return { identityId: 'id1', from: 'Bob DEMO <bob@example.net>', to: ['Alice <alice@example.org>'], cc: [], bcc: [], subject: 'Hi', isPlainText: true, plainTextBody: 'hello', ...extra };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

test('addresses of compose fields', () => {
  assert.deepEqual(tc.parseMailbox('Alice DEMO <alice@example.org>'), { name: 'Alice DEMO', address: 'alice@example.org' });
  assert.deepEqual(tc.parseMailbox('"Doe, Jane" <jane@example.org>'), { name: 'Doe, Jane', address: 'jane@example.org' });
  assert.deepEqual(tc.parseMailbox(' bob@example.net '), { name: '', address: 'bob@example.net' });
});

test('Sign is on by default only with an identity for the From address', async () => {
  assert.deepEqual(await fakes().takeover.choice(3), { sign: true, encrypt: false });
  assert.deepEqual(await fakes({ identities: [] }).takeover.choice(3), { sign: false, encrypt: false });
  assert.deepEqual(await fakes({ identities: [{ ...bobIdentity, retired: true }] }).takeover.choice(3), { sign: false, encrypt: false });
});

test('neither Sign nor Encrypt: Thunderbird sends the message itself', async () => {
  const f = fakes({ identities: [] });
  assert.equal(await f.takeover.beforeSend({ id: 3, windowId: 1 }, details()), undefined);
  assert.deepEqual(f.calls, []);
});

test('a signed message: built and signed by the core, sent through the Experiment, the composer closed', async () => {
  const f = fakes();
  const out = await f.takeover.beforeSend({ id: 3, windowId: 1 }, details({ type: 'reply', relatedMessageId: 12 }));
  assert.deepEqual(out, { cancel: true });
  await settle();
  assert.deepEqual(f.calls, ['signer bob@example.net', 'core composeMessage', 'core sign', 'sendRaw id1 ["alice@example.org"] signed(plain:Hi:<orig-12@example.org>)', 'remove 3']);
  assert.deepEqual(f.takeover.lastProblems(3), []);
  assert.equal(f.drafts[0].footer, undefined, 'no footer saved: none in the draft');
  assert.deepEqual(f.sent, [[['alice@example.org'], 'BOB-SHA']], 'the recipient is recorded as having the signing certificate');
});

test('the identity’s signed footer goes into the draft the core signs', async () => {
  const f = fakes({ footer: 'Bob GmbH\nBerlin' });
  await f.takeover.beforeSend({ id: 3, windowId: 1 }, details());
  await settle();
  assert.equal(f.drafts[0].footer, 'Bob GmbH\nBerlin');
  assert.deepEqual(f.sent, [[['alice@example.org'], 'BOB-SHA']]);
});

test('a locked identity: nothing is sent, the draft stays, the popup says why', async () => {
  const locked = fakes({ signer: null });
  await locked.takeover.setChoice(3, { sign: true, encrypt: false });
  assert.deepEqual(await locked.takeover.beforeSend({ id: 3, windowId: 7 }, details()), { cancel: true });
  await settle();
  assert.deepEqual(locked.calls, ['signer bob@example.net', 'openPopup {"windowId":7}']);
  assert.match(locked.takeover.lastProblems(3).join(' '), /Your certificate for bob@example.net is locked or missing/);
  // Changing the choice clears the old reasons.
  await locked.takeover.setChoice(3, { sign: false, encrypt: false });
  assert.deepEqual(locked.takeover.lastProblems(3), []);
});

test('an expired certificate: the core refuses to sign, nothing is sent, the popup gives the date and what to do', async () => {
  // What the core worker's client throws for the core's typed error (a CoreFailure).
  const refusal = Object.assign(new Error('Your certificate for bob@example.net expired on 2025-01-01 00:00 UTC: it can no longer sign mail.'), { name: 'CoreFailure', code: 'certificate-expired', hint: 'Renew your certificate with the authority that issued it, import the new one, then send signed mail to your contacts.' });
  const f = fakes({ signError: refusal });
  assert.deepEqual(await f.takeover.beforeSend({ id: 3, windowId: 7 }, details()), { cancel: true });
  await settle();
  assert.ok(!f.calls.some((c) => c.startsWith('sendRaw')), 'nothing was sent');
  assert.ok(f.calls.includes('openPopup {"windowId":7}'));
  const problems = f.takeover.lastProblems(3).join(' ');
  assert.match(problems, /expired on 2025-01-01 00:00 UTC/);
  assert.match(problems, /Renew your certificate/);
});

test('HTML with its text version, attachments, Cc and References reach the draft; each Bcc recipient gets a copy of their own, not filed in Sent', async () => {
  const bytes = new Uint8Array([0, 1, 2, 250, 255]);
  const f = fakes({ attachments: [{ id: 9, name: 'data.bin', type: 'application/x-test', bytes }] });
  const d = details({ type: 'reply', relatedMessageId: 12, isPlainText: false, body: '<p>hello <b>Alice</b></p>', cc: ['carol@example.org'], bcc: ['Dave <dave@example.org>', 'erin@example.org'] });
  assert.deepEqual(await f.takeover.beforeSend({ id: 3, windowId: 1 }, d), { cancel: true });
  await settle();
  assert.deepEqual(f.takeover.lastProblems(3), []);
  assert.equal(f.drafts.length, 3, 'one copy for To and Cc, one per Bcc recipient');
  for (const draft of f.drafts) {
    assert.deepEqual(draft.to, ['Alice <alice@example.org>']);
    assert.deepEqual(draft.cc, ['carol@example.org']);
    assert.equal(draft.bcc, undefined, 'no copy names a Bcc recipient');
    assert.equal(draft.text, 'hello');
    assert.equal(draft.html, '<p>hello <b>Alice</b></p>');
    assert.equal(draft.inReplyTo, '<orig-12@example.org>');
    assert.equal(draft.references, '<first@example.org> <orig-12@example.org>');
    assert.deepEqual(draft.attachments, [{ filename: 'data.bin', contentType: 'application/x-test', dataBase64: Buffer.from(bytes).toString('base64') }]);
  }
  // The original's References were read once, for the choice and the copies alike.
  assert.deepEqual(f.fullReads, [12]);
  assert.deepEqual(f.envelopes.map((e) => [e.to, e.cc, e.bcc, e.sentCopy]), [
    [['alice@example.org'], ['carol@example.org'], [], true],
    [[], [], ['dave@example.org'], false],
    [[], [], ['erin@example.org'], false],
  ]);
  assert.equal(new Set(f.envelopes.map((e) => e.messageId)).size, 3);
  // Plain-text delivery chosen in Thunderbird: no HTML part.
  const g = fakes();
  await g.takeover.beforeSend({ id: 4 }, details({ isPlainText: false, body: '<p>x</p>', deliveryFormat: 'plaintext' }));
  assert.equal(g.drafts[0].html, undefined);
  // Only Bcc recipients: the copy says so in To, as Thunderbird does.
  const h = fakes();
  await h.takeover.beforeSend({ id: 5 }, details({ to: [], bcc: ['dave@example.org'] }));
  assert.deepEqual(h.drafts[0].to, ['undisclosed-recipients:;']);
  assert.deepEqual(h.envelopes.map((e) => [e.bcc, e.sentCopy]), [[['dave@example.org'], true]]);
});

test('a reply to a message decrypted here defaults to Encrypt; turning it off needs the confirmation', async () => {
  const reply = () => details({ type: 'reply', relatedMessageId: 12 });
  const f = fakes({ decrypted: ['<orig-12@example.org>'], detailsOf: reply });
  assert.deepEqual(await f.takeover.choice(3), { sign: true, encrypt: true });
  assert.equal(await f.takeover.setChoice(3, { sign: true, encrypt: false }), false, 'refused without confirmation');
  assert.deepEqual(await f.takeover.choice(3), { sign: true, encrypt: true });
  assert.equal(await f.takeover.setChoice(3, { sign: true, encrypt: false }, true), true);
  assert.deepEqual(await f.takeover.choice(3), { sign: true, encrypt: false });
  // A reply to mail not decrypted here, and a new message, keep the ordinary default.
  assert.deepEqual(await fakes({ decrypted: ['<other@example.org>'], detailsOf: reply }).takeover.choice(3), { sign: true, encrypt: false });
  assert.deepEqual(await fakes({ decrypted: ['<orig-12@example.org>'] }).takeover.choice(3), { sign: true, encrypt: false });
  // The choice asked again, and the Send, read the original once; another tab reads its own.
  assert.deepEqual(f.fullReads, [12]);
  await f.takeover.choice(4);
  assert.deepEqual(f.fullReads, [12, 12]);
  // Encrypt is on even without an identity for this From address (Send then says what is missing).
  assert.deepEqual(await fakes({ identities: [], decrypted: ['<orig-12@example.org>'], detailsOf: reply }).takeover.choice(3), { sign: false, encrypt: true });
});

test('a reply\'s References come from messages.getHeaders where Thunderbird has it (any header case), else from getFull', async () => {
  const reply = () => details({ type: 'reply', relatedMessageId: 12 });
  const f = fakes({ detailsOf: reply, headersApi: (id) => ({ References: [`<zero@example.org>`, `<orig-${id}@example.org>`] }) });
  await f.takeover.beforeSend({ id: 3 }, reply());
  assert.equal(f.drafts[0].references, '<zero@example.org> <orig-12@example.org>');
  assert.deepEqual([f.headerReads, f.fullReads], [[12], []], 'the headers alone, read once');
  // getHeaders refusing: the full message's headers.
  const g = fakes({ detailsOf: reply, headersApi: () => { throw new Error('not here'); } });
  await g.takeover.beforeSend({ id: 3 }, reply());
  assert.equal(g.drafts[0].references, '<first@example.org> <orig-12@example.org>');
  assert.deepEqual(g.fullReads, [12]);
});

test('a kept choice is reported, so the background stays awake until the compose tab goes', async () => {
  const f = fakes();
  let changes = 0;
  f.takeover.onChoicesChanged = () => changes++;
  assert.equal(f.takeover.holdsChoices, false);
  await f.takeover.setChoice(8, { sign: true, encrypt: true });
  assert.equal(f.takeover.holdsChoices, true);
  assert.deepEqual(await f.takeover.choice(8), { sign: true, encrypt: true });
  f.takeover.forget(8);
  f.takeover.forget(8);
  assert.equal(f.takeover.holdsChoices, false);
  assert.equal(changes, 2);
});

test('without the identity id (no accountsRead) the send is refused, not guessed', async () => {
  const f = fakes();
  await f.takeover.beforeSend({ id: 5 }, details({ identityId: undefined }));
  assert.match(f.takeover.lastProblems(5).join(' '), /did not say which identity/);
  assert.ok(!f.calls.some((c) => c.startsWith('sendRaw')));
});
