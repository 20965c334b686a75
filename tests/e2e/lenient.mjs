// End to end (issue 17): what Cachet repaired to read a message is listed in the read pane's
// details, and a password-encrypted message (RFC 3211) asks for its password, rate-limited
// like the passphrase. The messages are the project's own vectors (tests/vectors/lenient),
// made by openssl. Screenshots go to test-results/lenient-*.jpg.
// Run by mail.test.mjs in its process and chromium (one browser start for the standalone
// worlds); alone: node --test tests/e2e/lenient.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { createWorld } from './world.mjs';

const VECTORS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'vectors');
/** The data of a vector file (after its header). */
function vector(rel) {
  const bytes = fs.readFileSync(path.join(VECTORS, rel));
  return bytes.subarray(bytes.indexOf('\n\n') + 2);
}
const MESSAGE_PASSWORD = 'correct horse battery staple';

let w;

/** Type a password into the prompt and submit it; waits until the pane showed the result. */
async function submitPassword(b, password) {
  await b.page.locator('[data-field="password-prompt"]').evaluate((f) => f.setAttribute('data-old', ''));
  await b.page.getByLabel(/Password:/).fill(password);
  await b.page.getByRole('button', { name: 'Open', exact: true }).click();
  // The pane renders again: a fresh prompt (still needs-password) or none (opened).
  await b.page.locator('[data-field="password-prompt"][data-old]').waitFor({ state: 'detached' });
  return w.opened(b);
}

before(async () => {
  w = await createWorld('lenient');
  await w.person('bob', 'bob@example.net');
  w.deliver('bob@example.net', 'inbox', vector('lenient/signature-binary.vec'));
  w.deliver('bob@example.net', 'inbox', vector('lenient/password-aes256-cbc.vec'));
});

after(async () => {
  await w?.close();
});

test('a binary signature part is read, and the details say what was repaired', async () => {
  const b = w.people.bob;
  // The vectors' root is not trusted here: the signature is intact, the issuer unknown.
  assert.equal(await w.open(b, 'inbox', 'as2-binary'), 'valid-unknown-ca');
  await b.page.locator('#status-banner summary').click();
  const repair = b.page.locator('[data-field="repairs"] [data-repair="signature-binary"]');
  await repair.waitFor();
  assert.match(await repair.textContent(), /Signature part was binary/);
  await w.screenshot(b, 'repairs');
});

test('a password-encrypted message asks for the password; a wrong one is said, the right one opens it', async () => {
  const b = w.people.bob;
  assert.equal(await w.open(b, 'inbox', 'password-aes256-cbc'), 'needs-password');
  const prompt = b.page.locator('[data-field="password-prompt"]');
  await prompt.waitFor();
  assert.match(await b.page.locator('#status-banner').textContent(), /Encrypted with a password/);
  await w.screenshot(b, 'password-prompt');
  assert.equal(await submitPassword(b, 'not the password'), 'needs-password');
  assert.match(await b.page.locator('[data-field="password-note"]').textContent(), /does not open/);
  assert.equal(await submitPassword(b, MESSAGE_PASSWORD), 'unsigned');
  const frame = b.page.locator('iframe.content-frame').first().contentFrame();
  assert.match(await frame.locator('body').textContent(), /quarterly figures/);
});

test('wrong message passwords are rate-limited like the passphrase', async () => {
  const b = w.people.bob;
  assert.equal(await w.open(b, 'inbox', 'password-aes256-cbc'), 'needs-password');
  // Three wrong passwords (the passphrase's FREE_ATTEMPTS); the next try is refused with the wait.
  for (let i = 0; i < 3; i++) assert.equal(await submitPassword(b, `wrong ${i}`), 'needs-password');
  await b.page.getByLabel(/Password:/).fill(MESSAGE_PASSWORD);
  await b.page.getByRole('button', { name: 'Open', exact: true }).click();
  await b.page.locator('[data-field="password-note"]', { hasText: /Too many wrong passwords\. Try again in/ }).waitFor();
  await w.screenshot(b, 'password-rate-limited');
});

test('no request left the machine and the page logged no errors', () => {
  assert.deepEqual(w.blocked, [], `blocked non-loopback requests: ${w.blocked.join(', ')}`);
  for (const p of Object.values(w.people)) assert.deepEqual(p.errors, [], `${p.name}: console errors`);
});
