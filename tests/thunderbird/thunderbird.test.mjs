// Cachet in a real headless Thunderbird 153 (issue 13, test 3): Bob installs the extension
// (dist/thunderbird/, loaded temporarily), imports his identity and trusts the demo CA on the
// options page (the certificate panel), then opens openssl-made mail from Alice: the banner
// at the top of the message pane (read from its DOM) has the read pane's words for signed,
// tampered and disclaimer-appended mail, once per message however often it is displayed, and
// a message's own HTML cannot hide it; the header button's popup is the read pane; Alice's certificate lands in Bob's contacts; the
// encrypted message, which Thunderbird itself cannot open, opens with one click on the Cachet
// toolbar button in Cachet's viewer tab, its text in the sandboxed frame and in no file, its
// attachment saveable.
// Compose: Bob writes to Alice in Thunderbird's composer, chooses Encrypt in Cachet's popup
// and presses Send: Cachet builds, signs and encrypts, and its Experiment sends exactly those
// bytes to a loopback SMTP sink (openssl decrypts and verifies them as Alice); to a recipient
// without a certificate nothing is sent and the popup says why; Sign alone is the default.
// Thunderbird is killed by its PID and its profile deleted at the end.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openssl } from '../shared.mjs';
import { importTs } from '../ts.mjs';
import { smtpSink } from './smtp-sink.mjs';
import { EXTENSION_DIR, EXTENSION_ID, PASSPHRASE, addAccountAndFolder, createWorld, thunderbirdMissing } from './world.mjs';

const missing = thunderbirdMissing();
const skip = missing === null ? false : `skipped: ${missing}`;
let w = null;
let words = null;

before(async () => {
  if (skip) return;
  assert.ok(fs.existsSync(path.join(EXTENSION_DIR, 'manifest.json')), 'dist/thunderbird/ is built (npm test builds it first)');
  words = await importTs('addin/src/ui/status-text.ts');
  // A short idle timeout for the event page shows that an unlocked keyring keeps it running.
  w = await createWorld('thunderbird', { prefs: { 'extensions.background.idle.timeout': 6000 } });
  const installed = await w.m.send('Addon:Install', { path: EXTENSION_DIR, temporary: true });
  assert.equal(installed.value, EXTENSION_ID);
  const msgs = w.messages;
  await addAccountAndFolder(w, [msgs.signed, msgs.tampered, msgs.disclaimerAppended, msgs.encrypted, msgs.hostile]);
});

after(async () => {
  if (!w) return;
  const { pid, profile } = w.tb;
  await w.stop();
  assert.throws(() => process.kill(pid, 0), /ESRCH/, 'Thunderbird is gone');
  assert.equal(fs.existsSync(profile), false, 'the profile is deleted');
});

/**
 * Select the message whose subject is `subject` and wait for Cachet's banner in its pane;
 * returns what the banner says (or, with `buttonAttributes`, the header button's attributes).
 */
async function showMessage(subject, buttonAttributes = false) {
  return w.run(`
    const about3Pane = tabmail.currentAbout3Pane;
    const view = about3Pane.gDBView;
    let row = -1;
    for (let i = 0; i < view.rowCount; i++) if (view.getMsgHdrAt(i).mime2DecodedSubject === args.subject) row = i;
    if (row < 0) throw new Error("no message " + args.subject);
    const before = about3Pane.threadTree.selectedIndex === row ? null : messagePane().contentDocument;
    about3Pane.threadTree.selectedIndex = row;
    // The banner is the body's first child; its content is in a closed shadow root (chrome code sees it).
    const content = (d) => { const b = d.body?.firstElementChild; return b?.id === "cachet-banner" ? b.openOrClosedShadowRoot : null; };
    const doc = await until("the banner of " + args.subject, () => {
      const d = messagePane().contentDocument;
      return d !== before && content(d)?.querySelector(".cachet-title") ? d : null;
    });
    // Thunderbird may report the display more than once: give it time to do so.
    await sleep(1500);
    const d = messagePane().contentDocument;
    const banner = d.body.firstElementChild;
    const root = content(d);
    // Thunderbird names the message_display_action button after the extension's id.
    const button = tabmail.currentAbout3Pane.messageBrowser.contentWindow.document.getElementById(${JSON.stringify(`${EXTENSION_ID.replace(/[^a-z0-9_-]/gi, '_')}-messageDisplayAction-toolbarbutton`)});
    if (args.buttonAttributes) return [...button.attributes].map((a) => a.name + "=" + a.value);
    return {
      count: [...d.querySelectorAll("*")].filter((e) => e.openOrClosedShadowRoot?.querySelector(".cachet-title")).length,
      first: banner.id === "cachet-banner",
      shown: d.defaultView.getComputedStyle(banner).display === "block" && d.defaultView.getComputedStyle(banner).visibility === "visible",
      status: banner.dataset.status,
      title: root.querySelector(".cachet-title").textContent,
      advice: root.querySelector(".cachet-advice")?.textContent ?? null,
      note: root.querySelector(".cachet-note")?.textContent ?? null,
      html: root.innerHTML.includes("<script"),
      tooltip: button?.getAttribute("tooltiptext") ?? button?.getAttribute("title") ?? button?.getAttribute("label") ?? null,
      sameDoc: d === doc,
    };
  `, { subject, buttonAttributes });
}

