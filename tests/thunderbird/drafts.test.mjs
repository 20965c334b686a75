// Encrypted drafts in a real headless Thunderbird 153 (issue 18): Bob writes a confidential
// message in Cachet's own tab (tb-confidential.html), saves it (the Experiment's saveDraft files
// the draft, encrypted to Bob alone, in his identity's Drafts folder through Thunderbird's own
// draft saving), finds it listed, closes the tab, reopens the draft in a new tab and sends it
// encrypted to Alice (the loopback SMTP sink gets it; openssl decrypts it as Alice); the draft is
// then deleted. At each step the test reads every file of Thunderbird's profile and the
// temporary folder: the text, the subject and the attachment are never there in clear.
// Thunderbird is killed by its PID and its profile deleted at the end.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openssl } from '../shared.mjs';
import { smtpSink } from './smtp-sink.mjs';
import { EXTENSION_DIR, EXTENSION_ID, PASSPHRASE, addAccountAndFolder, createWorld, thunderbirdMissing, useSmtpSink } from './world.mjs';

const missing = thunderbirdMissing();
const skip = missing === null ? false : `skipped: ${missing}`;
const SUBJECT = 'Zanzibar board minutes';
const BODY = 'The vault code is swordfish-7781.';
const ATTACHMENT = 'q4,secret-row-991\n';
let w = null;
let sink = null;

before(async () => {
  if (skip) return;
  assert.ok(fs.existsSync(path.join(EXTENSION_DIR, 'tb-confidential.html')), 'dist/thunderbird/ is built (npm test builds it first)');
  w = await createWorld('thunderbird-drafts');
  const installed = await w.m.send('Addon:Install', { path: EXTENSION_DIR, temporary: true });
  assert.equal(installed.value, EXTENSION_ID);
  await addAccountAndFolder(w, []);
  sink = await smtpSink();
  await useSmtpSink(w, sink.port);
});

after(async () => {
  await sink?.close();
  if (!w) return;
  const { pid, profile } = w.tb;
  await w.stop();
  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'Thunderbird is gone');
  assert.equal(fs.existsSync(profile), false, 'the profile is deleted');
});

/** Every file below `dir` (the profile), as [path, bytes]. */
function filesBelow(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesBelow(p));
    else if (e.isFile()) out.push([p, fs.readFileSync(p)]);
  }
  return out;
}

/** No file of the profile, and no Cachet file in the temporary folder, holds any of `secrets` (UTF-8 or UTF-16). */
function assertNothingInClear(what, secrets) {
  // The Experiment's temporary files (cachet-draft.eml, cachet-draft-1.eml, …) in this
  // Thunderbird's own temporary folder (TMPDIR).
  const tmp = fs.readdirSync(w.tb.tmpdir).filter((n) => /^cachet-draft(-\d+)?\.eml$/.test(n)).map((n) => path.join(w.tb.tmpdir, n)).filter((f) => fs.statSync(f, { throwIfNoEntry: false })?.isFile());
  for (const [file, bytes] of [...filesBelow(w.tb.profile), ...tmp.map((f) => [f, fs.readFileSync(f)])]) {
    for (const s of secrets) {
      for (const needle of [Buffer.from(s, 'utf8'), Buffer.from(s, 'utf16le')]) {
        assert.ok(!bytes.includes(needle), `${what}: ${path.relative(w.tb.profile, file)} holds "${s}" in clear`);
      }
    }
  }
}

/** Cachet's drafts in Thunderbird's Drafts folders (read from the folders' databases), and the Drafts folder's file. */
function cachetDrafts() {
  return w.run(`
    const drafts = MailServices.accounts.allFolders.filter((f) => f.getFlag(Ci.nsMsgFolderFlags.Drafts));
    const hdrs = drafts.flatMap((f) => [...f.messages].filter((h) => h.subject === "Encrypted draft (Cachet)").map((h) => f));
    const withFile = hdrs[0] ?? drafts.find((f) => f.filePath?.exists());
    return { count: hdrs.length, folders: drafts.map((f) => f.URI), file: withFile?.filePath?.path ?? null };
  `);
}

