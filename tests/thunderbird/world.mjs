// The world of a Thunderbird test: a headless Thunderbird 153 on a fresh offline profile
// (marionette.mjs), Cachet installed temporarily from dist/thunderbird/, Bob's account and a
// local folder of messages made by openssl from the demo PKI (scripts/demo.mjs), and the UI
// steps Bob takes, run as chrome scripts over Marionette. No request leaves the machine (the
// only account is a POP3 server on 127.0.0.1 that is never polled). Screenshots go to
// test-results/thunderbird-NN-<what>.png.
//
// Extension pages run in their own process (Thunderbird's default). Marionette's content
// context does not reach Thunderbird's tabs, so a chrome script runs page scripts through the
// MarionetteCommands actor of the page's browsing context (`inPage`); the message pane is in
// the main process and is read directly.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDemo } from '../../scripts/demo.mjs';
import { ROOT, openssl } from '../shared.mjs';
import { THUNDERBIRD, launchThunderbird } from './marionette.mjs';

export const RESULTS = path.join(ROOT, 'test-results');
export const EXTENSION_DIR = path.join(ROOT, 'dist', 'thunderbird');
export const EXTENSION_ID = JSON.parse(fs.readFileSync(path.join(ROOT, 'thunderbird', 'manifest.json'), 'utf8')).browser_specific_settings.gecko.id;
export const PASSPHRASE = 'correct horse battery';

/** Why the Thunderbird tests cannot run here, or null. Under CI they must run: no reason is accepted. */
export function thunderbirdMissing() {
  const r = spawnSync(THUNDERBIRD, ['--version'], { encoding: 'utf8', env: { ...process.env, MOZ_HEADLESS: '1' } });
  let reason = null;
  if (r.error) reason = `Thunderbird is not installed (${THUNDERBIRD}: ${r.error.code ?? r.error.message}); npm test installs it with apt where it can`;
  else {
    const major = Number(/Thunderbird (\d+)\./.exec(r.stdout)?.[1] ?? 0);
    if (major < 153) reason = `Thunderbird 153 or newer is needed, found: ${r.stdout.trim() || 'unknown version'}`;
  }
  if (reason !== null && process.env.CI === 'true') throw new Error(`${reason} (under CI the Thunderbird tests must run)`);
  return reason;
}