/** Ask the background page (`window.cachet`) something. */
function inBackground(expression) {
  return w.run(`return inPage(backgroundBrowser(), "await window.cachet.ready; return " + args.expression + ";");`, { expression });
}

/** How often the background's reader has opened a message. */
const opens = () => inBackground('window.cachet.reader.opens');

/** Run `body` in the options page (the certificate panel), opened in a tab on first use and kept. */
function inOptions(body, pageArgs = {}) {
  return w.run(`
    const url = extension().getURL("tb-options.html");
    let info = tabmail.tabInfo.find((t) => t.browser?.currentURI?.spec === url);
    if (!info) {
      tabmail.openTab("contentTab", { url, background: true });
      info = await until("the options tab", () => tabmail.tabInfo.find((t) => t.browser?.currentURI?.spec === url && !t.browser.webProgress?.isLoadingDocument));
    }
    return inPage(info.browser, 'await until("the certificate panel", () => document.querySelector(".cert-panel"));' + args.body, args.pageArgs);
  `, { body, pageArgs });
}

test('Bob imports his identity and trusts the demo CA on the options page (the certificate panel)', { skip }, async () => {
  const r = await inOptions(`
    await until("the engine", () => document.getElementById("core-version")?.textContent.includes("S/MIME engine version"));
    setFile(byLabel("Certificate file with private key"), "bob.p12", args.p12);
    byLabel("File password").value = args.password;
    byLabel("Passphrase for this device (at least 8 characters)").value = args.passphrase;
    byLabel("File password").form.requestSubmit();
    await until("the import", () => document.querySelector('[data-field="imported"]'), 60000);
    setFile(byLabel("Certificate file"), "demo-ca.pem", args.ca);
    const trust = await until("the CA offered", () => [...document.querySelectorAll("button")].find((b) => b.textContent === "Trust as root…"));
    trust.click();
    // A root makes everything it issues trusted: the panel asks first.
    const yes = await until("the confirmation", () => [...document.querySelectorAll("button")].find((b) => b.textContent === "Yes, trust as root"));
    yes.click();
    await until("the CA trusted", () => document.body.textContent.includes("Trusted as a root: certificates it issues are trusted."));
    return { lock: document.querySelector("[data-lock]")?.dataset.lock, text: document.body.textContent };
  `, { p12: fs.readFileSync(w.bob.p12).toString('base64'), password: w.bob.password, passphrase: PASSPHRASE, ca: fs.readFileSync(w.demo.ca).toString('base64') });
  assert.equal(r.lock, 'unlocked');
  assert.match(r.text, /Bob DEMO/);
  await w.run('tabmail.switchToTab(0);');
});

