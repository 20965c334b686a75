// The Wasm boundary under Node: options go in and reports come out as plain JavaScript
// values (serde-wasm-bindgen), errors are thrown as `{code, message, hint, detail?}`
// objects, and the time of every call that needs one (`at`, seconds since 1970) must be
// present and valid: missing, zero, negative, not finite or past 9999 is a usage error with
// a sentence and a hint, never a silent 1970 (which made every certificate "not yet valid").
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, after, test } from 'node:test';
import { ROOT, makePki, pemBase64 } from '../shared.mjs';

const PKG = path.join(ROOT, 'addin', 'pkg');
let core;
let dir;
const f = (n) => path.join(dir, n);
const now = () => Math.floor(Date.now() / 1000);
const MESSAGE = new TextEncoder().encode('From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: at\r\n\r\nHello.\r\n');
/** Seconds since 1970 that are not a usable time of a check. */
const BAD_TIMES = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 253402300800, 1e15];

before(async () => {
  core = await import(path.join(PKG, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(PKG, 'cachet_bg.wasm')) });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-wasm-boundary-'));
  await makePki(dir, { ca: { cn: 'Boundary Test Root' }, people: [{ name: 'alice', cn: 'alice', email: 'alice@example.org', serial: 7 }], password: 'pw' });
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The error `fn` throws (synchronously, or as the rejection of the Promise it returns). */
async function thrown(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return assert.fail('the call was accepted');
}

/** A usage error about the time: a plain object with a sentence and a hint. */
function assertTimeError(e, what) {
  assert.ok(e && typeof e === 'object' && !(e instanceof Error), `${what}: the core throws a plain object, not ${String(e)}`);
  assert.equal(e.code, 'usage', `${what}: ${JSON.stringify(e)}`);
  assert.match(e.message, /^The time of the check is (missing|not a valid time)\.$/, what);
  assert.match(e.hint, /Date\.now\(\) \/ 1000/, what);
}

test('openMessage, openMessageAsync and Keyring.open refuse a missing or invalid time', async () => {
  const ring = new core.Keyring();
  try {
    const calls = {
      openMessage: (o) => core.openMessage(MESSAGE, o),
      openMessageAsync: (o) => core.openMessageAsync(MESSAGE, o),
      'Keyring.open': (o) => ring.open(MESSAGE, o),
      'Keyring.openAsync': (o) => ring.openAsync(MESSAGE, o),
    };
    for (const [name, call] of Object.entries(calls)) {
      assertTimeError(await thrown(() => call(undefined)), `${name} without options`);
      assertTimeError(await thrown(() => call({})), `${name} without at`);
      assertTimeError(await thrown(() => call({ at: null })), `${name} with at null`);
      for (const at of BAD_TIMES) assertTimeError(await thrown(() => call({ at })), `${name} at ${at}`);
      // A time of the wrong type is a usage error too (from the options' decoding).
      const typed = await thrown(() => call({ at: '2026-01-01' }));
      assert.equal(typed.code, 'usage', `${name} with a string time`);
      assert.match(typed.message, /^Bad options for opening a message\.$/);
      // A valid time opens the message: a plain report object, the content as bytes.
      const opened = await call({ at: now() });
      assert.equal(opened.report.status, 'unsigned', name);
      assert.ok(Array.isArray(opened.report.layers) && opened.report.layers.length === 0, name);
      assert.ok(opened.content === undefined || opened.content instanceof Uint8Array, name);
    }
  } finally {
    ring.free();
  }
});

test('signing, encryption, recipient status, identities and the request mail refuse an invalid time', async () => {
  const ring = new core.Keyring();
  try {
    const handle = ring.unlock(fs.readFileSync(f('alice.p12')), 'pw');
    const alice = pemBase64(f('alice.pem'));
    for (const at of [undefined, ...BAD_TIMES]) {
      assertTimeError(await thrown(() => ring.sign(handle, MESSAGE, false, at)), `sign at ${at}`);
      assertTimeError(await thrown(() => ring.signAsync(handle, MESSAGE, false, at)), `signAsync at ${at}`);
      const enc = at === undefined ? { recipients: [alice] } : { recipients: [alice], at };
      assertTimeError(await thrown(() => ring.encrypt(handle, MESSAGE, enc)), `encrypt at ${at}`);
      assertTimeError(await thrown(() => ring.encryptAsync(handle, MESSAGE, enc)), `encryptAsync at ${at}`);
      assertTimeError(await thrown(() => core.describeIdentities([], at)), `describeIdentities at ${at}`);
      assertTimeError(await thrown(() => core.bestCertificate([alice], 'alice@example.org', at)), `bestCertificate at ${at}`);
      if (at !== undefined && Number.isFinite(at) && at >= 0) {
        // These take the time in their options (seconds, or RFC 3339 text).
        assertTimeError(await thrown(() => core.recipientStatus({ recipients: ['alice@example.org'], at })), `recipientStatus at ${at}`);
        assertTimeError(await thrown(() => ring.request(handle, { to: 'bob@example.net', at })), `request at ${at}`);
      }
    }
    const missing = await thrown(() => core.recipientStatus({ recipients: ['alice@example.org'] }));
    assert.equal(missing.code, 'usage');
    assert.match(missing.message, /^Bad recipient options\.$/);
    assert.match(missing.detail, /at/);
    // The same calls with a valid time work, and their results are plain values.
    assert.ok(ring.sign(handle, MESSAGE, false, now()) instanceof Uint8Array);
    assert.ok((await ring.encryptAsync(handle, MESSAGE, { recipients: [alice], at: now() })) instanceof Uint8Array);
    const [status] = core.recipientStatus({ recipients: ['alice@example.org'], contacts: [{ address: 'alice@example.org', certificates: [alice] }], trust: [pemBase64(f('ca.pem'))], at: now() });
    assert.equal(status.status, 'ready', JSON.stringify(status));
    assert.equal(typeof status.index, 'number');
    const choice = core.bestCertificate([alice], 'alice@example.org', now());
    assert.equal(choice.index, 0);
    assert.equal(choice.facts.emails[0], 'alice@example.org');
    assert.ok(ring.request(handle, { to: 'bob@example.net', at: now() }) instanceof Uint8Array);
    // The request's texts are bounded (request::MAX_REQUEST_TEXT, 1 MiB), now that no JSON text length is checked.
    const long = await thrown(() => ring.request(handle, { to: 'bob@example.net', at: now(), text: 'x'.repeat(1024 * 1024 + 1) }));
    assert.equal(long.code, 'limit-exceeded', JSON.stringify(long));
  } finally {
    ring.free();
  }
});

test('reports are plain objects with the generated types\' shapes; errors are {code, message, hint, detail?}', () => {
  const [facts] = core.certSummary(fs.readFileSync(f('alice.pem')));
  assert.equal(Object.getPrototypeOf(facts), Object.prototype);
  assert.equal(typeof facts.not_after, 'string', 'times are RFC 3339 text');
  assert.equal(typeof facts.key.bits, 'number', 'integers are numbers, not BigInt');
  assert.equal(facts.common_name, 'alice');
  const view = core.viewMessage(MESSAGE);
  assert.equal(typeof view.parts[0].size, 'number');
  assert.equal(view.headers.subject, 'at');
  const e = (() => {
    try {
      core.certSummary(new Uint8Array([1, 2, 3]));
    } catch (err) {
      return err;
    }
    return assert.fail('accepted garbage');
  })();
  assert.deepEqual(Object.keys(e).filter((k) => k !== 'detail'), ['code', 'message', 'hint']);
  const bad = (() => {
    try {
      core.composeMessage({ from: 'a@example.org', to: 42 });
    } catch (err) {
      return err;
    }
    return assert.fail('accepted a draft of the wrong shape');
  })();
  assert.equal(bad.code, 'usage');
  assert.equal(bad.message, 'Bad draft fields.');
  // A property set to undefined is absent (as JSON.stringify treated it), not a wrong type;
  // the caller's object is not changed.
  const draft = { from: 'a@example.org', to: ['c@example.org'], subject: 's', text: 't', date: 'Mon, 30 Nov 2026 10:00:00 +0000', messageId: undefined, html: undefined, attachments: [{ filename: 'a.txt', contentType: 'text/plain', dataBase64: 'eA==', contentId: undefined }] };
  assert.match(new TextDecoder().decode(core.composeMessage(draft)), /a\.txt/);
  assert.ok(Object.hasOwn(draft, 'html') && Object.hasOwn(draft.attachments[0], 'contentId'));
  assert.equal(core.openMessage(MESSAGE, { at: now(), trust: undefined, pins: undefined }).report.status, 'unsigned');
  assert.deepEqual(core.recipientStatus({ recipients: ['a@example.org'], contacts: undefined, at: now() }).map((r) => r.status), ['missing']);
});

test('viewHeaders gives viewMessage\'s header fields from the header section alone, or its error', () => {
  const enc = (s) => new TextEncoder().encode(s);
  const thrown = (fn) => {
    try {
      return { value: fn() };
    } catch (err) {
      return { error: err };
    }
  };
  const big = 'x'.repeat(76) + '\r\n';
  const messages = {
    small: MESSAGE,
    'LF line ends, folded and encoded fields': enc('From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\nTo: bob@example.net,\n carol@example.net\nSubject: Hi\nDate: Mon, 7 Dec 2026 10:00:00 +0000\nMessage-ID: <m@example.org>\n\nHello.\n'),
    // A body far past the first bytes read: only those are copied and parsed.
    '2 MB body': enc(`From: a@example.org\r\nSubject: large\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n${big.repeat(27000)}--b--\r\n`),
    'no header section': enc(`not a field\r\n${big.repeat(10000)}`),
    // A header section longer than any the core reads: the same refusal.
    'header section too large': enc(`From: a@example.org\r\n${'X-Filler: yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n'.repeat(6000)}\r\nbody\r\n`),
    // Its last line reaches past the first bytes read and is a field only by what follows.
    'a long last line': enc(`From: a@example.org\r\nSubject: s\r\n${'z'.repeat(400000)}: value\r\n\r\nbody\r\n`),
  };
  for (const [name, m] of Object.entries(messages)) {
    const want = thrown(() => core.viewMessage(m));
    const got = thrown(() => core.viewHeaders(m));
    if (want.error) assert.deepEqual(got.error, want.error, name);
    else assert.deepEqual(got.value, want.value.headers, name);
  }
  assert.equal(core.viewHeaders(messages['2 MB body']).subject, 'large');
  assert.ok(thrown(() => core.viewMessage(messages['header section too large'])).error, 'refused');
});