/** Signed, tampered, disclaimer-appended and encrypted mail from Alice to Bob, made by openssl. */
export function makeMessages(demo, dir) {
  const alice = demo.identities.find((i) => i.address === 'alice@example.org');
  const bob = demo.identities.find((i) => i.address === 'bob@example.net');
  const f = (name) => path.join(dir, name);
  openssl(['pkcs12', '-in', alice.p12, '-passin', `pass:${alice.password}`, '-nodes', '-nocerts', '-out', f('alice.key')]);
  openssl(['pkcs12', '-in', alice.p12, '-passin', `pass:${alice.password}`, '-nokeys', '-clcerts', '-out', f('alice.pem')]);
  openssl(['pkcs12', '-in', bob.p12, '-passin', `pass:${bob.password}`, '-nokeys', '-clcerts', '-out', f('bob.pem')]);
  const date = new Date().toUTCString().replace('GMT', '+0000');
  const headers = (id) => `Date: ${date}\r\nMessage-ID: <${id}@example.org>\r\n`;
  fs.writeFileSync(f('signed-body.txt'), 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nHello Bob,\r\nthis is signed.\r\n');
  const signed = openssl(['smime', '-sign', '-in', f('signed-body.txt'), '-signer', f('alice.pem'), '-inkey', f('alice.key'), '-certfile', demo.ca,
    '-md', 'sha256', '-from', 'Alice DEMO <alice@example.org>', '-to', 'bob@example.net', '-subject', 'Signed hello', '-crlfeol']).replace(/\r?\n/g, '\r\n');
  const disclaimer = 'This e-mail is confidential. Example Corp.';
  const attachment = 'Attachment bytes: 0123456789, only for Bob.\r\n';
  fs.writeFileSync(f('secret-body.txt'), [
    'Content-Type: multipart/mixed; boundary="cachet-b1"', '', '--cachet-b1',
    'Content-Type: text/plain; charset=utf-8', '', 'this one is secret.', '--cachet-b1',
    'Content-Type: text/plain; name="notes.txt"', 'Content-Disposition: attachment; filename="notes.txt"', 'Content-Transfer-Encoding: base64', '',
    Buffer.from(attachment).toString('base64'), '--cachet-b1--', '',
  ].join('\r\n'));
  const encrypted = openssl(['smime', '-encrypt', '-aes256', '-in', f('secret-body.txt'), '-from', 'Alice DEMO <alice@example.org>', '-to', 'bob@example.net',
    '-subject', 'Encrypted hello', f('bob.pem')]).replace(/\r?\n/g, '\r\n');
  return {
    disclaimer,
    attachment,
    signed: headers('signed') + signed,
    tampered: headers('tampered') + signed.replace('Subject: Signed hello', 'Subject: Tampered copy').replace('this is signed.', 'this is signet.'),
    disclaimerAppended: headers('disclaimer') + signed.replace('Subject: Signed hello', 'Subject: Disclaimer copy').replace('this is signed.\r\n', `this is signed.\r\n\r\n-- \r\n${disclaimer}\r\n`),
    // In a thread (References): a reply's References name the thread's start too.
    encrypted: headers('encrypted') + 'References: <thread-start@example.org>\r\n' + encrypted,
    // Unsigned HTML that tries to hide Cachet's banner and show a green one of its own.
    hostile: `${headers('hostile')}From: Alice DEMO <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Looks signed\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n` +
      '<html><head><style>#cachet-banner, .cachet-banner, body > div:first-child { display: none !important; visibility: hidden !important; }</style></head>' +
      '<body><div id="cachet-banner" class="cachet-banner cachet-good"><strong class="cachet-title">Signed by the CEO</strong></div><p>Pay the invoice.</p></body></html>\r\n',
  };
}

/** Helpers of the scripts run inside an extension page (`inPage`). */
const PAGE_HELPERS = `
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  async function until(what, fn, ms = 20000) {
    const end = Date.now() + ms;
    for (;;) {
      let v;
      try { v = await fn(); } catch (e) { v = undefined; }
      if (v) return v;
      if (Date.now() > end) throw new Error("timed out waiting for " + what + "; the page shows: " + document.body.textContent.replace(/\\s+/g, " ").slice(0, 600));
      await sleep(100);
    }
  }
  const byLabel = (text) => {
    const label = [...document.querySelectorAll("label")].find((l) => l.textContent.trim() === text);
    if (!label) throw new Error("no field labelled " + text);
    return document.getElementById(label.htmlFor);
  };
  /**
   * The Sign/Encrypt choice Cachet's background keeps for the composer this compose popup
   * belongs to (the popup finds its composer as it does itself: the active tab of its window).
   */
  async function keptChoice() {
    const [tab] = await messenger.tabs.query({ active: true, currentWindow: true });
    const bg = await messenger.runtime.getBackgroundPage();
    return bg.cachet.composer.choice(tab.id);
  }
  const setFile = (input, name, base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name));
    input.files = dt.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };
`;

/**
 * Every file below `dir` (the profile), as [path, bytes], for the checks that nothing is written
 * in clear. Thunderbird writes some files by writing a temporary one and renaming it
 * (prefs-1.js to prefs.js), and removes others it keeps for a moment (an SQLite journal): when
 * a listed file is gone before it is read, the whole listing is read again (five times at
 * most), so every file of one listing is read.
 */
export function filesBelow(dir) {
  for (let attempt = 1; ; attempt++) {
    const out = [];
    let gone = false;
    const read = (f, fn) => {
      try {
        return fn(f);
      } catch (e) {
        if (e.code !== 'ENOENT' || attempt >= 5) throw e;
        gone = true;
        return null;
      }
    };
    const walk = (d) => {
      for (const e of read(d, (x) => fs.readdirSync(x, { withFileTypes: true })) ?? []) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) {
          const bytes = read(p, (x) => fs.readFileSync(x));
          if (bytes !== null) out.push([p, bytes]);
        }
      }
    };
    walk(dir);
    if (!gone) return out;
  }
}

