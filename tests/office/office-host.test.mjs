// The Outlook host adapter (addin/src/hosts/office.ts) driven by a fake Office global, with its
// Graph calls going to the dev mailbox of the dev server. Compose → send: the adapter gathers the
// fields, Cachet's core builds each envelope's message from them (the UI's draft, Wasm core),
// signs it (native CLI `cachet sign`, the same core as the Wasm build) and openssl encrypts it, the adapter sends through Graph sendMail, deletes the draft
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
import { ROOT, buildCli, makePki, openssl } from '../shared.mjs';
import { importTs } from '../ts.mjs';
import { composeOffice, readOffice } from './fake-office.mjs';

let dir, mail, server, base, graphMod, officeMod, choiceMod, hostCompose, core, cachetBin;
const people = {
  alice: { name: 'Alice Sender', address: 'alice@example.org' },
  bob: { name: 'Bob', address: 'bob@example.org' },
  carol: { name: 'Carol', address: 'carol@example.org' },
  dave: { name: 'Dave Hidden', address: 'dave@example.org' },
  erin: { name: 'Erin Hidden', address: 'erin@example.org' },
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
    // Only Alice signs (cachet sign takes her PKCS#12); the others are certificates and keys for openssl.
    people: Object.entries(people).map(([who, { address }]) => ({ name: who, email: address, subject: `/CN=${who}/O=Cachet Tests`, p12: who === 'alice' })),
  });
  fs.writeFileSync(p('pw'), 'test-password');
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cachet-office-'));
  mail = path.join(dir, 'mailbox');
  await makeOfficePki();
  cachetBin = buildCli();
  server = createDevServer({ root: dir, routes: devMailRoutes({ root: mail }) });
  base = await listen(server, { port: 0 });
  graphMod = await importTs('addin/src/hosts/graph.ts');
  officeMod = await importTs('addin/src/hosts/office.ts');
  choiceMod = await importTs('addin/src/hosts/office-choice.ts');
  hostCompose = await importTs('addin/src/ui/host-compose.ts');
  const pkg = path.join(ROOT, 'addin', 'pkg');
  core = await import(path.join(pkg, 'cachet.js'));
  core.initSync({ module: fs.readFileSync(path.join(pkg, 'cachet_bg.wasm')) });
});

