// The Thunderbird background's reader (addin/src/hosts/thunderbird.ts) with a fake `messenger`,
// a fake core and a fake session: each displayed message is read (getRaw, never decrypt) and
// opened once however often Thunderbird reports the display; unlocking opens it again; the
// banner carries the read pane's words; a valid signer is learned; the toolbar button opens
// the viewer tab for the selected message. The real extension runs in tests/thunderbird/thunderbird.test.mjs.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { importTs } from '../ts.mjs';

let tb, words;
before(async () => {
  tb = await importTs('addin/src/hosts/thunderbird.ts');
  words = await importTs('addin/src/ui/status-text.ts');
});

const validReport = {
  status: 'valid',
  layers: [{ kind: 'signed', status: 'valid', format: 'multipart/signed', covers: '', details: [], signers: [{
    status: 'valid', signature: 'good', signer_id: { issuer_and_serial: { issuer: 'CN=CA', serial: '01' } }, chain: null,
    address: { from: 'alice@example.org', matches: true, certificate_emails: ['alice@example.org'] },
    certificate: { common_name: 'Alice', emails: ['alice@example.org'], issuer: 'CN=Test CA', not_after: '2030-01-01T00:00:00Z', sha256: 'AA' },
    signing_time: null, digest_algorithm: 'sha256', signature_algorithm: 'rsa', smime_capabilities: ['aes256-cbc'], details: [] }] }],
  certificates: [], diagnosis: [],
};
const noKeyReport = { status: 'no-key', layers: [{ kind: 'encrypted', status: 'no-key', format: 'enveloped-data', covers: '', details: [], encryption: { content_cipher: 'aes256-cbc', integrity_protected: false, recipients: [], key_management: ['RSA PKCS #1 v1.5'] } }], certificates: [], diagnosis: [] };

function fakes({ report = validReport, learned = [], raw = (id) => `Subject: message ${id}\r\n\r\nbody\r\n` } = {}) {
  const calls = [];
  const listeners = {};
  const event = (name) => ({ addListener: (f) => { listeners[name] = f; }, removeListener() {} });
  const messenger = {
    messages: {
      async getRaw(id, options) {
        calls.push(`getRaw ${id} decrypt=${options?.decrypt}`);
        return new Blob([raw(id)]);
      },
      async get(id) {
        return { id, headerMessageId: `m${id}@example.org` };
      },
    },
    messageDisplay: {
      async getDisplayedMessages(tabId) {
        calls.push(`getDisplayedMessages ${tabId}`);
        return { messages: [{ id: 7 }] };
      },
      onMessagesDisplayed: event('displayed'),
    },
    mailTabs: { async getSelectedMessages(tabId) { calls.push(`getSelectedMessages ${tabId}`); return { messages: [{ id: 9 }] }; } },
    tabs: { async create(p) { calls.push(`create ${p.url}`); return { id: 99 }; }, async query() { return [{ id: 1 }]; } },
    action: { onClicked: event('clicked') },
    runtime: { getURL: (p) => `moz-extension://x/${p}`, async getBackgroundPage() { return null; }, async sendMessage() {}, onMessage: event('message') },
  };
  const core = {
    async call(method, params) {
      calls.push(`core ${method} ${new TextDecoder().decode(params.mime).split('\r\n')[0]}`);
      await new Promise((r) => setTimeout(r, 5));
      return { report, content: null };
    },
  };
  const session = {
    async openOptions() { return { at: 0, trust: [], known: [] }; },
    async learnValid(r) { calls.push(`learnValid ${r.status}`); return learned; },
  };
  return { messenger, core, session, calls };
}

