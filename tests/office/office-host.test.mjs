// The Outlook host adapter (addin/src/hosts/office.ts) driven by a fake Office global, with its
// Graph calls going to the dev mailbox of the dev server. Compose → send: the adapter gathers the
// fields, Cachet's core signs (native CLI `cachet sign`, the same core as the Wasm build) and
// openssl encrypts each envelope, the adapter sends through Graph sendMail, deletes the draft
// and closes; the messages that land in the recipients' mailboxes decrypt with openssl, verify
// with openssl and with Cachet (`cachet open`), and Bcc recipients stay invisible. Read: the
// adapter gives the raw message from getAsFileAsync, else from Graph, else asks for the .eml.
// Peers: openssl (Debian package openssl) and cargo (builds the cachet CLI).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createDevServer, listen } from '../../scripts/serve.mjs';
import { devMailRoutes } from '../../scripts/devmail.mjs';
import { ROOT, makePki, openssl } from '../shared.mjs';
import { importTs } from '../ts.mjs';
import { composeOffice, readOffice } from './fake-office.mjs';

let dir, mail, server, base, graphMod, officeMod, choiceMod, cachetBin;
const people = {
  alice: { name: 'Alice Sender', address: 'alice@example.org' },
  bob: { name: 'Bob', address: 'bob@example.org' },
  carol: { name: 'Carol', address: 'carol@example.org' },
  dave: { name: 'Dave Hidden', address: 'dave@example.org' },
};
const p = (f) => path.join(dir, f);

function run(cmd, args, input, what) {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 26 });
  if (r.error) throw new Error(`cannot run ${cmd} (${what}): ${r.error.message}`);
  return r;
}

/** A CA and an S/MIME certificate + PKCS#12 for each person, made by openssl. */
async function makeOfficePki() {
  await makePki(dir, {
    ca: { cn: 'Cachet Office Test CA' },
    people: Object.entries(people).map(([who, { address }]) => ({ name: who, email: address, subject: `/CN=${who}/O=Cachet Tests` })),
  });
  fs.writeFileSync(p('pw'), 'test-password');
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-office-'));
  mail = path.join(dir, 'mailbox');
  await makeOfficePki();
  const cargo = run('cargo', ['build', '-q', '-p', 'cachet', '--bin', 'cachet'], undefined, 'the cachet CLI; install Rust (rustup)');
  assert.equal(cargo.status, 0, `cargo build of the cachet CLI failed: ${cargo.stderr}`);
  const meta = JSON.parse(run('cargo', ['metadata', '--format-version', '1', '--no-deps'], undefined, 'cargo metadata').stdout.toString());
  cachetBin = path.join(meta.target_directory, 'debug', 'cachet');
  server = createDevServer({ root: dir, routes: devMailRoutes({ root: mail }) });
  base = await listen(server, { port: 0 });
  graphMod = await importTs('addin/src/hosts/graph.ts');
  officeMod = await importTs('addin/src/hosts/office.ts');
  choiceMod = await importTs('addin/src/hosts/office-choice.ts');
});