after(() => {
  server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const graphFor = (who) => new graphMod.GraphClient({ baseUrl: base, token: async () => `dev:${people[who].address}` });
const addr = (a) => (a.name ? `"${a.name}" <${a.address}>` : a.address);

/**
 * The UI's work for one envelope, with a peer for encryption: the draft the compose pane makes
 * (host-compose.ts draftOf), built into MIME by the core (Wasm), signed by Cachet's core (CLI),
 * then encrypted by openssl to the envelope's recipients and the sender; the header fields above
 * MIME-Version go on top again as transport fields (openssl writes the MIME part only).
 */
function secureWithCachetAndOpenssl(log) {
  return async (env) => {
    log.push(env);
    const draft = hostCompose.draftOf(env, 'Sun, 29 Nov 2026 10:00:00 +0000', `<t${log.length}@example.org>`);
    const plain = Buffer.from(core.composeMessage(draft));
    const signed = run(cachetBin, ['sign', '--identity', p('alice.p12'), '--password-file', p('pw'), '--at', new Date().toISOString().replace(/\.\d+Z$/, 'Z')], plain, 'cachet sign');
    assert.equal(signed.status, 0, `cachet sign: ${signed.stderr}`);
    const certs = [...env.to, ...env.cc, ...env.bcc, env.from].map((a) => p(`${Object.keys(people).find((k) => people[k].address === a.address)}.pem`));
    const enc = run('openssl', ['cms', '-encrypt', '-aes256', ...certs], signed.stdout, 'openssl cms -encrypt');
    assert.equal(enc.status, 0, `openssl cms -encrypt: ${enc.stderr}`);
    const text = plain.toString('latin1');
    const head = text.slice(0, text.indexOf('MIME-Version:'));
    return new Uint8Array(Buffer.concat([Buffer.from(head, 'latin1'), enc.stdout]));
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

/** Undo quoted-printable soft line breaks (enough to search the text). */
const qp = (text) => text.replace(/=\r?\n/g, '');
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360f8cf000001010100' + '18dd8db40000000049454e44ae426082', 'hex');
const PDF = Buffer.from('%PDF-1.4 figures 2026\n');
const CSV = Buffer.from('quarter;figure\r\nQ1;42\r\n');
const EARLIER = 'From: carol@example.org\r\nTo: alice@example.org\r\nSubject: The earlier figures\r\nMessage-ID: <earlier@example.org>\r\n\r\nLast year: 40.\r\n';

/** A reply being written in Outlook: HTML with an inline picture and the quoted original, two files and an attached message. */
function richCompose(draftId) {
  return composeOffice({
    user: people.alice,
    to: [[people.bob.name, people.bob.address]], cc: [['', people.carol.address]],
    bcc: [[people.dave.name, people.dave.address], [people.erin.name, people.erin.address]],
    subject: 'Re: Figures',
    text: 'The figures are attached.\r\n\r\n> Where are the figures?\r\n',
    html: '<p>The figures are <b>attached</b>.</p><img src="cid:chart@cachet" alt="chart"><blockquote>Where are the figures?</blockquote>',
    attachments: [
      { name: 'chart.png', content: PNG.toString('base64'), inline: true, contentId: 'chart@cachet' },
      { name: 'figures.pdf', content: PDF.toString('base64') },
      { name: 'figures.csv', content: CSV.toString('base64') },
      { name: 'The earlier figures', content: EARLIER, format: 'eml' },
    ],
    draftId: `ews:${draftId}`,
  });
}

test('compose → send through Graph: HTML with an inline picture, files and an attached message, Cc and two Bcc; every copy decrypts and verifies (openssl, Cachet); Bcc stays private; threading kept; draft deleted; window closed', async () => {
  // Outlook autosaved the draft (a reply) into the sender's Drafts: it holds In-Reply-To and References.
  const draft = 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: Re: Figures\r\nIn-Reply-To: <orig-1@example.org>\r\nReferences: <root-0@example.org>\r\n <orig-1@example.org>\r\n\r\nplaintext draft\r\n';
  const draftId = await graphFor('alice').createDraft(new Uint8Array(Buffer.from(draft)));
  const { office, calls, session } = richCompose(draftId);
  const host = new officeMod.OfficeHost({ office, graph: graphFor('alice') });
  await host.ready();
  assert.deepEqual(host.capabilities, { localFiles: true, readMessage: false, composeMessage: true, sendMessage: true, notifications: true, dnsLookup: true, searchMail: true });

  // The fields as the user typed them, with the threading fields read from the saved draft through Graph.
  const fields = await host.composeFields();
  assert.deepEqual(fields.from, { name: people.alice.name, address: people.alice.address });
  assert.deepEqual(fields.to, [people.bob]);
  assert.deepEqual(fields.cc, [{ name: '', address: people.carol.address }]);
  assert.deepEqual(fields.bcc, [people.dave, people.erin]);
  assert.match(fields.html, /cid:chart@cachet/);
  assert.equal(fields.inReplyTo, '<orig-1@example.org>');
  assert.equal(fields.references, '<root-0@example.org> <orig-1@example.org>');
  assert.deepEqual(fields.attachments.map((a) => [a.name, a.contentType, a.inline, a.contentId]), [
    ['chart.png', 'image/png', true, 'chart@cachet'],
    ['figures.pdf', 'application/pdf', false, null],
    ['figures.csv', 'text/csv', false, null],
    ['The earlier figures.eml', 'message/rfc822', false, null],
  ]);
  assert.deepEqual(Buffer.from(fields.attachments[1].bytes), PDF);
  assert.equal(hostCompose.contentSummary(fields), 'formatted (HTML) text with its plain-text version; 1 picture in the text; 3 attachments: figures.pdf, figures.csv, The earlier figures.eml; a separate copy for each Bcc recipient (2), which names no other Bcc recipient');
  assert.deepEqual(hostCompose.unsupported(fields), [], 'nothing of this message is refused');

  // The Sign/Encrypt choice lives in the item's sessionData, shared with the ribbon commands.
  await host.setComposeChoice({ sign: true, encrypt: true });
  assert.deepEqual(JSON.parse(session.get('cachet.choice')), { sign: true, encrypt: true });

  const built = [];
  const outcome = await host.sendComposed(secureWithCachetAndOpenssl(built));
  assert.deepEqual(outcome, { sent: 3, draftDeleted: true, draftInDeletedItems: false, closed: true });
  assert.deepEqual(built.map((e) => [e.to.map((a) => a.address), e.cc.map((a) => a.address), e.bcc.map((a) => a.address)]), [
    [['bob@example.org'], ['carol@example.org'], []],
    [[], [], ['dave@example.org']],
    [[], [], ['erin@example.org']],
  ]);
  assert.ok(calls.indexOf('closeAsync') > calls.lastIndexOf('saveAsync'), 'closed after the draft was handled');

  /** The content openssl verified: the whole message, as the recipient's mail program shows it. */
  const checkContent = (who, content) => {
    const c = qp(content);
    assert.match(c, /^Content-Type: multipart\/mixed;/m, `${who}: files around the body`);
    assert.match(c, /^Content-Type: multipart\/alternative;/m, `${who}: text and HTML`);
    assert.match(c, /^Content-Type: multipart\/related;\r?\n type="text\/html";/m, `${who}: the HTML with its picture`);
    assert.match(c, /The figures are attached\.\r\n\r\n> Where are the figures\?/, `${who}: the plain text with the quoted original`);
    assert.match(c, /<img src=3D"cid:chart@cachet" alt=3D"chart"><blockquote>Where are the figures\?/, `${who}: the HTML with its cid reference and the quote`);
    assert.match(c, /^Content-ID: <chart@cachet>\r?$/m);
    // Base64 is searched in the content as it is (quoted-printable undoing would eat its '=' padding).
    assert.ok(content.includes(PNG.toString('base64').slice(0, 60)), `${who}: the picture's bytes`);
    assert.ok(content.includes(PDF.toString('base64')), `${who}: figures.pdf`);
    assert.ok(content.includes(CSV.toString('base64')), `${who}: figures.csv`);
    assert.match(c, /Content-Type: message\/rfc822; name="The earlier figures\.eml"\r\nContent-Transfer-Encoding: 7bit/);
    assert.ok(c.includes(EARLIER), `${who}: the attached message, byte for byte`);
  };
  const threading = (mime) => {
    const t = mime.toString('latin1');
    assert.match(t, /^In-Reply-To: <orig-1@example\.org>\r?$/m);
    assert.match(t, /^References: <root-0@example\.org> <orig-1@example\.org>\r?$/m);
  };

  const NAMES_A_BCC = /dave@|erin@|dave hidden|erin hidden|^bcc:/im;
  for (const who of ['bob', 'carol']) {
    const got = await inbox(who);
    assert.equal(got.length, 1, `${who} got one message`);
    const m = got[0].mime;
    // Each pattern holds a character base64 never has ('@', ' ', ':'), so random ciphertext or
    // signature bytes cannot match it by chance (a bare /dave|erin/i once did).
    assert.doesNotMatch(m.toString('latin1'), NAMES_A_BCC, `${who}'s copy names no Bcc recipient`);
    const { content, report, decrypted } = decryptAndVerify(who, m);
    checkContent(who, content);
    threading(m);
    threading(decrypted);
    assert.doesNotMatch(decrypted.toString('latin1'), NAMES_A_BCC, `${who}'s protected content names no Bcc recipient`);
    assert.match(JSON.stringify(report), /alice@example\.org/);
    // Dave's key opens nothing in the To/Cc copy: he is not among its RecipientInfos.
    const dave = run('openssl', ['cms', '-decrypt', '-recip', p('dave.pem'), '-inkey', p('dave.key')], m, 'openssl cms -decrypt');
    assert.notEqual(dave.status, 0, 'the Bcc recipient cannot decrypt the To/Cc copy');
  }
  for (const [who, other] of [['dave', 'erin'], ['erin', 'dave']]) {
    const got = await inbox(who);
    assert.equal(got.length, 1, `${who} got one message`);
    const m = got[0].mime;
    assert.doesNotMatch(m.toString('latin1'), /^bcc:/im, `${who}: the Bcc field is removed on delivery`);
    assert.ok(!m.toString('latin1').includes(other), `${who}'s copy does not name ${other}`);
    const { content, decrypted } = decryptAndVerify(who, m);
    checkContent(who, content);
    threading(decrypted);
    assert.ok(!decrypted.toString('latin1').includes(other), `${who}'s protected content does not name ${other}`);
    const head = decrypted.toString('latin1').split('\r\n\r\n')[0];
    assert.doesNotMatch(head, /^To:|^Cc:/im, `${who}'s copy is addressed to ${who} alone`);
    assert.match(head, new RegExp(`^Bcc: .*${who}@example\\.org`, 'im'), `${who}'s own copy names only ${who}, as the standalone page's does`);
    const bobCannot = run('openssl', ['cms', '-decrypt', '-recip', p('bob.pem'), '-inkey', p('bob.key')], m, 'openssl cms -decrypt');
    assert.notEqual(bobCannot.status, 0, 'To recipients cannot decrypt a Bcc copy');
  }

  // Sent Items has the three messages, each opening with Alice's own key; the plaintext draft is gone.
  const g = graphFor('alice');
  const sent = await g.list('sentitems');
  assert.equal(sent.length, 3);
  for (const s of sent) checkContent('alice (Sent Items)', decryptAndVerify('alice', Buffer.from(await g.getMime(s.id))).content);
  assert.deepEqual(await g.list('drafts'), []);
});

test('a mailbox that refuses permanentDelete: the plaintext draft is deleted into Deleted Items, and the outcome says so', async () => {
  const refusing = createDevServer({ root: dir, routes: devMailRoutes({ root: mail, permanentDelete: false }) });
  const at = await listen(refusing, { port: 0 });
  // One bundle: the GraphError the client throws is the one the host recognises.
  const both = await importTs('tests/office/office-and-graph.ts');
  try {
    const graph = new both.GraphClient({ baseUrl: at, token: async () => `dev:${people.alice.address}` });
    const draftId = await graph.createDraft(new Uint8Array(Buffer.from('From: alice@example.org\r\nTo: bob@example.org\r\nSubject: Plan\r\n\r\nplaintext draft\r\n')));
    const { office, calls } = richCompose(draftId);
    const host = new both.OfficeHost({ office, graph });
    await host.ready();
    assert.deepEqual(await host.finishCompose(), { draftDeleted: true, draftInDeletedItems: true, closed: true });
    assert.ok(!(await graph.list('drafts')).some((m) => m.id === draftId), 'no longer in Drafts');
    assert.ok(calls.includes('closeAsync'));
  } finally {
    refusing.close();
  }
});

test('a forward keeps its threading fields and the forwarded text', async () => {
  const draft = 'From: alice@example.org\r\nSubject: Fw: Figures\r\nIn-Reply-To: <orig-2@example.org>\r\nReferences: <root-0@example.org> <orig-2@example.org>\r\n\r\nplaintext draft\r\n';
  const draftId = await graphFor('alice').createDraft(new Uint8Array(Buffer.from(draft)));
  const { office } = composeOffice({
    user: people.alice, to: [['', people.carol.address]], subject: 'Fw: Figures',
    text: 'For you.\r\n\r\n-----Original Message-----\r\nFrom: Bob\r\nThe figures.\r\n', html: '<p>For you.</p><hr><p>From: Bob</p><p>The figures.</p>',
    draftId: `ews:${draftId}`,
  });
  const host = new officeMod.OfficeHost({ office, graph: graphFor('alice') });
  await host.ready();
  const before = (await inbox('carol')).length;
  assert.equal((await host.sendComposed(secureWithCachetAndOpenssl([]))).sent, 1);
  const got = await inbox('carol');
  assert.equal(got.length, before + 1);
  const m = got.find((x) => /Fw: Figures/.test(x.subject)).mime;
  const { content, decrypted } = decryptAndVerify('carol', m);
  for (const t of [m.toString('latin1'), decrypted.toString('latin1')]) {
    assert.match(t, /^In-Reply-To: <orig-2@example\.org>\r?$/m);
    assert.match(t, /^References: <root-0@example\.org> <orig-2@example\.org>\r?$/m);
  }
  assert.match(qp(content), /-----Original Message-----\r\nFrom: Bob\r\nThe figures\./);
});

test('fields the pane has read and checked are sent as they are: the compose window is not read again', async () => {
  const draft = 'From: alice@example.org\r\nSubject: Checked\r\n\r\nplaintext draft\r\n';
  const draftId = await graphFor('alice').createDraft(new Uint8Array(Buffer.from(draft)));
  const { office, calls } = composeOffice({ user: people.alice, to: [['', people.bob.address]], subject: 'Checked', text: 'as checked', draftId: `ews:${draftId}` });
  const host = new officeMod.OfficeHost({ office, graph: graphFor('alice') });
  await host.ready();
  const fields = await host.composeFields();
  const reads = calls.length;
  // The user changes the subject after the check; what was checked is sent.
  office.context.mailbox.item.subject.getAsync = (cb) => setTimeout(() => cb({ status: 'succeeded', value: 'Changed later' }), 0);
  const seen = [];
  const before = (await inbox('bob')).length;
  assert.equal((await host.sendComposed(async (env) => { seen.push(env.subject); return secureWithCachetAndOpenssl([])(env); }, fields)).sent, 1);
  assert.deepEqual(seen, ['Checked']);
  assert.deepEqual(calls.slice(reads).filter((c) => !['saveAsync', 'closeAsync'].includes(c)), [], 'no field of the compose window read again');
  assert.equal((await inbox('bob')).length, before + 1);
});

test('a message Graph would refuse (over 4 MB as a request) is refused before anything is sent; the compose window keeps it', async () => {
  const draftId = await graphFor('alice').createDraft(new Uint8Array(Buffer.from('From: alice@example.org\r\nSubject: big\r\n\r\ndraft\r\n')));
  const sentBefore = (await graphFor('alice').list('sentitems')).length;
  const inboxBefore = (await inbox('bob')).length;
  // What the user attached is already over the limit: refused before anything is built.
  const big = composeOffice({ user: people.alice, to: [['', people.bob.address]], subject: 'Big', text: 'see attached', attachments: [{ name: 'scan.pdf', content: Buffer.alloc(3 * 1024 * 1024 + 1, 7).toString('base64') }], draftId: `ews:${draftId}` });
  const host = new officeMod.OfficeHost({ office: big.office, graph: graphFor('alice') });
  await host.ready();
  let built = 0;
  await assert.rejects(host.sendComposed(async () => { built++; return new Uint8Array(10); }), (e) => {
    assert.match(e.message, /^This message is at least 3\.0 MB; Microsoft Graph, through which Outlook add-ins send, takes messages of at most 3\.0 MB \(4 MB per request, and the message travels base64-encoded\)\. Nothing was sent and the message is unchanged in the compose window: remove or shrink attachments/);
    return true;
  });
  assert.equal(built, 0, 'nothing was built');
  // Under the limit as written, over it once signed and encrypted: refused before the first send.
  const near = composeOffice({ user: people.alice, to: [['', people.bob.address]], bcc: [['', people.carol.address]], subject: 'Near', text: 'near the limit', draftId: `ews:${draftId}` });
  const host2 = new officeMod.OfficeHost({ office: near.office, graph: graphFor('alice') });
  await host2.ready();
  let n = 0;
  const small = new Uint8Array(Buffer.from('From: alice@example.org\r\nTo: bob@example.org\r\nSubject: Near\r\n\r\nsmall\r\n'));
  await assert.rejects(host2.sendComposed(async () => (++n === 1 ? small : new Uint8Array(3 * 1024 * 1024 + 1))), /^Error: This message is 3\.0 MB once signed and encrypted; .*at most 3\.0 MB/);
  assert.equal(n, 2);
  for (const calls of [big.calls, near.calls]) assert.ok(!calls.includes('closeAsync'), 'the compose window stays open');
  assert.equal((await graphFor('alice').list('sentitems')).length, sentBefore, 'nothing was sent, not even the copy that fitted');
  assert.equal((await inbox('bob')).length, inboxBefore);
  assert.equal((await graphFor('alice').list('drafts')).filter((d) => d.id === draftId).length, 1, 'the draft is kept');
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

test('pinned pane: the host follows the selection (ItemChanged) and updates its capabilities first', async () => {
  const first = Buffer.from('From: a@example.org\r\nSubject: one\r\n\r\n1\r\n');
  const second = Buffer.from('From: b@example.org\r\nSubject: two\r\n\r\n2\r\n');
  const { office, select } = readOffice({ user: people.bob, itemId: 'ews:1', file: first.toString('base64') });
  const host = new officeMod.OfficeHost({ office, graph: null });
  await host.ready();
  assert.deepEqual(Buffer.from(await host.currentMessage()), first);
  const seen = [];
  assert.equal(await host.onMessageChanged(() => seen.push(host.capabilities.readMessage)), true);
  assert.deepEqual(office.handlers.olkItemSelectedChanged.length, 1, 'registered for Office.EventType.ItemChanged');
  select({ itemId: 'ews:2', file: second.toString('base64') });
  assert.deepEqual(Buffer.from(await host.currentMessage()), second, 'the message now selected');
  select(null);
  assert.deepEqual(seen, [true, false], 'no message selected: nothing to read');
  await assert.rejects(host.currentMessage(), /No message is open/);
  // An Outlook without the event (or a page outside Outlook) says it cannot follow.
  const plain = new officeMod.OfficeHost({});
  await plain.ready();
  assert.equal(await plain.onMessageChanged(() => {}), false);
});

test('read: getAsFileAsync, else Graph $value with the REST id, else a ReadUnavailable asking for the .eml', async () => {
  const eml = Buffer.from('From: bob@example.org\r\nTo: alice@example.org\r\nSubject: hi\r\n\r\nhello\r\n');
  const id = await graphFor('alice').createDraft(new Uint8Array(eml));

  const a = readOffice({ user: people.alice, itemId: `ews:${id}`, file: eml.toString('base64') });
  const hostA = new officeMod.OfficeHost({ office: a.office, graph: null });
  await hostA.ready();
  assert.deepEqual(hostA.capabilities, { localFiles: true, readMessage: true, composeMessage: false, sendMessage: false, notifications: true, dnsLookup: true, searchMail: false });
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

/** addin/src/hosts/office-graph.ts (no state of its own), bundled once for the two tests that use it. */
let officeGraphImport = null;
const officeGraphModule = () => (officeGraphImport ??= importTs('addin/src/hosts/office-graph.ts'));

test('Graph selection from the run-time configuration: dev mailbox on a loopback origin, NAA with a client id, none otherwise', async () => {
  const { officeGraph, GRAPH_ORIGIN, GRAPH_SCOPES } = await officeGraphModule();
  const { office } = readOffice({ user: people.bob, itemId: 'ews:x', file: '' });
  assert.equal(officeGraph(office, null, ''), null);
  assert.equal(officeGraph(office, {}, '?graph=dev', 'https://cachet.example.org'), null, '?graph=dev is ignored off loopback');
  assert.equal(officeGraph(office, { graph: 'dev' }, '', 'https://cachet.example.org'), null, '"graph": "dev" is ignored off loopback');
  assert.equal(officeGraph(office, { graph: 'dev' }, '?graph=other', base), null, 'on loopback the URL switch wins over the configuration');
  // ?graph=dev on the URL or "graph": "dev" in the configuration: the dev mailbox, as the Outlook user.
  for (const [config, search] of [[{ graph: 'dev' }, ''], [null, '?graph=dev']]) {
    const g = officeGraph(office, config, search, base);
    await graphFor('alice').sendMime(new Uint8Array(Buffer.from('From: alice@example.org\r\nTo: bob@example.org\r\nSubject: sel\r\n\r\nx')));
    assert.ok((await g.list('inbox')).some((m) => m.subject === 'sel'));
  }
  const naa = officeGraph(office, { clientId: '00000000-0000-0000-0000-000000000001' }, '', 'https://cachet.example.org');
  assert.ok(naa !== null);
  assert.equal(naa.baseUrl, GRAPH_ORIGIN);
  assert.deepEqual(GRAPH_SCOPES, ['Mail.Send', 'Mail.ReadWrite']);
});

test('the configuration file: read beside the page at run time, checked, and what the pane says with and without it', async () => {
  const { loadConfig, parseConfig, graphNotice, officeGraph, CONFIG_FILE } = await officeGraphModule();
  assert.equal(CONFIG_FILE, 'cachet-config.json');
  const id = '0A1B2C3D-0000-4000-8000-00000000ABCD';
  const asked = [];
  const answer = (status, body) => async (url, init) => { asked.push([url, init.cache]); return new Response(body, { status }); };
  const page = 'https://cachet.example.org/addin/taskpane.html?x=1';
  const good = await loadConfig(page, answer(200, JSON.stringify({ clientId: id, tenant: 'Contoso.onmicrosoft.com', other: 1 })));
  assert.deepEqual(asked[0], ['https://cachet.example.org/addin/cachet-config.json', 'no-store'], 'beside the page, never cached');
  assert.deepEqual(good, { config: { clientId: id.toLowerCase(), tenant: 'contoso.onmicrosoft.com' }, problem: null });
  assert.deepEqual(await loadConfig(page, answer(404, 'Not found')), { config: null, problem: null }, 'no file: no configuration, not an error');
  assert.match((await loadConfig(page, answer(500, ''))).problem, /could not be read \(the server answered 500\)/);
  assert.match((await loadConfig(page, async () => { throw new TypeError('Failed to fetch'); })).problem, /could not be read: Failed to fetch/);
  assert.match((await loadConfig(page, answer(200, 'x'.repeat(20000)))).problem, /larger than/);
  assert.match(parseConfig('{nope').problem, /not valid JSON/);
  assert.match(parseConfig('[1]').problem, /one JSON object/);
  assert.match(parseConfig('{"clientId": "my-app"}').problem, /"clientId" must be the Application \(client\) ID/);
  assert.match(parseConfig(`{"clientId": "${id}", "tenant": "not a tenant"}`).problem, /"tenant" must be/);
  assert.match(parseConfig('{"graph": "https://evil.example"}').problem, /"graph" may only be "dev"/);
  assert.deepEqual(parseConfig('{"clientId": ""}'), { config: {}, problem: null });

  const { office } = readOffice({ user: people.bob, itemId: 'ews:x', file: '' });
  const withId = graphNotice(good, officeGraph(office, good.config, '', 'https://cachet.example.org'));
  assert.deepEqual(withId, { configured: true, text: `Microsoft Graph: signed in through Outlook for the app registration ${id.toLowerCase()} (tenant contoso.onmicrosoft.com).` });
  const none = graphNotice({ config: null, problem: null }, null);
  assert.equal(none.configured, false);
  assert.match(none.text, /^Microsoft Graph is not configured: cachet-config\.json beside the add-in's pages names no app registration \("clientId"\)\. Without it Cachet still checks signatures and decrypts[\s\S]*cannot send signed or encrypted mail from Outlook[\s\S]*docs\/deploy\.md/);
  const broken = graphNotice(parseConfig('{"clientId": "x"}'), null);
  assert.match(broken.text, /^cachet-config\.json: "clientId" must be[\s\S]*Without it/);

  // The host shows which Graph is used with its notices.
  const host = new officeMod.OfficeHost({ office, graph: null, graphNotice: none.text });
  assert.equal(host.notices().at(-1), none.text);
});
