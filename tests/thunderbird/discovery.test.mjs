// Cachet in a real headless Thunderbird 153 (issue 19, discovery): "Find certificates in my
// mail" on the options page lists Bob's Inbox through messages.query (folders.query by special
// use, continueList), reads each message with getRaw, and stores only the valid signer of the
// openssl-made mail (Alice, demo CA trusted); tampered copies, the encrypted message and the
// unsigned HTML are skipped with their reasons. Thunderbird is killed by its PID and its profile
// deleted at the end. Without Thunderbird 153 the test is reported as skipped with the reason.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { EXTENSION_DIR, EXTENSION_ID, PASSPHRASE, createWorld, thunderbirdMissing } from './world.mjs';

const missing = thunderbirdMissing();
const skip = missing === null ? false : `skipped: ${missing}`;
let w = null;

before(async () => {
  if (skip) return;
  assert.ok(fs.existsSync(path.join(EXTENSION_DIR, 'manifest.json')), 'dist/thunderbird/ is built (npm test builds it first)');
  w = await createWorld('tb-discovery');
  const installed = await w.m.send('Addon:Install', { path: EXTENSION_DIR, temporary: true });
  assert.equal(installed.value, EXTENSION_ID);
  const m = w.messages;
  // Bob's account with the messages in its Inbox (the folder flagged Inbox, as folders.query finds it).
  await w.run(`
    const server = MailServices.accounts.createIncomingServer("bob", "127.0.0.1", "pop3");
    server.port = 1;
    server.doBiff = false;
    server.loginAtStartUp = false;
    const identity = MailServices.accounts.createIdentity();
    identity.email = "bob@example.net";
    const account = MailServices.accounts.createAccount();
    account.incomingServer = server;
    account.addIdentity(identity);
    const root = server.rootFolder;
    let inbox = root.getFolderWithFlags(Ci.nsMsgFolderFlags.Inbox);
    if (!inbox) {
      inbox = root.QueryInterface(Ci.nsIMsgLocalMailFolder).createLocalSubfolder("Inbox");
      inbox.setFlag(Ci.nsMsgFolderFlags.Inbox);
    }
    inbox = inbox.QueryInterface(Ci.nsIMsgLocalMailFolder);
    for (const msg of args.messages) inbox.addMessage(msg);
    tabmail.currentAbout3Pane.displayFolder(inbox.URI);
    await until("the Inbox listed", () => tabmail.currentAbout3Pane.threadTree.view.rowCount === args.messages.length);
  `, { messages: [m.signed, m.tampered, m.disclaimerAppended, m.encrypted, m.hostile] });
});

after(async () => {
  if (!w) return;
  const { pid, profile } = w.tb;
  await w.stop();
  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'Thunderbird is gone');
  assert.equal(fs.existsSync(profile), false, 'the profile is deleted');
});

/** Run `body` in the options page (the certificate panel), opened in a tab on first use and kept. */
function inOptions(body, pageArgs = {}) {
  return w.inOptions('await until("the certificate panel", () => document.querySelector(".cert-panel"));', body, pageArgs, 120_000);
}

test('Thunderbird: “Find certificates in my mail” reads the Inbox with messages.query and getRaw and stores only the valid signer', { skip }, async () => {
  const r = await inOptions(`
    await until("the engine", () => document.getElementById("core-version")?.textContent.includes("S/MIME engine version"));
    setFile(byLabel("Certificate file"), "demo-ca.pem", args.ca);
    (await until("the CA offered", () => [...document.querySelectorAll("button")].find((b) => b.textContent === "Trust as root…"))).click();
    (await until("the confirmation", () => [...document.querySelectorAll("button")].find((b) => b.textContent === "Yes, trust as root"))).click();
    await until("the CA trusted", () => document.body.textContent.includes("Trusted as a root: certificates it issues are trusted."));
    const find = await until("the harvest button", () => [...document.querySelectorAll("button")].find((b) => b.textContent === "Find certificates in my mail"));
    find.click();
    const done = await until("the summary", () => document.querySelector('[data-field="harvest-done"]'), 60000);
    return {
      done: done.textContent,
      stored: [...document.querySelectorAll('[data-field="harvest-stored"] [data-address]')].map((e) => e.dataset.address),
      skipped: [...document.querySelectorAll('[data-field="harvest-skipped"] li')].map((e) => e.textContent),
      contacts: document.querySelector('[aria-label="Contacts’ certificates"]').textContent,
    };
  `, { ca: fs.readFileSync(w.demo.ca).toString('base64'), passphrase: PASSPHRASE });
  await w.run('tabmail.switchToTab(tabmail.tabInfo.length - 1);');
  await w.screenshot('harvest');
  assert.match(r.done, /^Checked 5 messages: 3 signed messages found, 1 certificate stored, 0 already known, 0 changed\./, r.done);
  assert.deepEqual(r.stored, ['alice@example.org']);
  const has = (re) => assert.ok(r.skipped.some((s) => re.test(s)), `${re} in ${JSON.stringify(r.skipped)}`);
  has(/^2 messages: changed after signing — e\.g\. .*“Tampered copy”.*“Disclaimer copy”|^2 messages: changed after signing — e\.g\. .*“Disclaimer copy”.*“Tampered copy”/);
  has(/^1 message: encrypted: open it to check the signature inside/);
  has(/^1 message: not signed — e\.g\. “Looks signed”/);
  assert.match(r.contacts, /alice@example\.org/);
});
