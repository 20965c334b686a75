// End to end in chromium: the built Outlook pages (function file and task pane) with a fake
// Office.js. Requests for Office.js on Microsoft's CDN are answered locally with the fake of
// tests/office/fake-office.mjs (bundled as a classic script): nothing is loaded from outside,
// every other non-loopback request is blocked and recorded. The function file's Sign/Encrypt
// commands and its OnMessageSend handler run in the real bundle under the real CSP.
// The task pane runs Cachet's panes over the dev mailbox as Graph (?graph=dev): Alice sends
// signed and encrypted from a fake compose item, Bob opens the delivered message from a fake
// read item, each in their own chromium context (own storage, as a separate profile); openssl
// checks what was delivered.
// Screenshots of each task-pane screen go to test-results/outlook-*.jpg.
// The other Outlook files' tests run in this process too, in the same chromium (one browser
// start): outlook-keeping.mjs, outlook-drafts.mjs and outlook-discovery.mjs, each with its own
// dev server, mailbox and contexts; their tests come first.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { devMailRoutes } from '../../scripts/devmail.mjs';
import { ensureDemo, issueIdentity } from '../../scripts/demo.mjs';
import { ROOT, openssl } from '../shared.mjs';
import { axeViolations, importCert, importP12, outlookStage, outlookTab, tab, unlock } from './outlook-world.mjs';
import { shoot } from './world.mjs';
import './outlook-keeping.mjs';
import './outlook-drafts.mjs';
import './outlook-discovery.mjs';

const TIMEOUT = 30_000;

let stage, baseUrl, context, bobContext, mailRoot, demo;
/** Bob's Outlook profile and the encrypted message he decrypted there (set by the send/read test). */
let bobProfile, bobDelivered;
const blocked = [];

/** A chromium context (its own storage and IndexedDB: one Outlook client) with Office.js faked and no outside requests. */
function profile() {
  return stage.client();
}

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'commands.html')), 'dist/ is built (npm test builds it first)');
  mailRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-e2e-mail-'));
  demo = ensureDemo(mailRoot, { keptKeys: true });
  stage = await outlookStage(devMailRoutes({ root: mailRoot }), blocked, { height: 800, acceptDownloads: true });
  baseUrl = stage.baseUrl;
  context = await profile();
});

after(async () => {
  await stage?.close();
  if (mailRoot) fs.rmSync(mailRoot, { recursive: true, force: true });
});

/**
 * The client's tab with the fake Office configured by `config`, before it goes to a page.
 * A 404 from the dev mailbox is an answer the adapter handles (no draft yet, no such item);
 * chromium logs it anyway. Every other console error counts.
 */
function pageWith(config, ctx = context) {
  return outlookTab(ctx, config, { timeout: TIMEOUT });
}

/** Open the task pane (dev mailbox as Graph) and wait for the engine. */
async function taskpane(config, ctx) {
  const p = await pageWith(config, ctx);
  await p.page.goto(`${baseUrl}/taskpane.html?graph=dev`);
  await p.page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
  return p;
}

async function shot(page, name) {
  await shoot(page, `outlook-${name}`);
}

/** Files (.eml) of a dev mailbox folder, oldest first. */
function files(address, folder) {
  const dir = path.join(mailRoot, address, folder);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().map((f) => path.join(dir, f)) : [];
}

/** Undo quoted-printable soft line breaks (enough to search the text). */
const qp = (text) => text.replace(/=\r?\n/g, '');

