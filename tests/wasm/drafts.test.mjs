// Encrypted drafts through the WebAssembly build under Node (the calls the confidential mode
// makes in the worker): draftMessage wraps the draft, the Keyring signs and encrypts it to the
// sender alone (encryptAsync, WebCrypto for AES, as the worker does), draftStored leaves only
// From, Date, the fixed Subject and the marker outside, isDraft recognises the
// stored bytes, openAsync decrypts with the sender's key, readDraft gives the fields back.
// OpenSSL decrypts the same bytes with the sender's key; the stored bytes show no field in clear.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, makePki, openssl, pemBase64 } from '../shared.mjs';

const PKG = path.join(ROOT, 'addin', 'pkg');
let core;
let dir;

before(async () => {
  core = await import(path.join(PKG, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(PKG, 'cachet_bg.wasm')) });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-wasm-drafts-'));
  await makePki(dir, { ca: { cn: 'Wasm Draft Root' }, people: [{ name: 'alice', cn: 'Alice Wasm', email: 'alice@example.org', serial: 9 }], password: 'pw' });
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a draft saved encrypted to the sender shows nothing in clear and reads back field for field', async () => {
  const ring = new core.Keyring();
  try {
    const handle = ring.unlock(fs.readFileSync(path.join(dir, 'alice.p12')), 'pw');
    const at = Math.floor(Date.now() / 1000);
    const draft = {
      from: 'alice@example.org', to: ['Bob <bob@example.net>'], bcc: ['carol@example.com'], subject: 'Grüße: Zanzibar', text: 'secret swordfish\n',
      date: 'Sat, 05 Dec 2026 22:00:00 +0000', attachments: [{ filename: 'a.bin', contentType: 'application/octet-stream', dataBase64: Buffer.from([1, 2, 3]).toString('base64') }],
    };
    const wrapper = core.draftMessage(draft);
    assert.equal(core.isDraft(wrapper), true);
    const stored = core.draftStored(await ring.encryptAsync(handle, wrapper, { recipients: [], sign: true, at }));
    const text = Buffer.from(stored).toString('latin1');
    const head = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n').filter((l) => !/^[ \t]/.test(l)).map((l) => l.split(':')[0]);
    assert.deepEqual(head.filter((n) => !n.startsWith('Content-')), ['From', 'Date', 'Subject', 'X-Cachet-Draft', 'MIME-Version']);
    assert.throws(() => core.draftStored(wrapper), (e) => e.code === 'usage', 'a draft is never stored unencrypted');
    for (const s of ['Zanzibar', 'swordfish', 'bob@example.net', 'carol@example.com', 'a.bin']) assert.ok(!text.includes(s), `${s} in clear`);
    assert.equal(core.isDraft(stored), true);
    assert.equal(core.isDraft(new TextEncoder().encode('From: a@example.org\r\nSubject: x\r\n\r\nhello\r\n')), false);

    const { report, content } = await ring.openAsync(stored, { at, trust: [pemBase64(path.join(dir, 'ca.pem'))] });
    assert.equal(report.status, 'valid');
    const back = core.readDraft(content);
    assert.equal(back.subject, 'Grüße: Zanzibar');
    assert.deepEqual(back.to, ['Bob <bob@example.net>']);
    assert.deepEqual(back.bcc, ['carol@example.com']);
    assert.equal(back.text, 'secret swordfish\n');
    assert.deepEqual([...Buffer.from(back.attachments[0].dataBase64, 'base64')], [1, 2, 3]);
    assert.throws(() => core.readDraft(new TextEncoder().encode('Content-Type: text/plain\r\n\r\nhi')), (e) => e.code === 'malformed');

    const file = path.join(dir, 'draft.eml');
    fs.writeFileSync(file, stored);
    const key = path.join(dir, 'alice-all.pem');
    openssl(['pkcs12', '-in', path.join(dir, 'alice.p12'), '-passin', 'pass:pw', '-nodes', '-out', key]);
    assert.match(openssl(['cms', '-decrypt', '-in', file, '-recip', key, '-inkey', key]), /X-Cachet-Draft: encrypted; v=1/);
  } finally {
    ring.free();
  }
});