test('signed, tampered and disclaimer-appended mail: the banner at the top of the pane has the read pane’s words', { skip }, async () => {
  const attributes = await showMessage('Signed hello', true);
  assert.ok(attributes.includes('label=Cachet'), 'the header button keeps its short label');
  const signed = await showMessage('Signed hello');
  await w.screenshot('signed');
  assert.equal(signed.status, 'valid');
  assert.equal(signed.title, 'Signed by Alice DEMO <alice@example.org>');
  assert.match(signed.advice, /^Certificate by .*Cachet DEMO CA.*, valid until \d{4}-\d\d-\d\d\.$/);
  assert.equal(signed.count, 1, 'one banner');
  assert.equal(signed.first, true, 'at the top of the pane');
  assert.equal(signed.html, false);
  assert.match(signed.note, /The certificate of alice@example.org is stored/);
  assert.equal(signed.shown, true);
  assert.equal(signed.tooltip, 'Cachet: Signed by Alice DEMO <alice@example.org>', 'the header button says it too');

  const tampered = await showMessage('Tampered copy');
  await w.screenshot('tampered');
  assert.equal(tampered.status, 'tampered');
  assert.equal(tampered.title, words.statusText({ status: 'tampered', layers: [] }).title);
  assert.equal(tampered.title, 'Changed after signing');
  assert.equal(tampered.advice, words.statusText({ status: 'tampered', layers: [] }).advice);
  assert.equal(tampered.count, 1);

  const disclaimer = await showMessage('Disclaimer copy');
  await w.screenshot('disclaimer');
  assert.equal(disclaimer.status, 'tampered');
  assert.equal(disclaimer.title, 'Changed after signing');
  assert.equal(disclaimer.count, 1);
});

test('a message’s own HTML and CSS cannot hide, restyle or take over the banner', { skip }, async () => {
  const r = await showMessage('Looks signed');
  await w.screenshot('hostile');
  assert.equal(r.first, true);
  assert.equal(r.shown, true, 'the message’s style sheet did not hide it');
  assert.equal(r.status, 'unsigned');
  assert.equal(r.title, 'Not signed');
  assert.equal(r.count, 1);
  assert.equal(r.tooltip, 'Cachet: Not signed');
});

test('displaying a message again neither opens it again nor stacks banners', { skip }, async () => {
  const before = await opens();
  for (const subject of ['Signed hello', 'Tampered copy', 'Signed hello']) {
    const r = await showMessage(subject);
    assert.equal(r.count, 1, `one banner on ${subject}`);
    assert.equal(r.sameDoc, true);
  }
  assert.equal(await opens(), before, 'every message was opened once (the reader keeps its result)');
});

test('the message header’s Cachet popup shows the read pane for the displayed message', { skip }, async () => {
  await showMessage('Signed hello');
  const r = await w.run(`
    const aboutMessage = tabmail.currentAbout3Pane.messageBrowser.contentWindow;
    const btn = await until("the header button", () => aboutMessage.document.querySelector('[extension=${JSON.stringify(EXTENSION_ID)}]') ?? aboutMessage.document.querySelector('toolbarbutton[id*="cachet"]'));
    btn.click();
    const url = extension().getURL("tb-message.html");
    const browser = await until("the popup", () => [...win.document.querySelectorAll("browser"), ...aboutMessage.document.querySelectorAll("browser")].find((b) => b.currentURI?.spec === url));
    await until("the popup's page", () => browser.browsingContext?.currentWindowGlobal);
    return inPage(browser, args.page);
  `, { page: `
    const banner = await until("the popup's banner", () => document.getElementById("status-banner"));
    return { status: banner.dataset.status, title: banner.querySelector(".banner-title").textContent };
  ` });
  await w.screenshot('popup');
  assert.equal(r.status, 'valid');
  assert.equal(r.title, 'Signed by Alice DEMO <alice@example.org>');
  await w.run('win.document.querySelectorAll("panel").forEach((p) => p.hidePopup?.()); await sleep(300);');
});

test('Alice’s certificate is in Bob’s contacts', { skip }, async () => {
  const r = await inOptions(`
    const list = await until("the contact", () => { const l = document.querySelector('[aria-label="Contacts’ certificates"]'); return l?.textContent.includes("alice@example.org") && l; });
    return list.textContent;
  `);
  assert.match(r, /alice@example\.org/);
  assert.match(r, /issued by CN=Cachet DEMO CA/);
  await w.run('tabmail.switchToTab(0);');
});