/** A chrome-script prelude: the 3-pane window and helpers every step uses. */
const PRELUDE = `
  const { MailServices } = ChromeUtils.importESModule("resource:///modules/MailServices.sys.mjs");
  const win = Services.wm.getMostRecentWindow("mail:3pane");
  const tabmail = win.document.getElementById("tabmail");
  const sleep = (ms) => new Promise((r) => win.setTimeout(r, ms));
  async function until(what, fn, ms = 20000, explain = null) {
    const end = Date.now() + ms;
    for (;;) {
      let v;
      try { v = await fn(); } catch (e) { v = undefined; }
      if (v) return v;
      if (Date.now() > end) throw new Error("timed out waiting for " + what + (explain ? ": " + explain() : ""));
      await sleep(100);
    }
  }
  /**
   * Close the popups (panels) of the window of \`doc\`, and wait until they are closed and no
   * page of Cachet's popups is left: Thunderbird removes a popup's browser after the panel has
   * closed, and the page's context goes when the page has unloaded (Cachet's popup pages use
   * the background while they live).
   */
  async function closePopups(doc) {
    const panels = [...doc.querySelectorAll("panel")];
    panels.forEach((p) => p.hidePopup?.());
    const { ExtensionParent } = ChromeUtils.importESModule("resource://gre/modules/ExtensionParent.sys.mjs");
    const views = () => [...(ExtensionParent.GlobalManager.getExtension(${JSON.stringify(EXTENSION_ID)})?.views ?? [])];
    await until("the popups closed and their pages gone", () =>
      panels.every((p) => p.state === undefined || p.state === "closed") && !views().some((v) => v.viewType === "popup"),
      20000, () => JSON.stringify({ panels: panels.map((p) => p.state), popupPages: views().filter((v) => v.viewType === "popup").length }));
  }
  /**
   * What Thunderbird says about composer \`cw\`'s Send, for timeout messages: whether Send is
   * enabled and what disables it, a send under way, where the focus is, its panels, and the
   * send events pressSendIn saw.
   */
  function composerState(cw) {
    if (cw.closed) return JSON.stringify({ closed: true, events: cw.__testSendEvents });
    return JSON.stringify({
      sendEnabled: cw.defaultController?.isCommandEnabled("cmd_sendNow"),
      windowLocked: cw.gWindowLocked, sendLocked: cw.gSendLocked, uploading: cw.gNumUploadingAttachments,
      sending: cw.gSendOperationInProgress, editorReady: cw.composeEditorReady,
      focus: (cw.document.activeElement?.localName ?? "") + "#" + (cw.document.activeElement?.id ?? ""),
      panels: [...cw.document.querySelectorAll("panel")].map((p) => p.state).join(","),
      events: cw.__testSendEvents,
    });
  }
  /**
   * Press Send in composer \`cw\` as the user does: its popups closed, once Send is enabled
   * (goDoCommand silently does nothing otherwise); resolves once Thunderbird has started the
   * send (its "compose-prepare-message-start"), and records the send's events on \`cw\`.
   */
  async function pressSendIn(cw) {
    await closePopups(cw.document);
    await until("Send enabled in the composer", () => cw.defaultController.isCommandEnabled("cmd_sendNow"), 30000, () => composerState(cw));
    const events = cw.__testSendEvents = [];
    for (const type of ["compose-prepare-message-start", "beforesend", "compose-prepare-message-completed"]) {
      cw.addEventListener(type, (e) => events.push(type + (e.detail?.exception ? " (cancelled)" : "") + " " + Math.round(performance.now())));
    }
    events.push("press " + Math.round(performance.now()));
    cw.goDoCommand("cmd_sendNow");
    await until("Thunderbird to start the send", () => events.some((e) => e.startsWith("compose-prepare-message-start")), 30000, () => composerState(cw));
  }
  /** Wait until composer \`cw\` is closed (Cachet closes it after sending); the timeout says its state. */
  async function composerClosed(cw, ms = 30000) {
    try {
      await until("the composer to close", () => cw.closed, ms);
    } catch (e) {
      let cachet = "";
      try {
        cachet = JSON.stringify(await inPage(backgroundBrowser(), "const c = window.cachet.composer, k = window.cachet.core; return { holdsChoices: c.holdsChoices, sent: c.sentLog.length, problems: c.lastProblems(args.tabId), core: { running: k.running?.call.method ?? null, queued: k.queue.length, workers: k.generation } };", { tabId: extension().extension.tabManager.getWrapper(cw).id }));
      } catch (e2) { cachet = String(e2); }
      throw new Error(e.message + ": " + composerState(cw) + "; Cachet: " + cachet);
    }
  }
  const messagePane = () => tabmail.currentAbout3Pane.messageBrowser.contentWindow.document.getElementById("messagepane");
  const extension = () => WebExtensionPolicy.getByID(${JSON.stringify(EXTENSION_ID)});
  /** The browser element of the extension's background page. */
  const backgroundBrowser = () => {
    const { ExtensionParent } = ChromeUtils.importESModule("resource://gre/modules/ExtensionParent.sys.mjs");
    return ExtensionParent.GlobalManager.getExtension(${JSON.stringify(EXTENSION_ID)}).backgroundContext.xulBrowser;
  };
  /**
   * Run \`body\` (an async function body; \`args\` and the page helpers in scope) in the page
   * shown by \`browser\`, in that page's process; its return value comes back.
   */
  function inPage(browser, body, pageArgs = {}) {
    const actor = browser.browsingContext.currentWindowGlobal.getActor("MarionetteCommands");
    const script = "const args = arguments[0];" + ${JSON.stringify(PAGE_HELPERS)} + "return (async () => {" + body + "})();";
    // The page script has the whole run's time (Marionette's own default for it is 10 s).
    return actor.executeScript(script, [pageArgs], { sandboxName: null, wrapReflow: false, line: 0, filename: "cachet-test", timeout: runTimeout });
  }
`;