/** Run `body` in the options page (the certificate panel), opened in a tab on first use. */
function inOptions(body, pageArgs = {}) {
  return inTab('tb-options.html', 'await until("the certificate panel", () => document.querySelector(".cert-panel"));' + body, pageArgs);
}

/** Run `body` in a tab of the extension's page `file` (opened when none is, or `fresh`). */
function inTab(file, body, pageArgs = {}, fresh = false) {
  return w.run(`
    const url = extension().getURL(args.file);
    let info = tabmail.tabInfo.find((t) => t.browser?.currentURI?.spec === url);
    if (info && args.fresh) {
      tabmail.closeTab(info);
      info = null;
    }
    if (!info) {
      tabmail.openTab("contentTab", { url, background: false });
      info = await until("the tab " + args.file, () => tabmail.tabInfo.find((t) => t.browser?.currentURI?.spec === url && !t.browser.webProgress?.isLoadingDocument));
    }
    tabmail.switchToTab(info);
    return inPage(info.browser, args.body, args.pageArgs);
  `, { file, body, pageArgs, fresh });
}

test('set-up: Bob imports his identity, trusts the demo CA and stores Alice’s certificate', { skip }, async () => {
  const r = await inOptions(`
    await until("the engine", () => document.getElementById("core-version")?.textContent.includes("S/MIME engine version"));
    setFile(byLabel("Certificate file with private key"), "bob.p12", args.p12);
    byLabel("File password").value = args.password;
    byLabel("Passphrase for this device (at least 8 characters)").value = args.passphrase;
    byLabel("File password").form.requestSubmit();
    await until("the import", () => document.querySelector('[data-field="imported"]'), 60000);
    setFile(byLabel("Certificate file"), "demo-ca.pem", args.ca);
    (await until("the CA offered", () => [...document.querySelectorAll("button")].find((b) => b.textContent === "Trust as root…"))).click();
    (await until("the confirmation", () => [...document.querySelectorAll("button")].find((b) => b.textContent === "Yes, trust as root"))).click();
    await until("the CA trusted", () => document.body.textContent.includes("Trusted as a root"));
    setFile(byLabel("Certificate file"), "alice.pem", args.alice);
    (await until("the contact offered", () => [...document.querySelectorAll("button")].find((b) => b.textContent === "Store as contact"))).click();
    await until("Alice stored", () => document.body.textContent.includes("Stored for alice@example.org"));
    return document.querySelector("[data-lock]")?.dataset.lock;
  `, { p12: fs.readFileSync(w.bob.p12).toString('base64'), password: w.bob.password, passphrase: PASSPHRASE, ca: fs.readFileSync(w.demo.ca).toString('base64'), alice: fs.readFileSync(path.join(w.tmp, 'alice.pem')).toString('base64') });
  assert.equal(r, 'unlocked');
});