test('repeated display events and banner requests open a message once', async () => {
  const f = fakes();
  const reader = new tb.MessageReader(f.messenger, f.core, f.session);
  // Thunderbird reports one display two or three times, and the display script asks as well.
  reader.displayed({ id: 1 }, { messages: [{ id: 7 }] });
  reader.displayed({ id: 1 }, { messages: [{ id: 7 }] });
  const [a, b] = await Promise.all([reader.onMessage({ type: tb.BANNER_REQUEST }, { tab: { id: 1 } }), reader.onMessage({ type: tb.BANNER_REQUEST }, { tab: { id: 1 } })]);
  reader.displayed({ id: 1 }, { messages: [{ id: 7 }] });
  assert.deepEqual(a, b);
  assert.equal(reader.opens, 1);
  assert.deepEqual(f.calls.filter((c) => c.startsWith('getRaw') || c.startsWith('core')), ['getRaw 7 decrypt=false', 'core open Subject: message 7']);
  // The banner has the read pane's words for the status.
  const expected = words.statusText(validReport);
  assert.equal(a.status, 'valid');
  assert.equal(a.title, expected.title);
  assert.equal(a.title, 'Signed by Alice <alice@example.org>');
  assert.equal(a.advice, expected.advice);
  assert.equal(a.tone, 'good');
  assert.equal(a.encrypted, false);
  assert.ok(f.calls.includes('learnValid valid'), 'a valid signer goes to the contacts');
});

test('after the keyring changes, the next display opens the message again', async () => {
  const f = fakes({ report: noKeyReport });
  const reader = new tb.MessageReader(f.messenger, f.core, f.session);
  const first = await reader.analyse(7);
  assert.equal(first.status, 'no-key');
  assert.equal(first.encrypted, true);
  assert.equal(first.title, words.statusText(noKeyReport).title);
  await reader.analyse(7);
  assert.equal(reader.opens, 1);
  reader.invalidate();
  await reader.analyse(7);
  assert.equal(reader.opens, 2);
});

test('a displayed encrypted message is noted, so that a reply to it is sent encrypted: S/MIME, PGP/MIME and inline OpenPGP (which Thunderbird may decrypt itself)', async () => {
  const noted = [];
  const mark = async (id) => { noted.push(id); };
  const smime = fakes({ report: noKeyReport });
  await new tb.MessageReader(smime.messenger, smime.core, smime.session, mark).analyse(7);
  assert.deepEqual(noted, ['<m7@example.org>']);
  const pgpMime = fakes({ report: { ...validReport, status: 'unsigned', layers: [] }, raw: (id) => `Subject: m ${id}\r\nContent-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary=b\r\n\r\n--b\r\n` });
  await new tb.MessageReader(pgpMime.messenger, pgpMime.core, pgpMime.session, mark).analyse(8);
  const inline = fakes({ report: { ...validReport, status: 'unsigned', layers: [] }, raw: (id) => `Subject: m ${id}\r\n\r\n-----BEGIN PGP MESSAGE-----\r\nhQEMA\r\n-----END PGP MESSAGE-----\r\n` });
  await new tb.MessageReader(inline.messenger, inline.core, inline.session, mark).analyse(9);
  assert.deepEqual(noted, ['<m7@example.org>', '<m8@example.org>', '<m9@example.org>']);
  // Signed or plain mail is not.
  const plain = fakes();
  await new tb.MessageReader(plain.messenger, plain.core, plain.session, mark).analyse(10);
  assert.equal(noted.length, 3);
});

test('a stored or changed sender certificate is said in the banner', async () => {
  const stored = fakes({ learned: [{ outcome: { kind: 'stored', address: 'alice@example.org' } }] });
  const a = await new tb.MessageReader(stored.messenger, stored.core, stored.session).analyse(7);
  assert.match(a.note, /The certificate of alice@example.org is stored/);
  const changed = fakes({ learned: [{ outcome: { kind: 'changed', address: 'alice@example.org', old: {}, next: {} } }] });
  const c = await new tb.MessageReader(changed.messenger, changed.core, changed.session).analyse(7);
  assert.match(c.note, /alice@example.org now signs with a different certificate/);
});

test('messages that are not for the reader get no answer; a failure is a sentence', async () => {
  const f = fakes();
  const reader = new tb.MessageReader(f.messenger, f.core, f.session);
  assert.equal(reader.onMessage({ type: 'something-else' }, { tab: { id: 1 } }), undefined);
  assert.equal(await reader.onMessage({ type: tb.BANNER_REQUEST }, {}), null);
  f.core.call = async () => { throw Object.assign(new Error('The S/MIME engine could not be loaded.'), { hint: 'Reload.' }); };
  assert.deepEqual(await reader.onMessage({ type: tb.BANNER_REQUEST }, { tab: { id: 1 } }), { error: 'The S/MIME engine could not be loaded. Reload.' });
  // A failure is not cached: the next display tries again.
  f.core.call = fakes().core.call;
  assert.equal((await reader.analyse(7)).status, 'valid');
});