export async function createWorld(prefix = 'thunderbird', { prefs = {} } = {}) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-tb-world-'));
  // Each test file has a world of its own: the demo PKI's keys are kept between runs (scripts/lib/pki.mjs).
  const demo = ensureDemo(tmp, { keptKeys: true });
  const messages = makeMessages(demo, tmp);
  fs.mkdirSync(RESULTS, { recursive: true });
  // Files the user saves (attachments) go to this folder without a dialog.
  const downloads = path.join(tmp, 'downloads');
  fs.mkdirSync(downloads);
  const saving = {
    'browser.download.folderList': 2,
    'browser.download.dir': downloads,
    'browser.download.useDownloadDir': true,
    'browser.download.always_ask_before_handling_new_types': false,
    'browser.download.start_downloads_in_tmp_dir': false,
    'browser.helperApps.neverAsk.saveToDisk': 'text/plain,application/octet-stream',
  };
  const tb = await launchThunderbird({ prefs: { ...saving, ...prefs }, log: path.join(tmp, 'thunderbird.log') });
  let shot = 0;
  const w = {
    tb, demo, messages, tmp, downloads,
    m: tb.m,
    bob: demo.identities.find((i) => i.address === 'bob@example.net'),

    /** Run an async chrome script with the prelude; `args` are its `args` array. */
    run(script, args = [], timeout = 60_000) {
      return tb.m.chromeAsync(`const args = arguments[0]; const runTimeout = arguments[1]; ${PRELUDE} ${script}`, [args, timeout], timeout);
    },

    /**
     * Run the page script `body` in the options page, opened in a background tab on first use
     * and kept, after the page script `ready` (what the page must show first).
     */
    inOptions(ready, body, pageArgs = {}, timeout = 60_000) {
      return this.run(`
        const url = extension().getURL("tb-options.html");
        let info = tabmail.tabInfo.find((t) => t.browser?.currentURI?.spec === url);
        if (!info) {
          tabmail.openTab("contentTab", { url, background: true });
          info = await until("the options tab", () => tabmail.tabInfo.find((t) => t.browser?.currentURI?.spec === url && !t.browser.webProgress?.isLoadingDocument));
        }
        return inPage(info.browser, args.body, args.pageArgs);
      `, { body: ready + body, pageArgs }, timeout);
    },

    /** A screenshot of the main window, or of the newest window of `windowType` (e.g. "msgcompose"). */
    async screenshot(what, windowType = null) {
      shot += 1;
      let back = null;
      if (windowType !== null) {
        back = await tb.m.send('WebDriver:GetWindowHandle');
        for (const h of await tb.m.send('WebDriver:GetWindowHandles')) {
          await tb.m.send('WebDriver:SwitchToWindow', { handle: h });
          if ((await tb.m.chrome('return window.document.documentElement.getAttribute("windowtype");')) === windowType) break;
        }
      }
      const r = await tb.m.send('WebDriver:TakeScreenshot', { full: true, hash: false });
      if (back !== null) await tb.m.send('WebDriver:SwitchToWindow', { handle: back.value ?? back });
      fs.writeFileSync(path.join(RESULTS, `${prefix}-${String(shot).padStart(2, '0')}-${what}.png`), Buffer.from(r.value, 'base64'));
    },

    async stop() {
      try {
        await tb.stop();
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
  return w;
}

/** Point Bob's identity at a (new) outgoing server: the loopback SMTP sink at `port`. */
export function useSmtpSink(w, port) {
  return w.run(`
    const identity = MailServices.accounts.allIdentities.find((i) => i.email === "bob@example.net");
    const server = MailServices.outgoingServer.createServer("smtp");
    const smtp = server.QueryInterface(Ci.nsISmtpServer);
    smtp.hostname = "127.0.0.1";
    smtp.port = args.port;
    server.authMethod = Ci.nsMsgAuthMethod.none;
    server.socketType = Ci.nsMsgSocketType.plain;
    identity.smtpServerKey = server.key;
  `, { port });
}

/** Bob's account (a POP3 server on 127.0.0.1 that is never polled) and a local folder "Cachet" holding `rfc822s`. */
export async function addAccountAndFolder(w, rfc822s) {
  return w.run(`
    const server = MailServices.accounts.createIncomingServer("bob", "127.0.0.1", "pop3");
    server.port = 1;
    server.doBiff = false;
    server.loginAtStartUp = false;
    const identity = MailServices.accounts.createIdentity();
    identity.email = "bob@example.net";
    identity.fullName = "Bob DEMO";
    const account = MailServices.accounts.createAccount();
    account.incomingServer = server;
    account.addIdentity(identity);
    try { MailServices.accounts.localFoldersServer; } catch { MailServices.accounts.createLocalMailAccount(); }
    const root = MailServices.accounts.localFoldersServer.rootFolder.QueryInterface(Ci.nsIMsgLocalMailFolder);
    const folder = root.createLocalSubfolder("Cachet").QueryInterface(Ci.nsIMsgLocalMailFolder);
    for (const m of args.messages) folder.addMessage(m);
    tabmail.currentAbout3Pane.displayFolder(folder.URI);
    await until("the folder's messages listed", () => tabmail.currentAbout3Pane.threadTree.view.rowCount === args.messages.length);
    return folder.URI;
  `, { messages: rfc822s });
}