test('function file: Sign/Encrypt toggles and the OnMessageSend handler in the built bundle', async () => {
  const { page, errors } = await pageWith({ mode: 'compose', user: { name: 'Alice', address: 'alice@example.org' }, to: [['Bob', 'bob@example.org']] });
  const res = await page.goto(`${baseUrl}/commands.html`);
  assert.match(res.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval' https:\/\/appsforoffice\.microsoft\.com/);
  await page.waitForFunction(() => window.Office && Object.keys(window.Office.associated).length === 3, null, { timeout: 30_000 });
  const fire = (name) => page.evaluate((n) => new Promise((resolve) => window.Office.associated[n]({ completed: (o) => resolve(o ?? null) })), name);
  assert.deepEqual(await fire('onMessageSendHandler'), { allowEvent: true });
  await fire('cachetToggleSign');
  const blockedSend = await fire('onMessageSendHandler');
  assert.equal(blockedSend.allowEvent, false);
  assert.match(blockedSend.errorMessage, /signed/);
  assert.equal(blockedSend.commandId, 'Cachet.ComposeButton');
  const notice = await page.evaluate(() => window.__fake.notices.get('cachet-choice'));
  assert.match(notice.message, /will be signed/);
  await fire('cachetToggleSign');
  assert.deepEqual(await fire('onMessageSendHandler'), { allowEvent: true });
  assert.deepEqual(errors, []);
});

test('task pane: read mode shows the read pane for the item, compose mode the bound compose pane; both tell where identities live', async () => {
  for (const mode of ['compose', 'read']) {
    const { page, errors } = await pageWith({ mode, user: { name: 'Alice', address: 'alice@example.org' }, itemId: 'ews:none', file: Buffer.from('From: a@example.com\r\nSubject: Plain note\r\n\r\nhi there\r\n').toString('base64'), to: [['Bob', 'bob@example.net']], subject: 'Draft subject', text: 'Draft text' });
    const res = await page.goto(`${baseUrl}/taskpane.html?graph=dev`);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-security-policy'], /connect-src 'self' https:\/\/graph\.microsoft\.com/);
    await page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
    if (mode === 'read') {
      // The message Outlook gave (getAsFileAsync) is opened by the core: an unsigned message.
      const banner = page.locator('#status-banner');
      await banner.waitFor();
      assert.equal(await banner.getAttribute('data-status'), 'unsigned');
      assert.match(await page.locator('[data-field="subject"]').textContent(), /Plain note/);
      assert.equal(await page.getByRole('button', { name: 'Reply' }).count(), 0, 'replying is Outlook’s job in the task pane');
      assert.deepEqual(await page.evaluate(() => window.__fake.calls), ['getAsFileAsync']);
    } else {
      // The compose pane shows what is typed in Outlook's compose window, read-only.
      await page.locator('[data-recipient="bob@example.net"][data-status="missing"]').waitFor();
      assert.equal(await page.getByLabel('Subject', { exact: true }).inputValue(), 'Draft subject');
      assert.equal(await page.getByLabel('Subject', { exact: true }).getAttribute('readonly'), '');
      assert.equal(await page.getByLabel('Message text').inputValue(), 'Draft text');
    }
    await shot(page, `taskpane-${mode}`);
    await tab(page, 'Certificates');
    assert.match(await page.locator('[data-field="host-notice"]').first().textContent(), /keeps its own copy of your identities[\s\S]*export a backup/);
    assert.equal(await page.locator('[data-field="host-notice"]').last().textContent(), 'Microsoft Graph: the dev mailbox of the development server.');
    await shot(page, `taskpane-${mode}-certificates`);
    assert.deepEqual(errors, [], `${mode}: no page errors`);
  }
  assert.deepEqual(blocked, [], 'no request left the machine');
});

test('task pane: a message Outlook cannot give is offered as a saved .eml instead', async () => {
  const { page, errors } = await pageWith({ mode: 'read', user: { name: 'Bob', address: 'bob@example.net' }, itemId: 'ews:missing', file: '' });
  await page.goto(`${baseUrl}/taskpane.html?graph=dev`);
  const alert = page.locator('#app [role="alert"]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /getAsFileAsync returned no MIME message[\s\S]*Microsoft Graph/);
  const eml = path.join(mailRoot, 'saved.eml');
  fs.writeFileSync(eml, 'From: carol@example.com\r\nSubject: Saved by hand\r\n\r\nfrom a file\r\n');
  await page.getByLabel('Open a saved message (.eml)').setInputFiles(eml);
  await page.locator('#status-banner[data-status="unsigned"]').waitFor();
  assert.match(await page.locator('[data-field="subject"]').textContent(), /Saved by hand/);
  assert.equal(await page.locator('#app [role="alert"]').count(), 0, 'the reading failure is gone once the file is open');
  await shot(page, 'taskpane-read-fallback');
  assert.deepEqual(errors, []);
});

test('Alice sends signed+encrypted from Outlook compose via the task pane; Bob opens it as valid in his task pane; openssl decrypts it', async () => {
  const alice = demo.identities.find((i) => i.address === 'alice@example.org');
  const bob = demo.identities.find((i) => i.address === 'bob@example.net');
  const bobKey = path.join(mailRoot, 'bob-key.pem');
  const bobCert = path.join(mailRoot, 'bob-cert.pem');
  openssl(['pkcs12', '-in', bob.p12, '-passin', `pass:${bob.password}`, '-nocerts', '-nodes', '-out', bobKey]);
  openssl(['pkcs12', '-in', bob.p12, '-passin', `pass:${bob.password}`, '-nokeys', '-clcerts', '-out', bobCert]);

  // Outlook autosaves the plaintext draft: it is in Alice's Drafts (the fake saveAsync gives its id).
  const draftMime = 'From: alice@example.org\r\nTo: bob@example.net\r\nSubject: Quarterly figures\r\n\r\nHello Bob,\r\nthe figures are secret.\r\n';
  const created = await fetch(`${baseUrl}/v1.0/me/messages`, { method: 'POST', headers: { Authorization: 'Bearer dev:alice@example.org', 'Content-Type': 'text/plain' }, body: Buffer.from(draftMime).toString('base64') });
  assert.equal(created.status, 201);
  const draftId = (await created.json()).id;
  assert.equal(files('alice@example.org', 'drafts').length, 1);

  const a = await taskpane({ mode: 'compose', user: { name: 'Alice DEMO', address: 'alice@example.org' }, to: [['Bob DEMO', 'bob@example.net']], subject: 'Quarterly figures', text: 'Hello Bob,\nthe figures are secret.\n', draftId: `ews:${draftId}` });
  await importCert(a.page, demo.ca, 'Trust as root…');
  await a.page.locator('[data-anchor^="Cachet DEMO CA"]').waitFor();
  await importP12(a.page, alice.p12, alice.password);
  await importCert(a.page, bobCert, 'Store as contact');
  await a.page.getByText('Stored for bob@example.net.').waitFor();
  await a.page.locator('[data-contact="bob@example.net"]').waitFor();
  await shot(a.page, 'compose-certificates');

  await tab(a.page, 'Send securely');
  await a.page.getByRole('button', { name: 'Read the message again' }).click();
  await a.page.locator('[data-recipient="bob@example.net"][data-status="ready"]').waitFor();
  await a.page.getByLabel('Sign').check();
  // The ribbon's Encrypt pressed while the pane is open (it writes the draft's sessionData):
  // the pane's Send does not send with less than the draft is marked for.
  await a.page.waitForFunction(() => JSON.parse(window.__fake.session.get('cachet.choice') ?? '{}').sign === true);
  assert.equal(await a.page.getByLabel('Encrypt').isChecked(), false);
  await a.page.evaluate(() => window.__fake.session.set('cachet.choice', JSON.stringify({ sign: true, encrypt: true })));
  await a.page.getByRole('button', { name: 'Send securely' }).click();
  await a.page.locator('[data-field="choice-changed"]').waitFor();
  assert.equal(await a.page.getByLabel('Encrypt').isChecked(), true, 'the pane shows the draft\'s choice');
  assert.equal(await a.page.locator('[data-field="sent"]').count(), 0, 'nothing sent');
  await a.page.getByLabel('Encrypt').check();
  // The choice is kept with the Outlook draft (sessionData), where the ribbon and OnMessageSend see it.
  await a.page.waitForFunction(() => window.__fake.session.get('cachet.choice') === JSON.stringify({ sign: true, encrypt: true }));
  await shot(a.page, 'compose-ready');
  await a.page.getByRole('button', { name: 'Send securely' }).click();
  const sent = a.page.locator('[data-field="sent"]');
  await sent.waitFor();
  assert.match(await sent.textContent(), /signed and encrypted, to bob@example\.net/);
  assert.equal(await a.page.locator('[data-field="draft-kept"], [data-field="not-closed"]').count(), 0);
  await shot(a.page, 'compose-sent');
  const calls = await a.page.evaluate(() => window.__fake.calls);
  assert.ok(calls.includes('closeAsync'), 'the compose window was closed');
  assert.deepEqual(a.errors, []);

  // Delivered to Bob, kept in Alice's Sent Items, and the plaintext draft is gone.
  assert.equal(files('alice@example.org', 'drafts').length, 0, 'the plaintext draft was deleted');
  const [delivered] = files('bob@example.net', 'inbox');
  assert.ok(delivered, 'the message is in Bob’s inbox');
  assert.equal(files('alice@example.org', 'sentitems').length, 1, 'a copy is in Alice’s Sent Items');
  const raw = fs.readFileSync(delivered, 'latin1');
  assert.match(raw, /Content-Type: application\/pkcs7-mime;[^\r\n]*(enveloped-data|authEnveloped-data)/i);
  assert.ok(!raw.includes('figures are secret'), 'the text is not readable in the delivered message');
  const inner = path.join(mailRoot, 'inner.eml');
  openssl(['cms', '-decrypt', '-in', delivered, '-inkey', bobKey, '-out', inner]);
  assert.match(qp(openssl(['smime', '-verify', '-in', inner, '-CAfile', demo.ca])), /the figures are secret\./);
  assert.match(fs.readFileSync(inner, 'latin1'), /Content-Type: multipart\/signed/, 'signed, then encrypted');
  // Always also encrypted to the sender: Alice's key opens her Sent Items copy.
  const aliceKey = path.join(mailRoot, 'alice-key.pem');
  openssl(['pkcs12', '-in', alice.p12, '-passin', `pass:${alice.password}`, '-nocerts', '-nodes', '-out', aliceKey]);
  const [sentCopy] = files('alice@example.org', 'sentitems');
  const own = path.join(mailRoot, 'own.eml');
  openssl(['cms', '-decrypt', '-in', sentCopy, '-inkey', aliceKey, '-out', own]);
  assert.match(qp(fs.readFileSync(own, 'latin1')), /the figures are secret\./);

  // Bob's Outlook (another profile: its own identities) gives the delivered MIME to the read task pane.
  bobProfile = await profile();
  bobDelivered = delivered;
  bobContext = bobProfile;
  const b = await taskpane({ mode: 'read', user: { name: 'Bob DEMO', address: 'bob@example.net' }, itemId: 'ews:none', file: fs.readFileSync(delivered).toString('base64') }, bobProfile);
  await b.page.locator('#status-banner[data-status="no-key"]').waitFor();
  await shot(b.page, 'read-no-key');
  await importCert(b.page, demo.ca, 'Trust as root…');
  await b.page.locator('[data-anchor^="Cachet DEMO CA"]').waitFor();
  await importP12(b.page, bob.p12, bob.password);
  await shot(b.page, 'read-certificates');
  // Unlocking opens the message again: now it decrypts and the signature is valid.
  await tab(b.page, 'Message');
  await b.page.locator('#status-banner[data-status="valid"]').waitFor();
  assert.match(await b.page.locator('.banner-title').textContent(), /Alice DEMO <alice@example\.org>/);
  const frame = b.page.locator('iframe.content-frame');
  assert.match(await frame.contentFrame().locator('body').textContent(), /the figures are secret\./);
  await b.page.locator('[data-field="cert-stored"]').waitFor();
  await shot(b.page, 'read-valid');
  assert.deepEqual(b.errors, []);
  assert.deepEqual(blocked, [], 'no request left the machine');
});

test('Bob replies in Outlook to the message he decrypted: Encrypt is on and kept with the draft; turning it off asks first', async (t) => {
  if (!bobProfile) return t.skip('skipped: needs the message Bob decrypted in the test before');
  const raw = fs.readFileSync(bobDelivered, 'latin1');
  const messageId = /^Message-ID:\s*(<[^>]+>)/im.exec(raw)?.[1];
  assert.ok(messageId, 'the delivered message has a Message-ID');
  // Outlook autosaved Bob's reply draft: it names the message answered.
  const draftMime = `From: bob@example.net\r\nTo: alice@example.org\r\nSubject: Re: Quarterly figures\r\nIn-Reply-To: ${messageId}\r\nReferences: ${messageId}\r\n\r\nThanks.\r\n`;
  const created = await fetch(`${baseUrl}/v1.0/me/messages`, { method: 'POST', headers: { Authorization: 'Bearer dev:bob@example.net', 'Content-Type': 'text/plain' }, body: Buffer.from(draftMime).toString('base64') });
  assert.equal(created.status, 201);
  const draftId = (await created.json()).id;
  const r = await taskpane({ mode: 'compose', user: { name: 'Bob DEMO', address: 'bob@example.net' }, to: [['Alice DEMO', 'alice@example.org']], subject: 'Re: Quarterly figures', text: 'Thanks.\n> the figures are secret.\n', draftId: `ews:${draftId}` }, bobProfile);
  const encrypt = r.page.getByLabel('Encrypt');
  await r.page.waitForFunction(() => document.querySelector('#compose-heading') && window.__fake.session.get('cachet.choice') === JSON.stringify({ sign: true, encrypt: true }));
  assert.equal(await encrypt.isChecked(), true, 'a reply to mail decrypted here is encrypted by default');
  // Outlook's own Send button is blocked for it (the choice is with the draft).
  await encrypt.click();
  const ask = r.page.locator('[data-field="reply-confirm"]');
  await ask.waitFor();
  assert.equal(await encrypt.isChecked(), true, 'still on until the user answers');
  assert.equal(await r.page.evaluate(() => window.__fake.session.get('cachet.choice')), JSON.stringify({ sign: true, encrypt: true }));
  await shot(r.page, 'reply-confirm');
  await ask.getByRole('button', { name: 'Send without encryption' }).click();
  await r.page.waitForFunction(() => window.__fake.session.get('cachet.choice') === JSON.stringify({ sign: true, encrypt: false }));
  assert.deepEqual(r.errors, []);

  // A new message (no In-Reply-To) in the same Outlook keeps the plain default.
  const n = await taskpane({ mode: 'compose', user: { name: 'Bob DEMO', address: 'bob@example.net' }, to: [['Alice DEMO', 'alice@example.org']], subject: 'Lunch?', text: 'Lunch?\n' }, bobProfile);
  await n.page.locator('[data-recipient="alice@example.org"]').waitFor();
  assert.equal(await n.page.getByLabel('Encrypt').isChecked(), false);
});

test('one build, configured at run time: with cachet-config.json naming a client id the pane uses it; without it the pane says what is missing and what works', async () => {
  const plain = Buffer.from('From: a@example.com\r\nSubject: Plain note\r\n\r\nhi there\r\n').toString('base64');
  const id = '0a1b2c3d-0000-4000-8000-00000000abcd';
  // No configuration beside the pages (the build has none): every mode says so at the top.
  for (const mode of ['read', 'compose']) {
    const { page, errors } = await pageWith({ mode, user: { name: 'Bob', address: 'bob@example.net' }, itemId: 'ews:none', file: plain, to: [['Alice', 'alice@example.org']], subject: 'S', text: 'T' });
    const res = await page.request.get(`${baseUrl}/cachet-config.json`);
    assert.equal(res.status(), 404, 'the build carries no configuration');
    await page.goto(`${baseUrl}/taskpane.html`);
    const missing = page.locator('[data-field="graph-missing"]');
    await missing.waitFor();
    assert.match(await missing.textContent(), /^Microsoft Graph is not configured: cachet-config\.json[\s\S]*Without it Cachet still checks signatures and decrypts[\s\S]*cannot send signed or encrypted mail from Outlook/);
    await page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
    if (mode === 'read') await page.locator('#status-banner[data-status="unsigned"]').waitFor();
    await shot(page, `unconfigured-${mode}`);
    // The 404 of the missing configuration is an answer, not a failure.
    assert.deepEqual(errors.filter((e) => !/404/.test(e)), []);
  }
  // The same build served with a configuration: the pane uses its client id (no Graph request is made to show a message Outlook gives).
  const { page, errors } = await pageWith({ mode: 'read', user: { name: 'Bob', address: 'bob@example.net' }, itemId: 'ews:none', file: plain });
  await page.route(`${baseUrl}/cachet-config.json`, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ clientId: id, tenant: 'contoso.com' }) }));
  await page.goto(`${baseUrl}/taskpane.html`);
  await page.locator('#status-banner[data-status="unsigned"]').waitFor();
  assert.equal(await page.locator('[data-field="graph-missing"]').count(), 0);
  await tab(page, 'Certificates');
  assert.equal(await page.locator('[data-field="host-notice"]').last().textContent(), `Microsoft Graph: signed in through Outlook for the app registration ${id} (tenant contoso.com).`);
  await shot(page, 'configured-certificates');
  await page.unroute(`${baseUrl}/cachet-config.json`);
  assert.deepEqual(errors, []);
  assert.deepEqual(blocked, [], 'no request left the machine');
});