test('saving: the draft is filed encrypted in Bob’s Drafts folder; nothing of it is in clear in the profile or the temporary folder', { skip }, async () => {
  const r = await inTab('tb-confidential.html', `
    await until("confidential mode", () => document.querySelector('[data-mode="confidential"]'));
    const input = (label, value) => { const e = byLabel(label); e.value = value; e.dispatchEvent(new Event("input", { bubbles: true })); };
    input("To", "alice@example.org");
    input("Subject", args.subject);
    input("Message text", args.body);
    setFile(byLabel("Attachments"), "numbers.csv", args.attachment);
    await until("Alice ready", () => document.querySelector('[data-recipient="alice@example.org"][data-status="ready"]'));
    [...document.querySelectorAll("button")].find((b) => b.textContent === "Save encrypted draft").click();
    await until("the draft saved", () => document.querySelector('[data-field="draft-saved"]'), 30000);
    const item = await until("the draft listed", () => [...document.querySelectorAll(".drafts li[data-draft]")].find((li) => li.textContent.includes(args.subject)));
    const encrypt = [...document.querySelectorAll("label")].find((l) => l.textContent.trim() === "Encrypt").querySelector("input");
    return { state: document.querySelector('[data-mode]').textContent, item: item.textContent, encrypt: encrypt.checked && encrypt.disabled };
  `, { subject: SUBJECT, body: `${BODY}\n`, attachment: Buffer.from(ATTACHMENT).toString('base64') });
  assert.match(r.state, /Confidential — drafts are encrypted/);
  assert.match(r.item, /to alice@example\.org/);
  assert.equal(r.encrypt, true);
  await w.screenshot('confidential-saved');
  const drafts = await cachetDrafts();
  assert.equal(drafts.count, 1, `one encrypted draft in Bob’s Drafts folder: ${JSON.stringify(drafts)}`);
  const mbox = fs.readFileSync(drafts.file, 'latin1');
  assert.match(mbox, /X-Cachet-Draft: encrypted; v=1/);
  assert.match(mbox, /application\/pkcs7-mime/);
  assertNothingInClear('after saving', ['swordfish', 'Zanzibar', 'secret-row', 'numbers.csv']);
  // Bob's key (openssl) opens what Thunderbird filed.
  const one = mbox.slice(mbox.indexOf('From: ')).replace(/^From - .*\r?\n/m, '');
  const eml = path.join(w.tmp, 'draft.eml');
  fs.writeFileSync(eml, one, 'latin1');
  const bobKey = path.join(w.tmp, 'bob-all.pem');
  openssl(['pkcs12', '-in', w.bob.p12, '-passin', `pass:${w.bob.password}`, '-nodes', '-out', bobKey]);
  assert.match(openssl(['cms', '-decrypt', '-in', eml, '-recip', bobKey, '-inkey', bobKey]), /Subject: Zanzibar board minutes/);
});

test('reopening in a new tab, then sending: encrypted to Alice through the Experiment, the draft deleted', { skip }, async () => {
  const r = await inTab('tb-confidential.html', `
    await until("confidential mode", () => document.querySelector('[data-mode="confidential"]'));
    const empty = byLabel("Subject").value === "";
    const item = await until("the draft listed", () => [...document.querySelectorAll(".drafts li[data-draft]")].find((li) => li.textContent.includes(args.subject)));
    [...item.querySelectorAll("button")].find((b) => b.textContent === "Open").click();
    await until("the draft opened", () => document.querySelector('[data-field="draft-opened"]'), 30000);
    const fields = { subject: byLabel("Subject").value, to: byLabel("To").value, text: byLabel("Message text").value, files: [...byLabel("Attachments").files].map((f) => f.name) };
    await until("Alice ready", () => document.querySelector('[data-recipient="alice@example.org"][data-status="ready"]'));
    [...document.querySelectorAll("button")].find((b) => b.textContent === "Send securely").click();
    await until("sent", () => document.querySelector('[data-field="sent"]'), 30000);
    await until("the draft deleted", () => document.querySelector('[data-field="draft-removed"]'), 30000);
    return { empty, fields, sent: document.querySelector('[data-field="sent"]').textContent };
  `, { subject: SUBJECT }, true);
  assert.equal(r.empty, true, 'a new tab starts empty: nothing was kept');
  assert.deepEqual(r.fields, { subject: SUBJECT, to: 'alice@example.org', text: `${BODY}\n`, files: ['numbers.csv'] });
  assert.match(r.sent, /encrypted with 1 attachment, to alice@example\.org/);
  await w.screenshot('confidential-sent');
  const [msg] = await sink.until(1);
  assert.deepEqual(msg.to, ['alice@example.org']);
  const data = msg.data.toString('latin1');
  assert.match(data, /application\/pkcs7-mime/);
  assert.ok(!data.includes('swordfish'));
  const eml = path.join(w.tmp, 'sent.eml');
  fs.writeFileSync(eml, msg.data);
  const aliceKey = path.join(w.tmp, 'alice.key');
  const inner = openssl(['cms', '-decrypt', '-in', eml, '-recip', path.join(w.tmp, 'alice.pem'), '-inkey', aliceKey]);
  assert.match(inner.replace(/=\r?\n/g, ''), /swordfish-7781/);
  assert.equal((await cachetDrafts()).count, 0, 'the encrypted draft is gone from Drafts');
  assertNothingInClear('after sending', ['swordfish', 'secret-row']);
});