test('encrypted mail only Cachet can open: one click on the toolbar button opens the viewer tab with the decrypted text in the sandboxed frame', { skip }, async () => {
  const r = await w.run(`
    const about3Pane = tabmail.currentAbout3Pane;
    const view = about3Pane.gDBView;
    let row = -1;
    for (let i = 0; i < view.rowCount; i++) if (view.getMsgHdrAt(i).mime2DecodedSubject === "Encrypted hello") row = i;
    about3Pane.threadTree.selectedIndex = row;
    await sleep(2000);
    // Thunderbird has no key for it: no Cachet banner in its pane.
    const paneBanner = !!messagePane().contentDocument?.getElementById("cachet-banner");
    const action = await until("the toolbar button", () => win.document.querySelector('button[extension=${JSON.stringify(EXTENSION_ID)}]'));
    const tabsBefore = tabmail.tabInfo.length;
    action.click();
    const url = extension().getURL("tb-message.html");
    const info = await until("the viewer tab", () => tabmail.tabInfo.find((t) => t.browser?.currentURI?.spec.startsWith(url + "?message=")));
    await until("the viewer's page", () => info.browser.browsingContext?.currentWindowGlobal && !info.browser.webProgress?.isLoadingDocument);
    const page = await inPage(info.browser, args.page);
    return { paneBanner, tabsAdded: tabmail.tabInfo.length - tabsBefore, selected: tabmail.currentTabInfo === info, ...page };
  `, { page: `
    const banner = await until("the viewer's banner", () => document.getElementById("status-banner"));
    const frame = await until("the content frame", () => document.querySelector("iframe.content-frame"));
    const save = await until("the attachment's Save button", () => document.querySelector('button[data-save]'));
    const saveLabel = save.textContent;
    save.click();
    return { status: banner.dataset.status, title: banner.querySelector(".banner-title").textContent, sandbox: frame.getAttribute("sandbox"), srcdoc: frame.srcdoc, saveLabel };
  ` });
  await w.screenshot('viewer');
  assert.equal(r.paneBanner, false, 'Thunderbird showed its own page (no display script ran)');
  assert.equal(r.tabsAdded, 1);
  assert.equal(r.selected, true);
  assert.equal(r.status, 'unsigned');
  assert.equal(r.title, 'Decrypted; not signed');
  assert.equal(r.sandbox, '', 'sandbox="" : no scripts, no same origin');
  assert.match(r.srcdoc, /this one is secret\./);
  assert.match(r.srcdoc, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
  // The attachment, decoded by the core from the decrypted content, saved where the user saves files.
  assert.equal(r.saveLabel, 'Save notes.txt');
  const saved = path.join(w.downloads, 'notes.txt');
  for (let i = 0; i < 100 && !(fs.existsSync(saved) && fs.statSync(saved).size > 0); i++) await new Promise((res) => setTimeout(res, 100));
  assert.equal(fs.readFileSync(saved, 'utf8'), w.messages.attachment);
  // The plaintext is in memory only: no file of the profile holds it.
  const needle = Buffer.from('this one is secret.');
  const hits = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.statSync(p).size < 64 << 20 && fs.readFileSync(p).includes(needle)) hits.push(path.relative(w.tb.profile, p));
    }
  };
  walk(w.tb.profile);
  assert.deepEqual(hits, []);
});

/** Open a plain-text composer from Bob to `to`; returns nothing (the composer is the most recent "msgcompose" window). */
async function openComposer(to, subject, body) {
  await w.run(`
    const identity = MailServices.accounts.allIdentities.find((i) => i.email === "bob@example.net");
    const fields = Cc["@mozilla.org/messengercompose/composefields;1"].createInstance(Ci.nsIMsgCompFields);
    fields.to = args.to;
    fields.subject = args.subject;
    fields.body = args.body;
    const params = Cc["@mozilla.org/messengercompose/composeparams;1"].createInstance(Ci.nsIMsgComposeParams);
    params.composeFields = fields;
    params.identity = identity;
    params.format = Ci.nsIMsgCompFormat.PlainText;
    params.type = Ci.nsIMsgCompType.New;
    const before = Services.wm.getMostRecentWindow("msgcompose");
    MailServices.compose.OpenComposeWindowWithParams(null, params);
    await until("the composer", () => { const c = Services.wm.getMostRecentWindow("msgcompose"); return c && c !== before && c.gMsgCompose && c.document.readyState === "complete" && c; });
    await sleep(1500);
  `, { to, subject, body });
}