test('a pinned read pane follows the selection: each message’s status appears without reopening; a slow one shows progress; a quick move never leaves an older message on screen', async () => {
  assert.ok(bobContext, 'runs after the test that trusts the demo CA in Bob’s profile');
  const alice = demo.identities.find((i) => i.address === 'alice@example.org');
  const aliceCert = path.join(mailRoot, 'pin-alice-cert.pem');
  const aliceKey = path.join(mailRoot, 'pin-alice-key.pem');
  openssl(['pkcs12', '-in', alice.p12, '-passin', `pass:${alice.password}`, '-nokeys', '-clcerts', '-out', aliceCert]);
  openssl(['pkcs12', '-in', alice.p12, '-passin', `pass:${alice.password}`, '-nocerts', '-nodes', '-out', aliceKey]);
  const body = path.join(mailRoot, 'pin-body.txt');
  fs.writeFileSync(body, 'Content-Type: text/plain; charset=utf-8\r\n\r\nSigned by Alice for the pinned pane.\r\n');
  const signed = Buffer.from(openssl(['smime', '-sign', '-in', body, '-signer', aliceCert, '-inkey', aliceKey, '-from', 'alice@example.org', '-to', 'bob@example.net', '-subject', 'Signed one']), 'latin1');
  const plain = Buffer.from('From: carol@example.com\r\nSubject: Plain one\r\n\r\nnot signed\r\n');
  const b64 = (b) => Buffer.from(b).toString('base64');

  const { page, errors } = await pageWith({ mode: 'read', user: { name: 'Bob DEMO', address: 'bob@example.net' }, itemId: 'ews:1', file: b64(plain) }, bobContext);
  await page.goto(`${baseUrl}/taskpane.html?graph=dev`);
  const status = (s) => page.locator(`#status-banner[data-status="${s}"]`).waitFor();
  const select = (next) => page.evaluate((n) => window.__fake.select(n), next);
  await status('unsigned');
  assert.match(await page.locator('[data-field="subject"]').textContent(), /Plain one/);

  await select({ itemId: 'ews:2', file: b64(signed) });
  await status('valid');
  assert.match(await page.locator('.banner-title').textContent(), /alice@example\.org/);
  assert.match(await page.locator('iframe.content-frame').contentFrame().locator('body').textContent(), /Signed by Alice for the pinned pane\./);
  await shot(page, 'pinned-valid');

  // Outlook is slow to give this one: the pane says it is getting it, then shows it.
  await select({ itemId: 'ews:3', file: b64(plain), delayMs: 1500 });
  await page.locator('.fetching [role="status"]').filter({ hasText: 'Getting the message from Outlook' }).waitFor();
  await shot(page, 'pinned-progress');
  await status('unsigned');
  assert.equal(await page.locator('.fetching [role="status"]').count(), 0);

  // Nothing selected, then a quick move: a slow message is left for a quick one before it arrives.
  await select(null);
  await page.getByText('Open a message in Outlook to check its signature or decrypt it.').waitFor();
  await select({ itemId: 'ews:4', file: b64(plain), delayMs: 800 });
  await select({ itemId: 'ews:5', file: b64(signed) });
  await status('valid');
  await page.waitForTimeout(1200);
  assert.equal(await page.locator('#status-banner').getAttribute('data-status'), 'valid', 'the slower, older selection did not replace the newer one');
  assert.deepEqual(await page.evaluate(() => window.__fake.calls), Array(5).fill('getAsFileAsync'), 'one read per selection, no reopening');
  assert.deepEqual(errors, []);
});

