// End to end in chromium (issue 18): confidential mode in the Outlook task pane, with the fake
// Office.js of tests/office/fake-office.mjs and the dev mailbox as Graph (?graph=dev). Outlook's
// compose window has already autosaved a plaintext draft; the pane says so, Alice writes in the
// pane's own editor, saves an encrypted draft (a MIME upload to Drafts), reopens it and sends it
// encrypted; the pane then deletes the encrypted draft and Outlook's plaintext one permanently.
// The test reads what the fake Graph stored at each step and which requests it got.
// Screenshots go to test-results/outlook-drafts-*.jpg.
// Run by outlook.test.mjs in its process and chromium (one browser start for every Outlook
// file); alone: node --test tests/e2e/outlook-drafts.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { devMailRoutes } from '../../scripts/devmail.mjs';
import { ensureDemo } from '../../scripts/demo.mjs';
import { ROOT, openssl } from '../shared.mjs';
import { outlookStage, outlookTab, unlock } from './outlook-world.mjs';
import { PASSPHRASE, shoot } from './world.mjs';

const TIMEOUT = 30_000;
const SUBJECT = 'Acquisition of Zanzibar Ltd';
const BODY = 'Offer: 41 million, code name swordfish.';

let stage, baseUrl, ctx, mailRoot, demo;
const blocked = [];
/** Every request the fake Graph got: "METHOD path". */
const requests = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'taskpane.html')), 'dist/ is built (npm test builds it first)');
  mailRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-e2e-odrafts-'));
  demo = ensureDemo(mailRoot, { keptKeys: true });
  const routes = devMailRoutes({ root: mailRoot }).map((r) => ({
    ...r,
    handle: (req, res, m) => {
      requests.push(`${req.method} ${req.url}`);
      return r.handle(req, res, m);
    },
  }));
  stage = await outlookStage(routes, blocked, { height: 1000 });
  baseUrl = stage.baseUrl;
  ctx = await stage.client();
});

after(async () => {
  await stage?.close();
  if (mailRoot) fs.rmSync(mailRoot, { recursive: true, force: true });
});

function files(address, folder) {
  const d = path.join(mailRoot, address, folder);
  return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.eml')).sort().map((f) => path.join(d, f)) : [];
}

/** The encrypted drafts Cachet stored, after checking that none shows anything of the message. */
function encryptedDrafts(what) {
  const out = [];
  for (const f of files('alice@example.org', 'drafts')) {
    const raw = fs.readFileSync(f, 'latin1');
    if (!/^X-Cachet-Draft:/m.test(raw)) continue;
    for (const s of ['Zanzibar', 'swordfish', 'bob@example.net', 'Acquisition', '41 million']) assert.ok(!raw.includes(s), `${what}: the encrypted draft shows ${s}`);
    assert.match(raw, /application\/pkcs7-mime/);
    out.push(f);
  }
  return out;
}

async function shot(page, name) {
  await shoot(page, `outlook-drafts-${name}`);
}