test('the toolbar button opens the selected message in the viewer tab', async () => {
  const f = fakes();
  const reader = new tb.MessageReader(f.messenger, f.core, f.session);
  await reader.openViewer({ id: 3 });
  assert.deepEqual(f.calls, ['getSelectedMessages 3', 'create moz-extension://x/tb-message.html?message=9']);
});

test('the host of the extension pages: honest capabilities, the original bytes', async () => {
  const f = fakes();
  const host = new tb.ThunderbirdHost(f.messenger, 5);
  assert.deepEqual(host.capabilities, { localFiles: true, readMessage: true, composeMessage: false, sendMessage: false, notifications: false, dnsLookup: true, searchMail: false });
  assert.equal(new TextDecoder().decode(await host.currentMessage()).split('\r\n')[0], 'Subject: message 5');
  assert.deepEqual(f.calls, ['getRaw 5 decrypt=false']);
  assert.equal(new tb.ThunderbirdHost(f.messenger, null).capabilities.readMessage, false);
  assert.match(host.notices()[0], /export a backup/);
});

test('with the send Experiment and notifications: a mail Cachet wrote goes out from the identity of its From address; notify creates a notification', async () => {
  const f = fakes();
  const sent = [];
  const notes = [];
  const messenger = {
    ...f.messenger,
    cachetSend: { async sendRaw(id, envelope, mime) { sent.push({ id, envelope, text: new TextDecoder().decode(mime) }); } },
    identities: { async list() { return [{ id: 'id-other', email: 'other@example.net' }, { id: 'id-bob', email: 'Bob@Example.net' }]; } },
    notifications: { async create(id, o) { notes.push({ id, ...o }); return id; } },
    runtime: { ...f.messenger.runtime, getURL: (p) => `moz-extension://x/${p}` },
  };
  const host = new tb.ThunderbirdHost(messenger, null);
  assert.deepEqual(host.capabilities, { localFiles: true, readMessage: false, composeMessage: false, sendMessage: true, notifications: true, dnsLookup: true, searchMail: false });
  const mime = 'From: "Bob, DEMO" <bob@example.net>\r\nTo: carol@example.com\r\nSubject: x\r\nMessage-ID: <m1@example.net>\r\nMIME-Version: 1.0\r\n\r\nTo: not-a-header@example.org\r\n';
  await host.sendMime(new TextEncoder().encode(mime));
  assert.deepEqual(sent.map((x) => [x.id, x.envelope]), [['id-bob', { from: 'bob@example.net', to: ['carol@example.com'], cc: [], bcc: [], messageId: '<m1@example.net>', sentCopy: true }]]);
  assert.equal(sent[0].text, mime, 'the bytes go out unchanged');
  await assert.rejects(host.sendMime(new TextEncoder().encode('From: eve@example.org\r\nTo: a@example.org\r\n\r\nx')), /no identity for eve@example\.org/);
  assert.equal(await host.notify({ id: 'cachet-expiry-1', title: 'T', message: 'M' }), true);
  assert.deepEqual(notes, [{ id: 'cachet-expiry-1', type: 'basic', title: 'T', message: 'M', iconUrl: 'moz-extension://x/assets/icon-64.png' }]);
});

test('the banner names protected header fields (RFC 9788) only when they say something the header above does not', () => {
  assert.equal(tb.bannerInfo(validReport).headers, null, 'no protected fields');
  const clear = { mode: 'clear', signed: true, encrypted: false, subject: 'Figures', confidential: [], mismatches: [] };
  assert.equal(tb.bannerInfo({ ...validReport, protected_headers: clear }).headers, null, 'signed, the same outside');
  const changed = { ...clear, mismatches: [{ name: 'From', inner: 'Mallory <m@evil.example>', outer: 'Alice <alice@example.org>' }, { name: 'Subject', inner: 'Figures' }] };
  assert.equal(tb.bannerInfo({ ...validReport, protected_headers: changed }).headers,
    'Changed outside the signature: the signed From “Mallory <m@evil.example>”, Subject “Figures” differ from what the header above shows.');
  const sealed = { mode: 'cipher', signed: true, encrypted: true, subject: 'Figures', confidential: ['Subject'], mismatches: [] };
  assert.equal(tb.bannerInfo({ ...validReport, protected_headers: sealed }).headers, 'Encrypted subject: “Figures”.');
});