test('a message Graph would refuse (over 3 MB) is refused in the pane with the limit and what to do; nothing is sent and the compose window keeps it', async () => {
  const before = files('bob@example.net', 'inbox').length;
  const big = Buffer.alloc(3 * 1024 * 1024 + 1, 7).toString('base64');
  const { page, errors } = await taskpane({ mode: 'compose', user: { name: 'Alice DEMO', address: 'alice@example.org' }, to: [['Bob DEMO', 'bob@example.net']], subject: 'Scans', text: 'The scans.\n', attachments: [{ name: 'scans.pdf', content: big }] });
  await unlock(page);
  await tab(page, 'Send securely');
  await page.locator('[data-recipient="bob@example.net"][data-status="ready"]').waitFor();
  await page.getByLabel('Sign').check();
  await page.getByRole('button', { name: 'Send securely' }).click();
  const alert = page.locator('.compose-result [role="alert"]');
  await alert.waitFor();
  assert.match(await alert.textContent(), /This message is at least 3\.0 MB; Microsoft Graph, through which Outlook add-ins send, takes messages of at most 3\.0 MB[\s\S]*Nothing was sent and the message is unchanged in the compose window: remove or shrink attachments/);
  await shot(page, 'compose-too-large');
  assert.equal(files('bob@example.net', 'inbox').length, before, 'nothing was sent');
  assert.ok(!(await page.evaluate(() => window.__fake.calls)).includes('closeAsync'), 'the compose window stays open');
  assert.deepEqual(errors, []);
});