test('Outlook: the plaintext draft is named, the confidential draft is stored encrypted through Graph, reopened, sent; both drafts are deleted permanently', async () => {
  const alice = demo.identities.find((i) => i.address === 'alice@example.org');
  const bob = demo.identities.find((i) => i.address === 'bob@example.net');
  const bobCert = path.join(mailRoot, 'bob-cert.pem');
  openssl(['pkcs12', '-in', bob.p12, '-passin', `pass:${bob.password}`, '-nokeys', '-clcerts', '-out', bobCert]);

  // What Alice first typed in Outlook's own window, autosaved by Outlook in plaintext.
  const plain = 'From: alice@example.org\r\nTo: bob@example.net\r\nSubject: Lunch\r\n\r\nSee you at noon.\r\n';
  const created = await fetch(`${baseUrl}/v1.0/me/messages`, { method: 'POST', headers: { Authorization: 'Bearer dev:alice@example.org', 'Content-Type': 'text/plain' }, body: Buffer.from(plain).toString('base64') });
  const outlookDraft = (await created.json()).id;

  const { page, errors } = await outlookTab(ctx, { mode: 'compose', user: { name: 'Alice DEMO', address: 'alice@example.org' }, to: [['Bob DEMO', 'bob@example.net']], subject: 'Lunch', text: 'See you at noon.\n', draftId: `ews:${outlookDraft}` }, { timeout: TIMEOUT });
  await page.goto(`${baseUrl}/taskpane.html?graph=dev`);
  await page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();

  await page.getByRole('tab', { name: 'Certificates' }).click();
  await page.getByLabel('Certificate file', { exact: true }).setInputFiles(demo.ca);
  await page.getByRole('button', { name: 'Trust as root…' }).click();
  await page.getByRole('button', { name: 'Yes, trust as root' }).click();
  await page.locator('[data-anchor^="Cachet DEMO CA"]').waitFor();
  await page.getByLabel('Certificate file with private key').setInputFiles(alice.p12);
  await page.getByLabel('File password').fill(alice.password);
  await page.getByLabel('Passphrase for this device (at least 8 characters)').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.locator('[data-field="imported"]').waitFor();
  await page.getByLabel('Certificate file', { exact: true }).setInputFiles(bobCert);
  await page.getByRole('button', { name: 'Store as contact' }).click();
  await page.locator('[data-contact="bob@example.net"]').waitFor();

  // Normal mode first: bound to Outlook's window (read-only fields).
  await page.getByRole('tab', { name: 'Send securely' }).click();
  assert.equal(await page.locator('[data-field="confidential"] .mode-state').getAttribute('data-mode'), 'normal');
  await page.getByLabel('Confidential mode').check();
  await page.locator('[data-mode="confidential"]').waitFor();
  // The plaintext draft Outlook saved is named before anything is sent.
  const note = page.locator('[data-field="plaintext-draft"]');
  await note.waitFor();
  assert.match(await note.textContent(), /already saved .* as an unencrypted draft/);
  assert.equal(await page.getByLabel('Subject', { exact: true }).isEditable(), true, 'the pane is the editor now');
  assert.equal(await page.getByLabel('Subject', { exact: true }).inputValue(), '');
  await page.getByRole('button', { name: 'Copy it into this editor' }).click();
  assert.equal(await page.getByLabel('Subject', { exact: true }).inputValue(), 'Lunch');
  await page.getByLabel('To', { exact: true }).fill('bob@example.net');
  await page.getByLabel('Subject', { exact: true }).fill(SUBJECT);
  await page.getByLabel('Message text').fill(`${BODY}\n`);
  await page.locator('[data-recipient="bob@example.net"][data-status="ready"]').waitFor();
  await shot(page, 'confidential');

  await page.getByRole('button', { name: 'Save encrypted draft' }).click();
  await page.locator('[data-field="draft-saved"]').waitFor();
  const saved = encryptedDrafts('after saving');
  assert.equal(saved.length, 1, 'one encrypted draft in Drafts');
  assert.equal(files('alice@example.org', 'drafts').length, 2, 'beside Outlook’s own draft');
  assert.ok(requests.some((r) => r === 'POST /v1.0/me/messages'), 'uploaded as MIME through Graph');
  // Only Alice's key opens it (openssl as the peer).
  const aliceKey = path.join(mailRoot, 'alice-key.pem');
  openssl(['pkcs12', '-in', alice.p12, '-passin', `pass:${alice.password}`, '-nodes', '-out', aliceKey]);
  assert.match(openssl(['cms', '-decrypt', '-in', saved[0], '-recip', aliceKey, '-inkey', aliceKey]), /Subject: Acquisition of Zanzibar Ltd/);

  // Reopened by Cachet: the list shows it decrypted, Open puts it back into the fields.
  await page.getByLabel('Message text').fill('overwritten');
  const item = page.locator('.drafts li[data-draft]', { hasText: SUBJECT });
  await item.waitFor();
  await item.getByRole('button', { name: 'Open' }).click();
  await page.locator('[data-field="draft-opened"]').waitFor();
  assert.equal(await page.getByLabel('Message text').inputValue(), `${BODY}\n`);
  assert.equal(await page.getByLabel('Subject', { exact: true }).inputValue(), SUBJECT);
  await shot(page, 'reopened');

  await page.locator('[data-recipient="bob@example.net"][data-status="ready"]').waitFor();
  await page.getByRole('button', { name: 'Send securely' }).click();
  await page.locator('[data-field="sent"]').waitFor();
  await page.locator('[data-field="plaintext-deleted"]').waitFor();
  await page.locator('[data-field="draft-removed"]').waitFor();
  assert.match(await page.locator('[data-field="sent"]').textContent(), /encrypted, to bob@example\.net/);
  await shot(page, 'sent');

  // Both drafts are gone, permanently (never a plain DELETE into Deleted Items).
  assert.deepEqual(files('alice@example.org', 'drafts'), []);
  const savedId = path.basename(saved[0], '.eml');
  assert.ok(requests.includes(`POST /v1.0/me/messages/${savedId}/permanentDelete`));
  assert.ok(requests.includes(`POST /v1.0/me/messages/${outlookDraft}/permanentDelete`));
  assert.ok(!requests.some((r) => r.startsWith('DELETE ')), 'no plain delete');
  assert.ok((await page.evaluate(() => window.__fake.calls)).includes('closeAsync'), 'the compose window was closed');
  const [delivered] = files('bob@example.net', 'inbox');
  const raw = fs.readFileSync(delivered, 'latin1');
  assert.match(raw, /application\/pkcs7-mime/);
  assert.ok(!raw.includes('swordfish'), 'the text went encrypted');
  assert.deepEqual(errors, []);
  assert.deepEqual(blocked, [], 'no request left the machine');
});

test('Outlook: turning confidential mode off saves what was written as an encrypted draft first, then shows Outlook’s window again', async () => {
  const { page, errors } = await outlookTab(ctx, { mode: 'compose', user: { name: 'Alice DEMO', address: 'alice@example.org' }, subject: 'Typed in Outlook', text: 'Outlook text\n', draftId: 'ews:none' }, { timeout: TIMEOUT });
  await page.goto(`${baseUrl}/taskpane.html?graph=dev`);
  await page.locator('#core-version').filter({ hasText: 'S/MIME engine version' }).waitFor();
  // The same Outlook profile: the identity is stored, locked in this new pane.
  await unlock(page);
  await page.getByRole('tab', { name: 'Send securely' }).click();
  await page.getByLabel('Confidential mode').check();
  await page.locator('[data-mode="confidential"]').waitFor();
  await page.getByLabel('Subject', { exact: true }).fill('Zanzibar second thoughts');
  await page.getByLabel('Message text').fill('swordfish again\n');
  const before = encryptedDrafts('before switching off').length;
  await page.getByLabel('Confidential mode').uncheck();
  await page.locator('[data-mode="normal"]', { hasText: 'saved as an encrypted draft' }).waitFor();
  assert.equal(encryptedDrafts('after switching off').length, before + 1);
  await page.waitForFunction(() => [...document.querySelectorAll('input')].some((i) => i.value === 'Typed in Outlook' && i.readOnly));
  assert.equal(await page.getByLabel('Subject', { exact: true }).inputValue(), 'Typed in Outlook', 'bound to Outlook’s window again');
  assert.deepEqual(errors, []);
});
