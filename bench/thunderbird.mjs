// Cachet in a real headless Thunderbird, timed by hand (not part of `npm run bench`, not a test):
//   node bench/thunderbird.mjs [--rounds N]
// Needs Thunderbird 153+ and a built extension (`npm run build`). It reuses the world of the
// Thunderbird tests (tests/thunderbird/world.mjs: a fresh offline profile, Bob's account, the
// demo PKI, a loopback SMTP sink) and prints, as medians of N rounds (default 3):
// - display to banner: from selecting a signed message from Alice (made by openssl) in the
//   thread list to Cachet's banner with its verdict in the message pane, for 2 KB and 25 MB;
//   the reader's cache is cleared before each round, so each round reads and opens the message;
// - Send to sink: from pressing Send in a composer (Bob to Alice, Sign and Encrypt, the text
//   plus an attachment making 2 KB or 25 MB of content) to the whole message at the SMTP sink
//   (Thunderbird's question before sending a message over 20 MB is turned off).
// The numbers go by hand into the hand-written section of bench/RESULTS.md.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openssl } from '../tests/shared.mjs';
import { THUNDERBIRD } from '../tests/thunderbird/marionette.mjs';
import { smtpSink } from '../tests/thunderbird/smtp-sink.mjs';
import { EXTENSION_DIR, PASSPHRASE, addAccountAndFolder, createWorld, thunderbirdMissing, useSmtpSink } from '../tests/thunderbird/world.mjs';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 0) || 3;
const SIZES = Object.fromEntries(Object.entries({ '2KB': 2048, '5MB': 5 * 1024 * 1024, '25MB': 25 * 1024 * 1024 }).filter(([l]) => (process.env.SIZES ?? '2KB,25MB').split(',').includes(l)));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const missing = thunderbirdMissing();
if (missing !== null) {
  console.error(`Cannot run: ${missing}`);
  process.exit(2);
}
if (!fs.existsSync(path.join(EXTENSION_DIR, 'manifest.json'))) {
  console.error('Build the extension first (npm run build).');
  process.exit(2);
}