test('an HTML message with an inline picture, two files and an attached message, Cc and two Bcc, written in Outlook, arrives signed and encrypted: openssl decrypts and verifies every copy, Bcc copies name no other Bcc; Bob’s pane shows the HTML with its picture from the message and saves the files; the Sent copies open', async () => {
  assert.ok(bobContext, 'runs after the test that imports the identities');
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360f8cf000001010100' + '18dd8db40000000049454e44ae426082', 'hex');
  const pdf = Buffer.from('%PDF-1.4 demo figures\n');
  const csv = Buffer.from('quarter;figure\r\nQ1;42\r\n');
  const earlier = 'From: bob@example.net\r\nTo: alice@example.org\r\nSubject: The earlier figures\r\n\r\nLast year: 40.\r\n';
  // Carol (Cc), Dave and Erin (Bcc): demo identities; Alice stores their certificates as contacts.
  const others = {};
  for (const [who, name] of [['carol', 'Carol DEMO'], ['dave', 'Dave DEMO'], ['erin', 'Erin DEMO']]) {
    const address = `${who}@example.com`;
    const p12 = issueIdentity(demo.dir, { address, name, password: 'pw', file: `rich-${who}.p12` });
    const cert = path.join(mailRoot, `rich-${who}-cert.pem`);
    const key = path.join(mailRoot, `rich-${who}-key.pem`);
    openssl(['pkcs12', '-in', p12, '-passin', 'pass:pw', '-nokeys', '-clcerts', '-out', cert]);
    openssl(['pkcs12', '-in', p12, '-passin', 'pass:pw', '-nocerts', '-nodes', '-out', key]);
    others[who] = { address, name, cert, key };
  }
  const keys = { 'bob@example.net': path.join(mailRoot, 'bob-key.pem'), ...Object.fromEntries(Object.values(others).map((o) => [o.address, o.key])) };
  const before = Object.fromEntries(Object.keys(keys).map((a) => [a, files(a, 'inbox').length]));
  const beforeSent = files('alice@example.org', 'sentitems').length;
  const a = await taskpane({
    mode: 'compose', user: { name: 'Alice DEMO', address: 'alice@example.org' }, subject: 'Figures with files',
    to: [['Bob DEMO', 'bob@example.net']], cc: [[others.carol.name, others.carol.address]], bcc: [[others.dave.name, others.dave.address], [others.erin.name, others.erin.address]],
    text: 'The figures are attached.\n', html: '<p>The figures are <b id="bold">attached</b>.</p><p><img src="cid:chart@cachet" alt="chart"></p>',
    attachments: [
      { name: 'chart.png', content: png.toString('base64'), inline: true, contentId: 'chart@cachet' },
      { name: 'figures.pdf', content: pdf.toString('base64') },
      { name: 'figures.csv', content: csv.toString('base64') },
      { name: 'The earlier figures', content: earlier, format: 'eml' },
    ],
  });
  await unlock(a.page);
  for (const o of Object.values(others)) {
    await importCert(a.page, o.cert, 'Store as contact');
    await a.page.locator(`[data-contact="${o.address}"]`).waitFor();
  }
  await tab(a.page, 'Send securely');
  await a.page.getByRole('button', { name: 'Read the message again' }).click();
  const summary = a.page.locator('[data-field="content"]');
  await summary.waitFor();
  assert.match(await summary.textContent(), /formatted \(HTML\) text[\s\S]*1 picture in the text[\s\S]*3 attachments: figures\.pdf, figures\.csv, The earlier figures\.eml[\s\S]*a separate copy for each Bcc recipient \(2\)/);
  assert.equal(await a.page.locator('[data-field="unsupported"]').count(), 0, 'nothing is refused');
  // Bcc and attachments are Outlook's: the pane's own inputs for them are not offered.
  assert.equal(await a.page.getByLabel('Bcc', { exact: true }).isVisible(), false);
  assert.equal(await a.page.getByLabel('Attachments', { exact: true }).isVisible(), false);
  for (const address of Object.keys(keys)) await a.page.locator(`[data-recipient="${address}"][data-status="ready"]`).waitFor();
  await a.page.getByLabel('Sign').check();
  await a.page.getByLabel('Encrypt').check();
  await shot(a.page, 'compose-rich');
  await a.page.getByRole('button', { name: 'Send securely' }).click();
  await a.page.locator('[data-field="sent"]').waitFor();
  await shot(a.page, 'compose-rich-sent');
  assert.deepEqual(a.errors, []);

  // Every delivered copy: openssl decrypts it with that recipient's key and verifies Alice's signature.
  const copies = {};
  for (const [address, key] of Object.entries(keys)) {
    const got = files(address, 'inbox').slice(before[address]);
    assert.equal(got.length, 1, `${address} got one copy`);
    const raw = fs.readFileSync(got[0], 'latin1');
    assert.doesNotMatch(raw, /^Bcc:/im, `${address}: no Bcc field is delivered`);
    const inner = path.join(mailRoot, `rich-inner-${address}.eml`);
    openssl(['cms', '-decrypt', '-in', got[0], '-inkey', key, '-out', inner]);
    const verified = openssl(['smime', '-verify', '-in', inner, '-CAfile', demo.ca]);
    assert.match(verified, /multipart\/related;\r?\n type="text\/html"/, address);
    assert.match(verified, /Content-ID: <chart@cachet>/, address);
    assert.match(verified, /Content-Type: message\/rfc822; name="The earlier figures\.eml"/, address);
    copies[address] = { file: got[0], raw, inner: fs.readFileSync(inner, 'latin1') };
  }
  const hidden = [others.dave.address, others.erin.address];
  for (const address of ['bob@example.net', others.carol.address]) {
    for (const h of hidden) assert.ok(!copies[address].raw.includes(h) && !copies[address].inner.includes(h), `${address}'s copy does not name ${h}`);
  }
  for (const h of hidden) {
    const other = hidden.find((x) => x !== h);
    assert.ok(!copies[h].raw.includes(other) && !copies[h].inner.includes(other), `${h}'s copy does not name the other Bcc recipient`);
    // With Bob's certificate named, openssl looks for his RecipientInfo only. Without it,
    // openssl tries his key on every entry and, so as to be no padding oracle, goes on with a
    // random content key where the unwrap fails: the content's CBC padding then passes about
    // once in 256 and openssl reports garbage as success (the test failed so once).
    assert.throws(() => openssl(['cms', '-decrypt', '-in', copies[h].file, '-recip', path.join(mailRoot, 'bob-cert.pem'), '-inkey', keys['bob@example.net']]), /Error decrypting CMS/, 'Bob cannot open a Bcc copy');
  }
  // The Sent Items copies (one per envelope) open with Alice's key.
  const aliceKey = path.join(mailRoot, 'alice-key.pem');
  const sent = files('alice@example.org', 'sentitems').slice(beforeSent);
  assert.equal(sent.length, 3, 'To/Cc copy and one per Bcc recipient');
  for (const f of sent) assert.match(qp(openssl(['cms', '-decrypt', '-in', f, '-inkey', aliceKey])), /The figures are <b id=3D"bold">attached<\/b>/);
  const delivered = copies['bob@example.net'].file;

  const b = await taskpane({ mode: 'read', user: { name: 'Bob DEMO', address: 'bob@example.net' }, itemId: 'ews:none', file: fs.readFileSync(delivered).toString('base64') }, bobContext);
  await unlock(b.page);
  await tab(b.page, 'Message');
  await b.page.locator('#status-banner[data-status="valid"]').waitFor();
  // The HTML is rendered in its sandboxed frame (the bold text is an element there).
  const html = b.page.locator('iframe.content-frame').nth(1).contentFrame();
  assert.equal(await html.locator('#bold').textContent(), 'attached');
  for (const [name, bytes] of [['figures.pdf', pdf], ['figures.csv', csv], ['The earlier figures.eml', Buffer.from(earlier)], ['chart.png', png]]) {
    const [download] = await Promise.all([b.page.waitForEvent('download'), b.page.getByRole('button', { name: `Save ${name}` }).click()]);
    const saved = path.join(mailRoot, `saved-${name}`);
    await download.saveAs(saved);
    assert.deepEqual(fs.readFileSync(saved), bytes, `${name} is saved byte for byte`);
  }
  // The picture is shown inside the HTML, taken from the message (a data: URL of its bytes), not fetched.
  const img = html.locator('img[alt="chart"]');
  assert.equal(await img.getAttribute('src'), `data:image/png;base64,${png.toString('base64')}`);
  const box = await img.boundingBox();
  assert.deepEqual([box?.width, box?.height], [1, 1], 'the 1x1 picture is drawn (a broken one would show its alt text)');
  await shot(b.page, 'read-rich');
  assert.deepEqual(b.errors, []);
  assert.deepEqual(blocked, [], 'no request left the machine');
});