/** Open the composer's Cachet popup and run `page` (a page script body) in it. */
function inComposePopup(page, pageArgs = {}) {
  return w.run(`
    const cw = Services.wm.getMostRecentWindow("msgcompose");
    // Thunderbird names the compose_action button after the extension's id.
    const btn = await until("the compose button", () => cw.document.getElementById(${JSON.stringify(`${EXTENSION_ID.replace(/[^a-z0-9_-]/gi, '_')}-composeAction-toolbarbutton`)}));
    const url = extension().getURL("tb-compose.html");
    let browser = [...cw.document.querySelectorAll("browser")].find((b) => b.currentURI?.spec === url);
    if (!browser) {
      btn.click();
      browser = await until("the compose popup", () => [...cw.document.querySelectorAll("browser")].find((b) => b.currentURI?.spec === url));
    }
    await until("the popup's page", () => browser.browsingContext?.currentWindowGlobal && !browser.webProgress?.isLoadingDocument);
    return inPage(browser, args.page, args.pageArgs);
  `, { page, pageArgs });
}

test('compose: Bob signs and encrypts to Alice from Thunderbird’s composer; Cachet sends the bytes it built through the Experiment to the SMTP sink', { skip }, async () => {
  const outgoingBefore = new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('cachet-outgoing')));
  const sink = await smtpSink();
  try {
    await w.run(`
      const identity = MailServices.accounts.allIdentities.find((i) => i.email === "bob@example.net");
      const server = MailServices.outgoingServer.createServer("smtp");
      const smtp = server.QueryInterface(Ci.nsISmtpServer);
      smtp.hostname = "127.0.0.1";
      smtp.port = args.port;
      server.authMethod = Ci.nsMsgAuthMethod.none;
      server.socketType = Ci.nsMsgSocketType.plain;
      identity.smtpServerKey = server.key;
    `, { port: sink.port });
    await openComposer('Alice DEMO <alice@example.org>', 'Secure hello', 'Hello Alice,\nthis comes from Thunderbird.');
    const popup = await inComposePopup(`
      await until("the recipients", () => document.querySelector('[data-recipient="alice@example.org"]'));
      const sign = document.getElementById("tb-sign");
      const encrypt = document.getElementById("tb-encrypt");
      const signDefault = sign.checked;
      encrypt.checked = true;
      encrypt.dispatchEvent(new Event("change", { bubbles: true }));
      return { signDefault, alice: document.querySelector('[data-recipient="alice@example.org"]').dataset.status, identity: document.querySelector('[data-field="identity"]').textContent };
    `);
    assert.equal(popup.signDefault, true, 'Sign is on once an identity exists');
    assert.equal(popup.alice, 'ready', 'Alice’s certificate came from her signed mail');
    assert.equal(popup.identity, 'Signing as bob@example.net.');
    await w.screenshot('compose', 'msgcompose');
    const closed = await w.run(`
      const cw = Services.wm.getMostRecentWindow("msgcompose");
      cw.document.querySelectorAll("panel").forEach((p) => p.hidePopup?.());
      await sleep(300);
      cw.goDoCommand("cmd_sendNow");
      await until("the composer to close", () => cw.closed, 30000);
      return true;
    `);
    assert.equal(closed, true, 'the composer closed without a prompt');
    const [sent] = await sink.until(1);
    assert.equal(sent.from, 'bob@example.net');
    assert.deepEqual(sent.to, ['alice@example.org']);
    const mime = sent.data.toString('latin1');
    assert.match(mime, /^Content-Type: application\/pkcs7-mime; smime-type=enveloped-data;\s+name="smime\.p7m"/m);
    assert.doesNotMatch(mime, /this comes from Thunderbird/, 'nothing readable on the wire');
    // openssl, as Alice: decrypt, then verify Bob's signature against the demo CA.
    const f = (n) => path.join(w.tmp, n);
    fs.writeFileSync(f('sent.eml'), sent.data);
    openssl(['cms', '-decrypt', '-in', f('sent.eml'), '-inkey', f('alice.key'), '-recip', f('alice.pem'), '-out', f('sent-inner.eml')]);
    const verified = openssl(['smime', '-verify', '-in', f('sent-inner.eml'), '-CAfile', w.demo.ca]).replace(/=\r?\n/g, '');
    assert.match(verified, /this comes from Thunderbird\./);
    // Always also encrypted to the sender: Bob's own key opens it too.
    openssl(['pkcs12', '-in', w.bob.p12, '-passin', `pass:${w.bob.password}`, '-nodes', '-nocerts', '-out', f('bob.key')]);
    openssl(['cms', '-decrypt', '-in', f('sent.eml'), '-inkey', f('bob.key'), '-recip', f('bob.pem'), '-out', f('sent-bob.eml')]);
    assert.ok(fs.readFileSync(f('sent-bob.eml')).equals(fs.readFileSync(f('sent-inner.eml'))));
    // Thunderbird filed a copy in Bob's Sent folder.
    const sentCopies = await w.run(`
      const { MailUtils } = ChromeUtils.importESModule("resource:///modules/MailUtils.sys.mjs");
      const identity = MailServices.accounts.allIdentities.find((i) => i.email === "bob@example.net");
      const folder = await until("the Sent folder", () => MailUtils.getExistingFolder(identity.fccFolderURI));
      return until("the Sent copy", () => folder.getTotalMessages(false));
    `);
    assert.equal(sentCopies, 1);
    // The Experiment's temporary file is gone once the message went out.
    // (Thunderbird removes it right after sending: allow it a moment on a busy machine. Files
    // another Thunderbird left there before this test are not this send's.)
    const ours = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('cachet-outgoing') && !outgoingBefore.has(n));
    for (let i = 0; i < 50 && ours().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(ours(), []);

    // A recipient without a certificate: nothing is sent, the draft stays, the popup says why.
    await openComposer('carol@example.org', 'For Carol', 'No certificate for Carol.');
    await inComposePopup(`
      const encrypt = document.getElementById("tb-encrypt");
      encrypt.checked = true;
      encrypt.dispatchEvent(new Event("change", { bubbles: true }));
      return true;
    `);
    const refused = await w.run(`
      const cw = Services.wm.getMostRecentWindow("msgcompose");
      cw.document.querySelectorAll("panel").forEach((p) => p.hidePopup?.());
      await sleep(300);
      cw.goDoCommand("cmd_sendNow");
      await sleep(3000);
      return { open: !cw.closed };
    `);
    assert.equal(refused.open, true, 'the draft is kept');
    const why = await inComposePopup(`
      const b = await until("the refusal", () => document.querySelector('[data-field="blockers"]'));
      return b.textContent;
    `);
    assert.match(why, /carol@example\.org: missing: no certificate yet\./);
    assert.equal(sink.messages.length, 1, 'nothing more was sent');
    // Bob gives up on that one: its window goes, and with it the choice the background kept.
    assert.equal(await inBackground('window.cachet.composer.holdsChoices'), true);
    await w.run(`
      const cw = Services.wm.getMostRecentWindow("msgcompose");
      cw.document.querySelectorAll("panel").forEach((p) => p.hidePopup?.());
      cw.gContentChanged = false;
      cw.gMsgCompose.bodyModified = false;
      cw.close();
      await until("the refused composer to close", () => cw.closed);
    `);
    assert.equal(await inBackground('window.cachet.composer.holdsChoices'), false);

    // Sign only (the default once Bob has an identity), without opening the popup: Send goes
    // through Cachet, and openssl verifies the clear-signed message.
    await openComposer('carol@example.org', 'Signed for Carol', 'Signed, not secret.');
    await w.run(`
      const cw = Services.wm.getMostRecentWindow("msgcompose");
      cw.goDoCommand("cmd_sendNow");
      await until("the composer to close", () => cw.closed, 30000);
    `);
    const [, signedOut] = await sink.until(2);
    assert.deepEqual(signedOut.to, ['carol@example.org']);
    assert.match(signedOut.data.toString('latin1'), /^Content-Type: multipart\/signed;/m);
    fs.writeFileSync(f('signed-out.eml'), signedOut.data);
    assert.match(openssl(['smime', '-verify', '-in', f('signed-out.eml'), '-CAfile', w.demo.ca]).replace(/=\r?\n/g, ''), /Signed, not secret\./);
  } finally {
    await sink.close();
  }
});

test('the unlocked keyring keeps the event page running past Thunderbird’s idle timeout', { skip }, async () => {
  // The profile suspends an idle event page after 6 s. With every Cachet page closed, only
  // the background's own keep-alive frame (there while an identity is unlocked) can keep it.
  await w.run('for (let i = tabmail.tabInfo.length - 1; i > 0; i--) tabmail.closeTab(tabmail.tabInfo[i]); await sleep(200);');
  await new Promise((r) => setTimeout(r, 8000));
  const state = await w.run('return extension().extension.backgroundState;');
  assert.equal(state, 'running');
  assert.equal(await inBackground('window.cachet.session.unlockedCount'), 1);
  assert.equal(await inBackground('window.cachet.composer.holdsChoices'), false, 'only the unlocked keyring kept it');
});
