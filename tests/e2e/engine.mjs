// End to end (issue 12, item 1): a trap or a hang of the core ends its worker. The page runs
// with test hooks (`__cachetTestHooks`, set by the test's init script before the page loads):
// `debugTrap` throws in the worker as a Wasm trap does, `debugHang` never settles. After
// either, the next call runs on a fresh worker instance, the unlocked identity is gone from it
// (its handle is unknown there), the UI says the engine was restarted and shows the
// identities locked, and decrypted content is taken off the screen.
// Run by mail.test.mjs in its process and chromium (one browser start for the standalone
// worlds); alone: node --test tests/e2e/engine.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openssl } from '../shared.mjs';
import { PASSPHRASE, createWorld } from './world.mjs';

let w;
let bobPem;

before(async () => {
  w = await createWorld('engine');
  await w.person('bob', 'bob@example.net', { testHooks: true });
  bobPem = path.join(w.tmp, 'bob.pem');
  openssl(['pkcs12', '-in', w.id('bob@example.net').p12, '-passin', `pass:${w.id('bob@example.net').password}`, '-nokeys', '-clcerts', '-out', bobPem]);
});

after(async () => {
  await w?.close();
});

/** Call the core through the page's client; resolves to { ok, value } or { ok: false, code }. */
function core(p, method, params = {}) {
  return p.page.evaluate(([m, ps]) => globalThis.__cachetCore.call(m, ps).then(
    (value) => ({ ok: true, value: typeof value === 'object' && value !== null ? 'object' : value }),
    (e) => ({ ok: false, code: e.code, message: e.message, hint: e.hint }),
  ), [method, params]);
}

/** An encrypted message to Bob, made by openssl. */
function encryptedToBob(subject, text) {
  const body = path.join(w.tmp, `${subject}.txt`);
  fs.writeFileSync(body, `Content-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n`);
  return openssl(['smime', '-encrypt', '-aes256', '-from', 'alice@example.org', '-to', 'bob@example.net', '-subject', subject, '-in', body, bobPem]);
}

test('without test hooks the page exposes no client and no test method', async () => {
  const other = await w.person('plain', 'bob@example.net');
  assert.equal(await other.page.evaluate(() => typeof globalThis.__cachetCore), 'undefined');
  await other.context.close();
  delete w.people.plain;
});

test('a trap ends the worker: the next call runs on a fresh instance without the unlocked key, and the UI says so', async () => {
  const b = w.people.bob;
  await w.importP12(b, w.id('bob@example.net').p12, w.id('bob@example.net').password);
  await b.page.locator('[data-lock="unlocked"]').waitFor();
  const first = await core(b, 'debugInstance');
  assert.equal(first.ok, true);
  // The import unlocked the identity as handle 1 of this worker's keyring.
  assert.deepEqual(await core(b, 'certificates', { handle: 1 }), { ok: true, value: 'object' });

  // Decrypted content is on screen.
  w.deliver('bob@example.net', 'inbox', encryptedToBob('Before the trap', 'secret before the trap'));
  await w.open(b, 'inbox', 'Before the trap');
  assert.match(await b.page.locator('iframe.content-frame').contentFrame().locator('body').textContent(), /secret before the trap/);

  const trapped = await core(b, 'debugTrap');
  assert.equal(trapped.ok, false);
  assert.equal(trapped.code, 'core-crashed');
  assert.match(trapped.message, /restarted/);
  assert.match(trapped.hint, /unlock them again/i);

  // The decrypted message is gone from the screen, and the session is locked.
  await b.page.locator('[data-field="locked-cleared"]').waitFor();
  assert.equal(await b.page.locator('iframe.content-frame').count(), 0);
  await w.tab(b, 'Certificates');
  await b.page.locator('[data-field="engine-restarted"]').waitFor();
  await b.page.locator('[data-lock="locked"]').waitFor();
  await w.screenshot(b, 'after-trap');

  // A fresh worker answers, and the key unlocked in the old one is not in it.
  const second = await core(b, 'debugInstance');
  assert.equal(second.ok, true);
  assert.notEqual(second.value, first.value, 'a new worker instance');
  assert.equal((await core(b, 'version')).ok, true);
  const gone = await core(b, 'certificates', { handle: 1 });
  assert.equal(gone.ok, false, 'handle 1 of the crashed worker is unknown in the fresh one');

  // Unlocking again works on the fresh worker and opens the message again.
  await b.page.getByLabel('Passphrase to unlock your certificates').fill(PASSPHRASE);
  await b.page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await b.page.locator('[data-lock="unlocked"]').waitFor();
  await w.open(b, 'inbox', 'Before the trap');
  assert.match(await b.page.locator('iframe.content-frame').contentFrame().locator('body').textContent(), /secret before the trap/);
});

test('a call past its time budget ends the worker the same way; calls queued behind it fail too, the next one works', async () => {
  const b = w.people.bob;
  await b.page.locator('iframe.content-frame').waitFor();
  const first = await core(b, 'debugInstance');
  const started = Date.now();
  const [hung, queued] = await b.page.evaluate(() => Promise.all([
    globalThis.__cachetCore.call('debugHang', { budgetMs: 1500 }).then(() => 'settled', (e) => e.code),
    // Queued behind the hung call, against the old instance: failed with it, never run on the fresh one.
    globalThis.__cachetCore.call('certificates', { handle: 1 }).then(() => 'ran', (e) => e.code),
  ]));
  const took = Date.now() - started;
  assert.equal(hung, 'core-timeout');
  assert.equal(queued, 'core-timeout');
  assert.ok(took >= 1400 && took < 15_000, `ended after its budget (${took} ms)`);
  await b.page.locator('[data-field="locked-cleared"]').waitFor();
  await w.tab(b, 'Certificates');
  await b.page.locator('[data-field="engine-restarted"]').waitFor();
  await b.page.locator('[data-lock="locked"]').waitFor();
  const second = await core(b, 'debugInstance');
  assert.equal(second.ok, true);
  assert.notEqual(second.value, first.value, 'a new worker instance');
  assert.equal((await core(b, 'certificates', { handle: 1 })).ok, false, 'the unlocked key is gone');
  assert.equal((await core(b, 'version')).ok, true);
  await w.screenshot(b, 'after-hang');
});

test('no request left the machine, no CSP violation, no console errors', async () => {
  assert.deepEqual(w.blocked, []);
  for (const p of Object.values(w.people)) {
    assert.deepEqual(await p.page.evaluate(() => window.__cspViolations), [], `${p.name}: CSP violations`);
    assert.deepEqual(p.errors, [], `${p.name}: console errors`);
  }
});
