// End to end (issue 12, the shell's security review): on the standalone page, with the
// messages made by openssl as the peer.
//  - the built pages carry their own CSP and work under it (no violation anywhere below);
//  - importing a .p12 asks for the device passphrase separately (reusing the file's password
//    is an explicit tick);
//  - exporting a backup asks for the passphrase again, even while unlocked;
//  - only a `valid` signer marks parts green; a good signature for another address is not;
//  - locking (by hand, after the idle timeout) takes decrypted content off the screen;
//  - attachments are saved as application/octet-stream under a cleaned name;
//  - replies and forwards of encrypted mail are encrypted by default, and going without asks first.
// Run by mail.test.mjs in its process and chromium (one browser start for the standalone
// worlds); alone: node --test tests/e2e/review.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openssl } from '../shared.mjs';
import { DIST } from '../../scripts/serve.mjs';
import { metaCsp } from '../../scripts/csp.mjs';
import { PASSPHRASE, createWorld, qp, storedBackups } from './world.mjs';

let w;
const pem = {};

before(async () => {
  w = await createWorld('review');
  for (const who of ['alice@example.org', 'bob@example.net']) {
    const id = w.id(who);
    pem[who] = { cert: path.join(w.tmp, `${who}.pem`), all: path.join(w.tmp, `${who}-all.pem`) };
    openssl(['pkcs12', '-in', id.p12, '-passin', `pass:${id.password}`, '-nokeys', '-clcerts', '-out', pem[who].cert]);
    openssl(['pkcs12', '-in', id.p12, '-passin', `pass:${id.password}`, '-nodes', '-out', pem[who].all]);
  }
  await w.person('bob', 'bob@example.net');
});

after(async () => {
  await w?.close();
});

/** A MIME entity file in the temp dir. */
function entity(name, text) {
  const f = path.join(w.tmp, name);
  fs.writeFileSync(f, text);
  return f;
}

/** Signed by Alice (openssl), with the headers given. */
function signedByAlice({ from, subject, text }) {
  const body = entity(`${subject}.txt`, `Content-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n`);
  return openssl(['smime', '-sign', '-signer', pem['alice@example.org'].all, '-from', from, '-to', 'bob@example.net', '-subject', subject, '-in', body]);
}

/** Encrypted to Bob (openssl), its content signed by Alice. */
function encryptedToBob(subject, text) {
  const body = entity(`${subject}.txt`, `Content-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n`);
  const signed = path.join(w.tmp, `${subject}.signed`);
  fs.writeFileSync(signed, openssl(['smime', '-sign', '-signer', pem['alice@example.org'].all, '-in', body]));
  return openssl(['smime', '-encrypt', '-aes256', '-from', 'alice@example.org', '-to', 'bob@example.net', '-subject', subject, '-in', signed, pem['bob@example.net'].cert]);
}

