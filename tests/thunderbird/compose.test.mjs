// The Thunderbird background's compose takeover (addin/src/hosts/thunderbird-compose.ts) with
// a fake messenger, core and session: Thunderbird sends by itself when neither Sign nor Encrypt
// is chosen; a locked identity, attachments or Bcc refuse (nothing sent, the draft kept, the
// popup opened with the reasons); a signed message is built by the core and handed to the
// Experiment with its envelope, then the compose window is closed. The real thing runs in
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

function fakes({ signer = { handle: 1 }, attachments = [], identities = [bobIdentity] } = {}) {
  const calls = [];
  const m = {
    compose: {
      async getComposeDetails() { return details(); },
      async listAttachments() { return attachments; },
    },
    messages: { async get(id) { return { headerMessageId: `orig-${id}@example.org` }; } },
    tabs: { async remove(id) { calls.push(`remove ${id}`); } },
    composeAction: { async openPopup(o) { calls.push(`openPopup ${JSON.stringify(o)}`); return true; } },
    cachetSend: { async sendRaw(identityId, envelope, message) { calls.push(`sendRaw ${identityId} ${JSON.stringify(envelope.to)} ${new TextDecoder().decode(message)}`); } },
  };
  const core = {
    async call(method, params) {
      calls.push(`core ${method}`);
      if (method === 'composeMessage') return new TextEncoder().encode(`plain:${params.draft.subject}:${params.draft.inReplyTo ?? ''}`);
      if (method === 'sign') return new TextEncoder().encode(`signed(${new TextDecoder().decode(params.mime)})`);
      throw new Error(`unexpected ${method}`);
    },
  };
  const session = { async signer(address) { calls.push(`signer ${address}`); return signer; } };
  const takeover = new tc.ComposeTakeover(m, core, session, async () => identities);
  return { takeover, calls };
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
});

test('locked identity, attachments: nothing is sent, the draft stays, the popup says why', async () => {
  const locked = fakes({ signer: null });
  locked.takeover.setChoice(3, { sign: true, encrypt: false });
  assert.deepEqual(await locked.takeover.beforeSend({ id: 3, windowId: 7 }, details()), { cancel: true });
  await settle();
  assert.deepEqual(locked.calls, ['signer bob@example.net', 'openPopup {"windowId":7}']);
  assert.match(locked.takeover.lastProblems(3).join(' '), /Your certificate for bob@example.net is locked or missing/);

  const attached = fakes({ attachments: [{ id: 1, name: 'report.pdf' }] });
  await attached.takeover.beforeSend({ id: 4, windowId: 7 }, details({ bcc: ['dave@example.org'] }));
  await settle();
  const reasons = attached.takeover.lastProblems(4).join(' ');
  assert.match(reasons, /Attachments cannot be signed or encrypted by Cachet in Thunderbird yet \(report\.pdf\)/);
  // A Bcc recipient is no reason to refuse: each gets a copy of their own (host-compose envelopes).
  assert.doesNotMatch(reasons, /Bcc/);
  assert.ok(!attached.calls.some((c) => c.startsWith('sendRaw') || c.startsWith('remove')));

  // Changing the choice clears the old reasons.
  attached.takeover.setChoice(4, { sign: false, encrypt: false });
  assert.deepEqual(attached.takeover.lastProblems(4), []);
});

test('a kept choice is reported, so the background stays awake until the compose tab goes', async () => {
  const f = fakes();
  let changes = 0;
  f.takeover.onChoicesChanged = () => changes++;
  assert.equal(f.takeover.holdsChoices, false);
  f.takeover.setChoice(8, { sign: true, encrypt: true });
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