after(() => {
  server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const graphFor = (who) => new graphMod.GraphClient({ baseUrl: base, token: async () => `dev:${people[who].address}` });
const addr = (a) => (a.name ? `"${a.name}" <${a.address}>` : a.address);

/**
 * The test's stand-in for the UI: a plain message from the fields (test code, not product
 * code), signed by Cachet's core, then encrypted by openssl to the envelope's recipients and
 * the sender.
 */
function secureWithCachetAndOpenssl(log) {
  return async (env) => {
    log.push(env);
    const head = [`From: ${addr(env.from)}`];
    if (env.to.length) head.push(`To: ${env.to.map(addr).join(', ')}`);
    if (env.cc.length) head.push(`Cc: ${env.cc.map(addr).join(', ')}`);
    if (env.bcc.length) head.push(`Bcc: ${env.bcc.map(addr).join(', ')}`);
    head.push(`Subject: ${env.subject}`, 'Date: Sun, 29 Nov 2026 10:00:00 +0000', 'Message-ID: <t1@example.org>');
    if (env.inReplyTo) head.push(`In-Reply-To: ${env.inReplyTo}`);
    const att = env.attachments[0];
    const body = [
      'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '', '--b1', 'Content-Type: text/plain; charset=utf-8', '', env.text, '--b1',
      `Content-Type: ${att.contentType}; name="${att.name}"`, 'Content-Transfer-Encoding: base64', `Content-Disposition: attachment; filename="${att.name}"`, '',
      Buffer.from(att.bytes).toString('base64'), '--b1--', '',
    ];
    const plain = Buffer.from([...head, ...body].join('\r\n'));
    const signed = run(cachetBin, ['sign', '--identity', p('alice.p12'), '--password-file', p('pw'), '--at', new Date().toISOString().replace(/\.\d+Z$/, 'Z')], plain, 'cachet sign');
    assert.equal(signed.status, 0, `cachet sign: ${signed.stderr}`);
    const certs = [...env.to, ...env.cc, ...env.bcc, env.from].map((a) => p(`${Object.keys(people).find((k) => people[k].address === a.address)}.pem`));
    const enc = run('openssl', ['cms', '-encrypt', '-aes256', ...certs], signed.stdout, 'openssl cms -encrypt');
    assert.equal(enc.status, 0, `openssl cms -encrypt: ${enc.stderr}`);
    // openssl writes the MIME part only: put the outer (transport) header fields back on top.
    return new Uint8Array(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n`), enc.stdout]));
  };
}

async function inbox(who) {
  const g = graphFor(who);
  const list = await g.list('inbox');
  return Promise.all(list.map(async (m) => ({ ...m, mime: Buffer.from(await g.getMime(m.id)) })));
}

function decryptAndVerify(who, mime) {
  const dec = run('openssl', ['cms', '-decrypt', '-recip', p(`${who}.pem`), '-inkey', p(`${who}.key`)], mime, 'openssl cms -decrypt');
  assert.equal(dec.status, 0, `${who} decrypts: ${dec.stderr}`);
  const ver = run('openssl', ['cms', '-verify', '-CAfile', p('ca.pem'), '-purpose', 'smimesign'], dec.stdout, 'openssl cms -verify');
  assert.equal(ver.status, 0, `openssl verifies the signature for ${who}: ${ver.stderr}`);
  const opened = run(cachetBin, ['open', '--trust', p('ca.pem')], dec.stdout, 'cachet open');
  const report = JSON.parse(opened.stdout.toString());
  assert.equal(opened.status, 0, `cachet open: ${opened.stdout}`);
  return { content: ver.stdout.toString(), report, decrypted: dec.stdout };
}

test('compose → send through Graph: recipients decrypt and verify (openssl, Cachet); Bcc stays private; draft deleted; window closed', async () => {
  // Outlook autosaved the draft (a reply) into the sender's Drafts: it holds the In-Reply-To field.
  const draft = 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: Re: Figures\r\nIn-Reply-To: <orig-1@example.org>\r\nReferences: <orig-1@example.org>\r\n\r\nplaintext draft\r\n';
  const draftId = await graphFor('alice').createDraft(new Uint8Array(Buffer.from(draft)));
  const attachment = Buffer.from('%PDF-1.4 figures 2026\n');
  const { office, calls, session } = composeOffice({
    user: people.alice,
    to: [[people.bob.name, people.bob.address]], cc: [['', people.carol.address]], bcc: [[people.dave.name, people.dave.address]],
    subject: 'Re: Figures', text: 'The figures are attached.\r\n', html: '<p>The figures are attached.</p>',
    attachments: [{ name: 'figures.pdf', contentType: 'application/pdf', content: attachment.toString('base64') }],
    draftId: `ews:${draftId}`,
  });
  const host = new officeMod.OfficeHost({ office, graph: graphFor('alice') });
  await host.ready();
  assert.deepEqual(host.capabilities, { localFiles: true, readMessage: false, composeMessage: true, sendMessage: true });

  // The fields as the user typed them, with In-Reply-To read from the saved draft through Graph.
  const fields = await host.composeFields();
  assert.deepEqual(fields.from, { name: people.alice.name, address: people.alice.address });
  assert.deepEqual(fields.to, [people.bob]);
  assert.deepEqual(fields.cc, [{ name: '', address: people.carol.address }]);
  assert.deepEqual(fields.bcc, [people.dave]);
  assert.equal(fields.html, '<p>The figures are attached.</p>');
  assert.equal(fields.inReplyTo, '<orig-1@example.org>');
  assert.deepEqual(Buffer.from(fields.attachments[0].bytes), attachment);
  assert.equal(fields.attachments[0].contentType, 'application/pdf', 'compose-mode attachments get a type from their name');

  // The Sign/Encrypt choice lives in the item's sessionData, shared with the ribbon commands.
  await host.setComposeChoice({ sign: true, encrypt: true });
  assert.deepEqual(JSON.parse(session.get('cachet.choice')), { sign: true, encrypt: true });

  const built = [];
  const outcome = await host.sendComposed(secureWithCachetAndOpenssl(built));
  assert.deepEqual(outcome, { sent: 2, draftDeleted: true, closed: true });
  assert.deepEqual(built.map((e) => [e.to.map((a) => a.address), e.cc.map((a) => a.address), e.bcc.map((a) => a.address)]), [
    [['bob@example.org'], ['carol@example.org'], []],
    [[], [], ['dave@example.org']],
  ]);
  assert.ok(calls.indexOf('closeAsync') > calls.lastIndexOf('saveAsync'), 'closed after the draft was handled');

  for (const who of ['bob', 'carol']) {
    const got = await inbox(who);
    assert.equal(got.length, 1, `${who} got one message`);
    const m = got[0].mime;
    assert.doesNotMatch(m.toString('latin1'), /dave/i, `${who}'s copy names no Bcc recipient`);
    const { content, report } = decryptAndVerify(who, m);
    assert.match(content, /The figures are attached\./);
    assert.match(content, new RegExp(attachment.toString('base64').slice(0, 20).replace(/[+/]/g, '\\$&')));
    assert.match(JSON.stringify(report), /alice@example\.org/);
    // Dave's key opens nothing in the To/Cc copy: he is not among its RecipientInfos.
    const dave = run('openssl', ['cms', '-decrypt', '-recip', p('dave.pem'), '-inkey', p('dave.key')], m, 'openssl cms -decrypt');
    assert.notEqual(dave.status, 0, 'the Bcc recipient cannot decrypt the To/Cc copy');
  }
  const daveGot = await inbox('dave');
  assert.equal(daveGot.length, 1);
  assert.doesNotMatch(daveGot[0].mime.toString('latin1'), /^bcc:/im, 'Bcc field removed on delivery');
  assert.match(decryptAndVerify('dave', daveGot[0].mime).content, /The figures are attached\./);
  const bobCannot = run('openssl', ['cms', '-decrypt', '-recip', p('bob.pem'), '-inkey', p('bob.key')], daveGot[0].mime, 'openssl cms -decrypt');
  assert.notEqual(bobCannot.status, 0, 'To recipients cannot decrypt the Bcc copy');

  // Sent Items has both messages; the plaintext draft is gone.
  assert.equal((await graphFor('alice').list('sentitems')).length, 2);
  assert.deepEqual(await graphFor('alice').list('drafts'), []);
});

test('a cloud attachment (a link) is refused: it could not be signed or encrypted', async () => {
  const { office } = composeOffice({ user: people.alice, to: [['', people.bob.address]], attachments: [{ name: 'plan.docx', content: 'https://files.example.org/plan.docx', format: 'url' }] });
  const host = new officeMod.OfficeHost({ office, graph: null });
  await host.ready();
  assert.equal(host.capabilities.sendMessage, false, 'no Graph, no sending');
  await assert.rejects(host.composeFields(), /plan\.docx.*cloud/);
});

test('nothing is sent when building one envelope fails', async () => {
  const { office, calls } = composeOffice({ user: people.alice, to: [['', people.bob.address]], bcc: [['', people.carol.address]], subject: 'x', text: 'y', draftId: 'ews:missing' });
  const host = new officeMod.OfficeHost({ office, graph: graphFor('alice') });
  await host.ready();
  const before = (await graphFor('alice').list('sentitems')).length;
  let n = 0;
  await assert.rejects(host.sendComposed(async () => {
    if (++n === 2) throw new Error('no certificate for carol');
    return new Uint8Array(Buffer.from('From: alice@example.org\r\nTo: bob@example.org\r\n\r\nx'));
  }), /no certificate for carol/);
  assert.equal((await graphFor('alice').list('sentitems')).length, before);
  assert.ok(!calls.includes('closeAsync'));
});

test('read: getAsFileAsync, else Graph $value with the REST id, else a ReadUnavailable asking for the .eml', async () => {
  const eml = Buffer.from('From: bob@example.org\r\nTo: alice@example.org\r\nSubject: hi\r\n\r\nhello\r\n');
  const id = await graphFor('alice').createDraft(new Uint8Array(eml));

  const a = readOffice({ user: people.alice, itemId: `ews:${id}`, file: eml.toString('base64') });
  const hostA = new officeMod.OfficeHost({ office: a.office, graph: null });
  await hostA.ready();
  assert.deepEqual(hostA.capabilities, { localFiles: true, readMessage: true, composeMessage: false, sendMessage: false });
  assert.deepEqual(Buffer.from(await hostA.currentMessage()), eml);
  assert.equal(hostA.userAddress(), 'alice@example.org');
  assert.match(hostA.notices().join(' '), /export a backup in the certificate panel/);

  // getAsFileAsync fails (as reported for some protected items) or gives nothing: Graph answers.
  for (const file of [new Error('Internal error'), '']) {
    const b = readOffice({ user: people.alice, itemId: `ews:${id}`, file });
    const hostB = new officeMod.OfficeHost({ office: b.office, graph: graphFor('alice') });
    await hostB.ready();
    assert.deepEqual(Buffer.from(await hostB.currentMessage()), eml);
    assert.deepEqual(b.calls, ['getAsFileAsync']);
  }

  // Neither works: the error names both reasons and asks the user to drop the .eml.
  const c = readOffice({ user: people.alice, itemId: 'ews:000000000000000-000000000000', file: new Error('Internal error') });
  const hostC = new officeMod.OfficeHost({ office: c.office, graph: graphFor('alice') });
  await hostC.ready();
  await assert.rejects(hostC.currentMessage(), (e) => e.name === 'ReadUnavailable' && /Internal error/.test(e.message) && /ErrorItemNotFound|not found/i.test(e.message) && /\.eml/.test(e.message));
});

test('OnMessageSend blocks a message marked Sign/Encrypt and lets others go; the toggles flip the choice', async () => {
  const { office, session, notices } = composeOffice({ user: people.alice, to: [['', people.bob.address]] });
  choiceMod.associateCommands(office);
  const names = Object.keys(office.associated).sort();
  assert.deepEqual(names, ['cachetToggleEncrypt', 'cachetToggleSign', 'onMessageSendHandler']);
  const fire = (name) => new Promise((resolve) => office.associated[name]({ completed: resolve }));

  assert.deepEqual(await fire('onMessageSendHandler'), { allowEvent: true });
  await fire('cachetToggleEncrypt');
  assert.deepEqual(JSON.parse(session.get('cachet.choice')), { sign: false, encrypt: true });
  assert.match(notices.get('cachet-choice').message, /will be encrypted/);
  const blocked = await fire('onMessageSendHandler');
  assert.equal(blocked.allowEvent, false);
  assert.match(blocked.errorMessage, /encrypted/);
  assert.equal(blocked.commandId, 'Cachet.ComposeButton');
  await fire('cachetToggleSign');
  await fire('cachetToggleEncrypt');
  assert.deepEqual(JSON.parse(session.get('cachet.choice')), { sign: true, encrypt: false });
  assert.match((await fire('onMessageSendHandler')).errorMessage, /signed/);
  await fire('cachetToggleSign');
  assert.equal(notices.has('cachet-choice'), false);
  assert.deepEqual(await fire('onMessageSendHandler'), { allowEvent: true });
});

test('launchevent.js builds as one classic script with the handlers', async () => {
  const { buildLaunchEvent } = await import('../../scripts/build.mjs');
  const out = path.join(dir, 'le');
  await buildLaunchEvent(out);
  const js = fs.readFileSync(path.join(out, 'launchevent.js'), 'utf8');
  assert.doesNotMatch(js, /^\s*(import|export)\b/m);
  for (const n of ['onMessageSendHandler', 'cachetToggleSign', 'cachetToggleEncrypt']) assert.match(js, new RegExp(n));
  // Runs as a plain script with a fake Office global and associates the handlers.
  const associated = [];
  new Function('Office', js)({ actions: { associate: (n) => associated.push(n) } });
  assert.deepEqual(associated.sort(), ['cachetToggleEncrypt', 'cachetToggleSign', 'onMessageSendHandler']);
});

test('Graph selection: dev mailbox on the page origin with dev:<user>, NAA with a client id, none otherwise', async () => {
  const { officeGraph, GRAPH_ORIGIN, GRAPH_SCOPES } = await importTs('addin/src/hosts/office-graph.ts');
  const { office } = readOffice({ user: people.bob, itemId: 'ews:x', file: '' });
  assert.equal(officeGraph(office, {}, ''), null);
  assert.equal(officeGraph(office, {}, '?graph=dev', 'https://cachet.example.org'), null, '?graph=dev is ignored off loopback');
  assert.equal(officeGraph(office, { graph: 'dev' }, '?graph=other', base), null, 'on loopback the URL switch wins over the build setting');
  // ?graph=dev on the URL or VITE_CACHET_GRAPH=dev: the dev mailbox, as the Outlook user.
  for (const [env, search] of [[{ graph: 'dev' }, ''], [{}, '?graph=dev']]) {
    const g = officeGraph(office, env, search, base);
    await graphFor('alice').sendMime(new Uint8Array(Buffer.from('From: alice@example.org\r\nTo: bob@example.org\r\nSubject: sel\r\n\r\nx')));
    assert.ok((await g.list('inbox')).some((m) => m.subject === 'sel'));
  }
  const naa = officeGraph(office, { clientId: '00000000-0000-0000-0000-000000000001' }, '', base);
  assert.ok(naa !== null);
  assert.equal(naa.baseUrl, GRAPH_ORIGIN);
  assert.deepEqual(GRAPH_SCOPES, ['Mail.Send', 'Mail.ReadWrite']);
});