/**
 * axe-core's serious and critical violations on the page, as readable lines. The sandboxed
 * frames holding the sender's content are left out (axe cannot run inside a frame that allows no
 * script, and that content is the sender's, not Cachet's); each must have a title instead.
 */
async function axeProblems(page) {
  const titles = await page.locator('iframe.content-frame').evaluateAll((frames) => frames.map((f) => f.title));
  const untitled = titles.filter((t) => !t.trim()).map(() => 'serious frame-title: a message content frame has no title');
  return [...untitled, ...(await axeViolations(page))];
}

test('Fluent look in Outlook’s light and dark theme; axe-core finds no serious or critical problem on the compose, read and certificate panes', async () => {
  assert.ok(bobContext, 'runs after the test that trusts the demo CA in Bob’s profile');
  const alice = demo.identities.find((i) => i.address === 'alice@example.org');
  const aliceCert = path.join(mailRoot, 'axe-alice-cert.pem');
  const aliceKey = path.join(mailRoot, 'axe-alice-key.pem');
  openssl(['pkcs12', '-in', alice.p12, '-passin', `pass:${alice.password}`, '-nokeys', '-clcerts', '-out', aliceCert]);
  openssl(['pkcs12', '-in', alice.p12, '-passin', `pass:${alice.password}`, '-nocerts', '-nodes', '-out', aliceKey]);
  const body = path.join(mailRoot, 'axe-body.txt');
  fs.writeFileSync(body, 'Content-Type: text/plain; charset=utf-8\r\n\r\nA signed note.\r\n');
  const signed = Buffer.from(openssl(['smime', '-sign', '-in', body, '-signer', aliceCert, '-inkey', aliceKey, '-from', 'alice@example.org', '-to', 'bob@example.net', '-subject', 'Checked for accessibility']), 'latin1').toString('base64');
  const themes = { light: { bodyBackgroundColor: '#ffffff', bodyForegroundColor: '#242424' }, dark: { bodyBackgroundColor: '#292929', bodyForegroundColor: '#ffffff' } };
  const found = [];
  for (const [scheme, officeTheme] of Object.entries(themes)) {
    for (const mode of ['compose', 'read']) {
      const config = mode === 'read'
        ? { mode, officeTheme, user: { name: 'Bob DEMO', address: 'bob@example.net' }, itemId: 'ews:none', file: signed }
        : { mode, officeTheme, user: { name: 'Alice DEMO', address: 'alice@example.org' }, to: [['Bob DEMO', 'bob@example.net']], subject: 'Accessible', text: 'Hello.\n', html: '<p>Hello.</p>' };
      const { page, errors } = await pageWith(config, mode === 'read' ? bobContext : context);
      await page.goto(`${baseUrl}/taskpane.html?graph=dev`);
      await page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), scheme, `the pane follows Outlook's ${scheme} theme`);
      // Fluent's tokens are in use: the page background is the theme's neutral background 1.
      assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--colorNeutralBackground1').trim()), scheme === 'dark' ? '#292929' : '#ffffff');
      assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), scheme === 'dark' ? 'rgb(41, 41, 41)' : 'rgb(255, 255, 255)');
      if (mode === 'read') {
        await page.locator('#status-banner[data-status="valid"]').waitFor();
        await page.locator('iframe.content-frame').contentFrame().getByText('A signed note.').waitFor();
        await shot(page, `a11y-${mode}-${scheme}`);
        // The details too are checked (keyboard: the summary opens them).
        await page.locator('.banner details summary').first().focus();
        await page.keyboard.press('Enter');
        await page.locator('.banner details[open]').first().waitFor();
        await shot(page, `a11y-${mode}-details-${scheme}`);
      } else {
        await page.locator('[data-recipient="bob@example.net"]').waitFor();
        await shot(page, `a11y-${mode}-${scheme}`);
      }
      found.push(...(await axeProblems(page)).map((p) => `${mode} ${scheme}: ${p}`));
      // Keyboard: the Certificates tab is reached and opened without a mouse.
      await page.getByRole('tab', { name: 'Certificates' }).focus();
      await page.keyboard.press('Enter');
      await page.locator('[data-field="host-notice"]').first().waitFor();
      await shot(page, `a11y-${mode}-certificates-${scheme}`);
      found.push(...(await axeProblems(page)).map((p) => `${mode} certificates ${scheme}: ${p}`));
      assert.deepEqual(errors, []);
    }
  }
  assert.deepEqual(found, [], 'no serious or critical accessibility violation');
});