test('the built pages carry their CSP as a meta tag, before any script', () => {
  for (const page of ['index.html', 'taskpane.html', 'commands.html', 'dialog.html']) {
    const html = fs.readFileSync(path.join(DIST, page), 'utf8');
    const m = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
    assert.ok(m, `${page} has a meta CSP`);
    const policy = m[1].replace(/&#39;/g, "'");
    assert.equal(policy, metaCsp(`/${page}`));
    for (const d of ["script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'", "frame-src 'none'", "form-action 'none'"]) {
      assert.ok(policy.includes(d), `${page}: ${d}`);
    }
    assert.doesNotMatch(policy, /frame-ancestors/, 'frame-ancestors is ignored in a meta tag: it belongs to the header');
    assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<script'), `${page}: the policy comes before the first script`);
  }
});

test('import: the device passphrase is asked separately; reusing the file password is an explicit choice', async () => {
  const b = w.people.bob;
  const id = w.id('bob@example.net');
  await w.tab(b, 'Certificates');
  await b.page.getByLabel('Certificate file with private key').setInputFiles(id.p12);
  await b.page.getByLabel('File password').fill(id.password);
  assert.equal(await b.page.getByLabel('Reuse the .p12 password as this device’s passphrase').isChecked(), false, 'off by default');
  await b.page.getByRole('button', { name: 'Import', exact: true }).click();
  await b.page.locator('[data-code="no-passphrase"]').waitFor();
  assert.equal(await b.page.locator('[data-identity]').count(), 0, 'nothing imported without a device passphrase');
  await w.screenshot(b, 'import-needs-passphrase');
  await b.page.getByLabel('Passphrase for this device (at least 8 characters)').fill(PASSPHRASE);
  await b.page.getByRole('button', { name: 'Import', exact: true }).click();
  await b.page.locator('[data-field="imported"]').waitFor();
  await w.trustDemoCa(b);

  // Someone else ticks "reuse": the stored backup then opens with the file's password (openssl).
  const e = await w.person('erin', 'bob@example.net');
  await w.tab(e, 'Certificates');
  await e.page.getByLabel('Certificate file with private key').setInputFiles(id.p12);
  await e.page.getByLabel('File password').fill(id.password);
  await e.page.getByLabel('Reuse the .p12 password as this device’s passphrase').check();
  assert.equal(await e.page.getByLabel('Passphrase for this device (at least 8 characters)').isVisible(), false);
  await e.page.getByRole('button', { name: 'Import', exact: true }).click();
  await e.page.locator('[data-field="imported"]').waitFor();
  const stored = await storedBackups(e.page);
  const file = path.join(w.tmp, 'erin-stored.p12');
  fs.writeFileSync(file, Buffer.from(stored[0]));
  assert.match(openssl(['pkcs12', '-in', file, '-passin', `pass:${id.password}`, '-nokeys', '-clcerts']), /bob@example.net/);
});

test('backup export asks for the passphrase again while unlocked; a wrong one gives no file', async () => {
  const b = w.people.bob;
  await w.tab(b, 'Certificates');
  await b.page.locator('[data-lock="unlocked"]').waitFor();
  let downloads = 0;
  b.page.on('download', () => downloads++);
  await b.page.getByLabel('Password for the backup file (at least 8 characters)').fill('backup-password');
  await b.page.getByRole('button', { name: 'Export backup' }).click();
  const alert = b.page.locator('.panel-message [role="alert"]');
  await alert.waitFor();
  assert.equal(await alert.getAttribute('data-code'), 'wrong-password', 'an empty passphrase is refused');
  await b.page.getByLabel('Your passphrase (asked again for every backup)').fill('not the passphrase');
  await b.page.getByLabel('Password for the backup file (at least 8 characters)').fill('backup-password');
  await b.page.getByRole('button', { name: 'Export backup' }).click();
  await b.page.locator('.panel-message [role="alert"][data-code="wrong-password"]').waitFor();
  await w.screenshot(b, 'backup-wrong-passphrase');
  assert.equal(downloads, 0, 'no backup without the passphrase');

  await b.page.getByLabel('Your passphrase (asked again for every backup)').fill(PASSPHRASE);
  await b.page.getByLabel('Password for the backup file (at least 8 characters)').fill('backup-password');
  const [download] = await Promise.all([b.page.waitForEvent('download'), b.page.getByRole('button', { name: 'Export backup' }).click()]);
  const file = path.join(w.tmp, 'bob-backup.p12');
  await download.saveAs(file);
  assert.match(openssl(['pkcs12', '-in', file, '-passin', 'pass:backup-password', '-nokeys', '-clcerts']), /bob@example.net/);
  // The good passphrase reset the wrong-passphrase counter; the session is still unlocked.
  await b.page.locator('[data-lock="unlocked"]').waitFor();
});

test('a good signature for another address is not labelled as a green signed part; a valid one is', async () => {
  const b = w.people.bob;
  w.deliver('bob@example.net', 'inbox', signedByAlice({ from: 'mallory@example.org', subject: 'Mismatched sender', text: 'Pay Mallory.' }));
  assert.equal(await w.open(b, 'inbox', 'Mismatched sender'), 'address-mismatch');
  assert.equal(await b.page.locator('.part.signed').count(), 0, 'nothing green');
  const part = b.page.locator('.part[data-coverage="unverified"]');
  assert.equal(await part.count(), 1);
  assert.doesNotMatch(await part.locator('.part-label').textContent(), /^Signed part$/);
  await w.screenshot(b, 'label-mismatch');

  w.deliver('bob@example.net', 'inbox', signedByAlice({ from: 'alice@example.org', subject: 'Matching sender', text: 'Hello Bob.' }));
  assert.equal(await w.open(b, 'inbox', 'Matching sender'), 'valid');
  assert.equal(await b.page.locator('.part.signed[data-coverage="valid"] .part-label').textContent(), 'Signed part');
});

test('a message signed only in part shows all of its parts, the signed one marked; a signed one its header fields', async () => {
  const b = w.people.bob;
  // Alice's signed part, wrapped by a server in multipart/mixed with a disclaimer after it.
  const body = entity('Partly signed.txt', 'Content-Type: text/plain; charset=utf-8\r\n\r\nSigned words.\r\n');
  const signed = openssl(['smime', '-sign', '-signer', pem['alice@example.org'].all, '-in', body]).toString('latin1');
  const wrapped = [
    'From: alice@example.org', 'To: bob@example.net', 'Subject: Partly signed', 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="wrap-b"', '', '--wrap-b', signed.replace(/\r?\n$/, ''), '--wrap-b',
    'Content-Type: text/plain; charset=utf-8', '', 'Sent from the Example Corp. mail server.', '', '<b>Not bold</b> &amp; <script>x()</script>', '--wrap-b--', '',
  ].join('\r\n');
  w.deliver('bob@example.net', 'inbox', Buffer.from(wrapped, 'latin1'));
  assert.equal(await w.open(b, 'inbox', 'Partly signed'), 'partially-signed');
  // Every part of the message itself: the signed one marked as signed, the appended one not.
  const parts = await b.page.locator('.part').evaluateAll((ps) => ps.map((p) => [p.getAttribute('data-part'), p.getAttribute('data-coverage')]));
  assert.equal(parts.length, 2, JSON.stringify(parts));
  assert.deepEqual(parts[1], ['2', 'none']);
  assert.equal(parts[0][0], '1.1');
  assert.notEqual(parts[0][1], 'none');
  // Plain text is shown as text, markup and all, line by line.
  const appended = b.page.locator('.part[data-part="2"] iframe.content-frame').contentFrame().locator('body');
  assert.deepEqual(await appended.locator('div').allTextContents(), ['Sent from the Example Corp. mail server.', '', '<b>Not bold</b> &amp; <script>x()</script>']);
  assert.equal(await appended.locator('b, script').count(), 0);
  // Clear-signed as a whole: its content shown, and the header fields of the message itself.
  w.deliver('bob@example.net', 'inbox', signedByAlice({ from: 'alice@example.org', subject: 'Signed whole', text: 'All of it.' }));
  assert.match(await w.open(b, 'inbox', 'Signed whole'), /^valid/);
  assert.match(await b.page.locator('#read-body .headers').textContent(), /Signed whole/);
  assert.match(await b.page.locator('#read-body .headers').textContent(), /alice@example\.org/);
});

test('locking takes decrypted content off the screen (by hand and after the idle timeout)', async () => {
  const b = w.people.bob;
  w.deliver('bob@example.net', 'inbox', encryptedToBob('Secret plan', 'the secret plan'));
  assert.equal(await w.open(b, 'inbox', 'Secret plan'), 'valid');
  assert.match(await b.page.locator('iframe.content-frame').contentFrame().locator('body').textContent(), /the secret plan/);
  await w.tab(b, 'Certificates');
  await b.page.getByRole('button', { name: 'Lock now' }).click();
  await w.tab(b, 'Mail');
  await b.page.locator('[data-field="locked-cleared"]').waitFor();
  assert.equal(await b.page.locator('iframe.content-frame').count(), 0);
  assert.doesNotMatch(await b.page.locator('#read-body').textContent(), /secret plan/);
  await w.screenshot(b, 'locked-cleared');

  // The idle timeout: 0.1 minutes without activity.
  await w.tab(b, 'Certificates');
  await b.page.getByLabel('Lock my certificates after this many minutes without activity').fill('0.1');
  await b.page.getByRole('button', { name: 'Save', exact: true }).click();
  await b.page.locator('[data-field="idle-saved"]').waitFor();
  await b.page.getByLabel('Passphrase to unlock your certificates').fill(PASSPHRASE);
  await b.page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await b.page.locator('[data-lock="unlocked"]').waitFor();
  assert.equal(await w.open(b, 'inbox', 'Secret plan'), 'valid');
  await b.page.locator('[data-field="locked-cleared"]').waitFor({ timeout: 30_000 });
  assert.equal(await b.page.locator('iframe.content-frame').count(), 0);
  // Back to a long timeout for the rest.
  await w.tab(b, 'Certificates');
  await b.page.getByLabel('Lock my certificates after this many minutes without activity').fill('60');
  await b.page.getByRole('button', { name: 'Save', exact: true }).click();
  await b.page.getByLabel('Passphrase to unlock your certificates').fill(PASSPHRASE);
  await b.page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await b.page.locator('[data-lock="unlocked"]').waitFor();
});

test('an attachment is saved as application/octet-stream under a cleaned name', async () => {
  const b = w.people.bob;
  // An HTML attachment whose name uses a right-to-left override and a leading dot to look like a PDF.
  const name = `..\u202Efdp.html`;
  const mime = [
    'From: alice@example.org', 'To: bob@example.net', 'Subject: Invoice attached', 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/plain', '', 'See the invoice.', '--b1',
    `Content-Type: text/html; name="${name}"`, `Content-Disposition: attachment; filename="${name}"`, 'Content-Transfer-Encoding: base64', '',
    Buffer.from('<script>alert(document.domain)</script>').toString('base64'), '--b1--', '',
  ].join('\r\n');
  w.deliver('bob@example.net', 'inbox', Buffer.from(mime, 'utf8'));
  await w.open(b, 'inbox', 'Invoice attached');
  await b.page.evaluate(() => {
    window.__blobTypes = [];
    const orig = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (blob) => {
      window.__blobTypes.push(blob.type);
      return orig(blob);
    };
  });
  const save = b.page.locator('[data-save]');
  assert.doesNotMatch(await save.textContent(), /[\u202A-\u202E\u2066-\u2069]/, 'the button shows no bidi override');
  const [download] = await Promise.all([b.page.waitForEvent('download'), save.click()]);
  const suggested = download.suggestedFilename();
  assert.doesNotMatch(suggested, /[\u202A-\u202E\u2066-\u2069\u0000-\u001f/\\]/, `no override, control or separator in ${JSON.stringify(suggested)}`);
  assert.doesNotMatch(suggested, /^\./, 'no leading dot');
  assert.equal(suggested, 'fdp.html');
  assert.deepEqual(await b.page.evaluate(() => window.__blobTypes), ['application/octet-stream']);
  const saved = path.join(w.tmp, 'saved-attachment');
  await download.saveAs(saved);
  assert.equal(fs.readFileSync(saved, 'utf8'), '<script>alert(document.domain)</script>');
});

test('a reply to encrypted mail is encrypted by default; turning Encrypt off asks first (kept on when the user says so)', async () => {
  const b = w.people.bob;
  await w.storeContact(b, pem['alice@example.org'].cert);
  w.deliver('bob@example.net', 'inbox', encryptedToBob('Quarterly numbers', 'the quarterly numbers are secret'));
  assert.equal(await w.open(b, 'inbox', 'Quarterly numbers'), 'valid');
  await b.page.getByRole('button', { name: 'Reply', exact: true }).click();
  const encrypt = b.page.getByLabel('Encrypt');
  assert.equal(await encrypt.isChecked(), true, 'Encrypt is on for a reply to encrypted mail');
  assert.match(await b.page.getByLabel('Message text').inputValue(), /> the quarterly numbers are secret/);
  await b.page.locator('[data-recipient="alice@example.org"][data-status="ready"]').waitFor();

  // The EFAIL reply trick: Encrypt off. The pane asks instead, and Encrypt stays on.
  await encrypt.click();
  const ask = b.page.locator('[data-field="reply-confirm"]');
  await ask.waitFor();
  assert.equal(await encrypt.isChecked(), true, 'still on until the user answers');
  await w.screenshot(b, 'reply-confirm');
  await ask.getByRole('button', { name: 'Keep it encrypted' }).click();
  assert.equal(await encrypt.isChecked(), true);
  await w.send(b, { text: `Thanks.\n${await b.page.getByLabel('Message text').inputValue()}` });
  await b.page.locator('[data-field="sent"]', { hasText: 'encrypted' }).waitFor();
  // Encrypted by Cachet: the Subject outside is the placeholder of header protection (RFC 9788).
  const onDisk = w.newestWith('alice@example.org', 'inbox', 'Subject: [...]');
  const raw = fs.readFileSync(onDisk, 'latin1');
  assert.ok(!raw.includes('quarterly numbers are secret'), 'the quoted text is not readable on the way');
  const key = path.join(w.tmp, 'alice-key.pem');
  openssl(['pkey', '-in', pem['alice@example.org'].all, '-out', key]);
  const inner = path.join(w.tmp, 'reply-inner.eml');
  openssl(['cms', '-decrypt', '-in', onDisk, '-inkey', key, '-out', inner]);
  assert.match(qp(openssl(['smime', '-verify', '-in', inner, '-CAfile', w.demo.ca])), /> the quarterly numbers are secret/);
});

test('forwarding encrypted mail to a recipient without a certificate asks first; sending it plain needs that answer', async () => {
  const b = w.people.bob;
  assert.equal(await w.open(b, 'inbox', 'Quarterly numbers'), 'valid');
  await b.page.getByRole('button', { name: 'Forward', exact: true }).click();
  assert.equal(await b.page.getByLabel('Encrypt').isChecked(), true);
  assert.match(await b.page.getByLabel('Subject', { exact: true }).inputValue(), /^Fwd: Quarterly numbers$/);
  await b.page.getByLabel('To', { exact: true }).fill('carol@example.com');
  const ask = b.page.locator('[data-field="reply-recipient"]');
  await ask.waitFor();
  assert.match(await ask.textContent(), /carol@example\.com/);
  await w.screenshot(b, 'forward-recipient-confirm');
  await ask.getByRole('button', { name: 'Send without encryption' }).click();
  await b.page.locator('[data-field="plain-confirmed"]').waitFor();
  assert.equal(await b.page.getByLabel('Encrypt').isChecked(), false);
  await b.page.getByRole('button', { name: 'Send securely' }).click();
  await w.sent(b);
  const sent = fs.readFileSync(w.newestWith('carol@example.com', 'inbox', 'Fwd: Quarterly numbers'), 'latin1');
  assert.match(qp(sent), /quarterly numbers are secret/, 'sent as the user chose, signed only');
  assert.match(sent, /multipart\/signed/);
});

test('a certificate imported while unlocked joins a stored identity only with that identity\'s passphrase (no key export under a passphrase chosen by whoever sits there)', async () => {
  const f = await w.person('fay', 'bob@example.net');
  const id = w.id('bob@example.net');
  await w.tab(f, 'Certificates');
  await f.page.getByLabel('Certificate file with private key').setInputFiles(id.p12);
  await f.page.getByLabel('File password').fill(id.password);
  await f.page.getByLabel('Passphrase for this device (at least 8 characters)').fill(PASSPHRASE);
  await f.page.getByRole('button', { name: 'Import', exact: true }).click();
  await f.page.locator('[data-field="imported"]').waitFor();
  // Someone at the unlocked session imports a signing-only certificate of their own for Bob's
  // address (it would pair with Bob's), under a device passphrase of their own.
  const key = path.join(w.tmp, 'mallory-key.pem');
  const cert = path.join(w.tmp, 'mallory-cert.pem');
  const p12 = path.join(w.tmp, 'mallory.p12');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=Mallory', '-days', '800', '-addext', 'subjectAltName=email:bob@example.net', '-addext', 'keyUsage=critical,digitalSignature,nonRepudiation', '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=emailProtection']);
  openssl(['pkcs12', '-export', '-inkey', key, '-in', cert, '-out', p12, '-passout', 'pass:mallory-file']);
  await f.page.locator('[data-field="imported"]').evaluate((e) => e.remove());
  await f.page.getByLabel('Certificate file with private key').setInputFiles(p12);
  await f.page.getByLabel('File password').fill('mallory-file');
  await f.page.getByLabel('Passphrase for this device (at least 8 characters)').fill('mallory-passphrase');
  await f.page.getByRole('button', { name: 'Import', exact: true }).click();
  await f.page.locator('[data-field="imported"]').waitFor();
  // Two identities: Bob's still under his passphrase with his key alone, Mallory's under hers with hers alone.
  const stored = await storedBackups(f.page);
  assert.equal(stored.length, 2, 'not joined');
  const keys = (bytes, pass) => {
    const file = path.join(w.tmp, `fay-stored-${pass}.p12`);
    fs.writeFileSync(file, Buffer.from(bytes));
    try {
      const out = openssl(['pkcs12', '-in', file, '-passin', `pass:${pass}`, '-nodes']).toString();
      return { keys: out.match(/BEGIN PRIVATE KEY/g)?.length ?? 0, mallory: /CN ?= ?Mallory/.test(out) };
    } catch {
      return null;
    }
  };
  const underBob = stored.map((b) => keys(b, PASSPHRASE)).filter(Boolean);
  const underMallory = stored.map((b) => keys(b, 'mallory-passphrase')).filter(Boolean);
  assert.deepEqual(underBob, [{ keys: 1, mallory: false }], 'Bob\'s key only under Bob\'s passphrase');
  assert.deepEqual(underMallory, [{ keys: 1, mallory: true }], 'the passphrase chosen at the import opens only the imported key');
});

test('decrypted content inside someone else\'s message is not quoted in a reply to that sender', async () => {
  const b = w.people.bob;
  // Mallory wraps a message encrypted to Bob (captured on the way) in a message of her own.
  const enc = encryptedToBob('Wrapped secret', 'the wrapped secret').toString('latin1');
  const split = enc.search(/\r?\n\r?\n/);
  const fields = enc.slice(0, split).split(/\r?\n(?![ \t])/).filter((f) => /^content-/i.test(f));
  const part = `${fields.join('\r\n')}\r\n\r\n${enc.slice(split).replace(/^\r?\n\r?\n/, '').replace(/\r?\n$/, '')}`;
  const wrapped = ['From: mallory@example.org', 'To: bob@example.net', 'Subject: Please check', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="wrap-e"', '',
    '--wrap-e', 'Content-Type: text/plain', '', 'Can you confirm what is below?', '--wrap-e', part, '--wrap-e--', ''].join('\r\n');
  w.deliver('bob@example.net', 'inbox', Buffer.from(wrapped, 'latin1'));
  await w.open(b, 'inbox', 'Please check');
  assert.match(await b.page.locator('iframe.content-frame').first().contentFrame().locator('body').textContent(), /the wrapped secret/, 'decrypted and shown');
  await b.page.getByRole('button', { name: 'Reply', exact: true }).click();
  const text = await b.page.getByLabel('Message text').inputValue();
  assert.doesNotMatch(text, /wrapped secret/);
  assert.match(text, /not quoted/);
  await w.tab(b, 'Mail');
});

test('no request left the machine, no CSP violation, no console errors', async () => {
  assert.deepEqual(w.blocked, []);
  for (const p of Object.values(w.people)) {
    assert.deepEqual(await p.page.evaluate(() => window.__cspViolations), [], `${p.name}: CSP violations`);
    assert.deepEqual(p.errors, [], `${p.name}: console errors`);
  }
});