// Thunderbird asks before it sends a message over 20 MB (a protected 25 MB message is about
// 47 MB: base64 twice); the question is not part of what is timed.
const w = await createWorld('bench-thunderbird', { prefs: { 'mailnews.message_warning_size': 0 } });
try {
  const f = (n) => path.join(w.tmp, n);
  // Signed messages from Alice with `size` bytes of content (a text part and a random attachment).
  const signed = {};
  for (const [label, size] of Object.entries(SIZES)) {
    const attachment = crypto.randomBytes(Math.max(0, Math.floor((size - 200) * 3 / 4))).toString('base64').replace(/.{76}/g, '$&\r\n');
    fs.writeFileSync(f(`body-${label}`), `Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nHello Bob.\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n--b1--\r\n`);
    const out = openssl(['smime', '-sign', '-binary', '-in', f(`body-${label}`), '-signer', f('alice.pem'), '-inkey', f('alice.key'), '-certfile', w.demo.ca,
      '-md', 'sha256', '-from', 'Alice DEMO <alice@example.org>', '-to', 'bob@example.net', '-subject', `Signed ${label}`, '-crlfeol']);
    signed[label] = `Message-ID: <bench-${label}@example.org>\r\n${out.replace(/\r?\n/g, '\r\n')}`;
  }
  const plain = 'From: alice@example.org\r\nTo: bob@example.net\r\nSubject: Plain\r\nMessage-ID: <plain@example.org>\r\n\r\nPlain.\r\n';
  await w.m.send('Addon:Install', { path: EXTENSION_DIR, temporary: true });
  // Large messages go through a file (read by the chrome script), not through Marionette.
  const folderUri = await addAccountAndFolder(w, [plain]);
  for (const [label, text] of Object.entries(signed)) {
    fs.writeFileSync(f(`signed-${label}.eml`), text);
    await w.run(`
      const { MailUtils } = ChromeUtils.importESModule("resource:///modules/MailUtils.sys.mjs");
      const folder = MailUtils.getExistingFolder(args.uri).QueryInterface(Ci.nsIMsgLocalMailFolder);
      folder.addMessage(await IOUtils.readUTF8(args.file));
      await until("the message listed", () => tabmail.currentAbout3Pane.threadTree.view.rowCount === args.rows);
    `, { uri: folderUri, file: f(`signed-${label}.eml`), rows: 2 + Object.keys(signed).indexOf(label) }, 180_000);
  }

  // Bob's identity and the demo CA, on the options page.
  await w.run(`
    const url = extension().getURL("tb-options.html");
    tabmail.openTab("contentTab", { url, background: true });
    const info = await until("the options tab", () => tabmail.tabInfo.find((t) => t.browser?.currentURI?.spec === url && !t.browser.webProgress?.isLoadingDocument));
    await inPage(info.browser, args.page, args.pageArgs);
    tabmail.closeTab(info);
    tabmail.switchToTab(0);
  `, { page: `
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
  `, pageArgs: { p12: fs.readFileSync(w.bob.p12).toString('base64'), password: w.bob.password, passphrase: PASSPHRASE, ca: fs.readFileSync(w.demo.ca).toString('base64') } });

  const display = {};
  for (const label of Object.keys(SIZES)) {
    display[label] = [];
    for (let i = 0; i < rounds; i++) {
      const r = await w.run(`
        const about3Pane = tabmail.currentAbout3Pane;
        const view = about3Pane.gDBView;
        const rowOf = (s) => { for (let i = 0; i < view.rowCount; i++) if (view.getMsgHdrAt(i).mime2DecodedSubject === s) return i; throw new Error("no " + s); };
        about3Pane.threadTree.selectedIndex = rowOf("Plain");
        await sleep(1500);
        await inPage(backgroundBrowser(), "await window.cachet.ready; window.cachet.reader.invalidate(); return true;");
        const before = messagePane().contentDocument;
        const t0 = Date.now();
        about3Pane.threadTree.selectedIndex = rowOf(args.subject);
        const banner = await until("the banner", () => {
          const d = messagePane().contentDocument;
          const b = d !== before ? d.body?.firstElementChild : null;
          return b?.id === "cachet-banner" && b.dataset.status && b;
        }, 120000);
        return { ms: Date.now() - t0, status: banner.dataset.status };
      `, { subject: `Signed ${label}` }, 180_000);
      if (r.status !== 'valid') throw new Error(`the ${label} message was reported ${r.status}`);
      display[label].push(r.ms);
      console.error(`display ${label}: ${r.ms} ms`);
    }
  }

  const sink = await smtpSink();
  const send = {};
  try {
    await useSmtpSink(w, sink.port);
    for (const [label, size] of Object.entries(SIZES)) {
      send[label] = [];
      const file = f(`attach-${label}.bin`);
      fs.writeFileSync(file, crypto.randomBytes(Math.max(1, size - 100)));
      for (let i = 0; i < rounds; i++) {
        const got = sink.messages.length;
        const pressed = await w.run(`
          const { FileUtils } = ChromeUtils.importESModule("resource://gre/modules/FileUtils.sys.mjs");
          const identity = MailServices.accounts.allIdentities.find((i) => i.email === "bob@example.net");
          const fields = Cc["@mozilla.org/messengercompose/composefields;1"].createInstance(Ci.nsIMsgCompFields);
          fields.to = "Alice DEMO <alice@example.org>";
          fields.subject = "Bench " + args.label;
          fields.body = "Hello Alice.";
          const a = Cc["@mozilla.org/messengercompose/attachment;1"].createInstance(Ci.nsIMsgAttachment);
          a.url = Services.io.newFileURI(new FileUtils.File(args.file)).spec;
          a.name = "data.bin";
          fields.addAttachment(a);
          const params = Cc["@mozilla.org/messengercompose/composeparams;1"].createInstance(Ci.nsIMsgComposeParams);
          params.composeFields = fields;
          params.identity = identity;
          params.format = Ci.nsIMsgCompFormat.PlainText;
          const before = Services.wm.getMostRecentWindow("msgcompose");
          MailServices.compose.OpenComposeWindowWithParams(null, params);
          const cw = await until("the composer", () => { const c = Services.wm.getMostRecentWindow("msgcompose"); return c && c !== before && c.gMsgCompose && c.document.readyState === "complete" && c; });
          await sleep(1500);
          // Sign is on by default; Encrypt is chosen for this tab in the background, as the popup does.
          await inPage(backgroundBrowser(), "await window.cachet.ready; const [t] = await messenger.tabs.query({ windowType: 'messageCompose' }); await window.cachet.composer.setChoice(t.id, { sign: true, encrypt: true }); return true;");
          const t0 = Date.now();
          cw.goDoCommand("cmd_sendNow");
          return t0;
        `, { label, file }, 180_000);
        const arrived = await sink.until(got + 1, 300_000).then((m) => m[got], async (e) => {
          const why = await w.run('return inPage(backgroundBrowser(), "const tabs = await messenger.tabs.query({ windowType: \'messageCompose\' }); return tabs.map((t) => window.cachet.composer.lastProblems(t.id));");');
          throw new Error(`${e.message}; Cachet says: ${JSON.stringify(why)}`);
        });
        send[label].push(arrived.at - pressed);
        console.error(`send ${label}: ${arrived.at - pressed} ms`);
        await new Promise((r) => setTimeout(r, 1500));
      }
    }
  } finally {
    await sink.close();
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const version = spawnSync(THUNDERBIRD, ['--version'], { encoding: 'utf8', env: { ...process.env, MOZ_HEADLESS: '1' } }).stdout.trim();
  console.log(`${version} on ${cpu} (${os.cpus().length} cores), ${new Date().toISOString()}, medians of ${rounds} rounds (ms):`);
  for (const label of Object.keys(SIZES)) console.log(`  ${label}: display to banner ${median(display[label])} (${display[label].join(', ')}); Send to sink ${median(send[label])} (${send[label].join(', ')})`);
  console.log(`  message sizes: signed ${Object.entries(signed).map(([l, m]) => `${l} ${m.length} bytes`).join(', ')}`);
} catch (e) {
  // Thunderbird's own output says why (e.g. it ran out of memory), before the profile goes.
  const log = path.join(w.tmp, 'thunderbird.log');
  if (fs.existsSync(log)) console.error(fs.readFileSync(log, 'utf8').split('\n').slice(-40).join('\n'));
  throw e;
} finally {
  await w.stop();
}
